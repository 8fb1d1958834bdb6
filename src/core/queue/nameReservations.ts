// The names of files in flight, and every path their results will take. Checking the disk
// is not enough to keep two claims apart: `x.log` and `x.log.summary.json` claimed at once
// both look free, and then x.log's summary overwrites the other's result. A claimed name N
// holds N in underprocess/, processed/ and failed/, and N plus N.summary.json in results/;
// since all of these share one namespace of names, holding both N and N.summary.json here
// covers them all. A path also blocks its folders from being files and the reverse: a file
// "a" in flight and a claim "a/b.log" cannot both finish.

import { SUMMARY_SUFFIX } from '../summary';

export class NameReservations {
  /** Reserved paths (as files), each with the name that holds it. */
  private readonly files = new Map<string, string>();
  /** Folders that reserved paths need, with how many paths need each. */
  private readonly folders = new Map<string, number>();

  /** The paths a claimed name holds. */
  static pathsOf(name: string): string[] {
    return [name, name + SUMMARY_SUFFIX];
  }

  /**
   * Reserves `name` if none of its paths clashes with a held one. 'taken': a path is held (or
   * is a folder of a held one); 'blocked': a folder of the name is held as a file.
   */
  reserve(name: string): 'reserved' | 'taken' | 'blocked' {
    const paths = NameReservations.pathsOf(name);
    for (const p of paths) {
      if (this.files.has(p) || this.folders.has(p)) return 'taken';
      if (foldersOf(p).some((folder) => this.files.has(folder))) return 'blocked';
    }
    for (const p of paths) {
      this.files.set(p, name);
      for (const folder of foldersOf(p)) this.folders.set(folder, (this.folders.get(folder) ?? 0) + 1);
    }
    return 'reserved';
  }

  release(name: string): void {
    for (const p of NameReservations.pathsOf(name)) {
      if (this.files.get(p) !== name) continue;
      this.files.delete(p);
      for (const folder of foldersOf(p)) {
        const count = (this.folders.get(folder) ?? 1) - 1;
        if (count === 0) this.folders.delete(folder);
        else this.folders.set(folder, count);
      }
    }
  }

}

/** "a/b/c" → ["a", "a/b"]. */
function foldersOf(p: string): string[] {
  const folders: string[] = [];
  for (let at = p.indexOf('/'); at !== -1; at = p.indexOf('/', at + 1)) folders.push(p.slice(0, at));
  return folders;
}
