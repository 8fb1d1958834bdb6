// "stem (2).ext" naming (SPEC §1): how two files with one name both survive.

import * as path from 'node:path';

/** `name`, then `stem (2).ext`, `stem (3).ext`… without end. Folders in `name` are kept. */
export function* candidateNames(name: string): Generator<string> {
  yield name;
  const dir = path.posix.dirname(name);
  const base = path.posix.basename(name);
  const ext = path.posix.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  const prefix = dir === '.' ? '' : `${dir}/`;
  for (let i = 2; ; i++) yield `${prefix}${stem} (${i})${ext}`;
}

/** The first candidate name for which `taken` is false. */
export function uniqueName(name: string, taken: (candidate: string) => boolean): string {
  for (const candidate of candidateNames(name)) if (!taken(candidate)) return candidate;
  throw new Error('unreachable');
}

/**
 * The names a claim tries, in order: `name`, `stem (2).ext`, …; after skipFolder() (the
 * name's top folder is a file where it must go: an earlier "a" blocks "a/b.log"), the same
 * under "a (2)/", then "a (3)/", …
 */
export class NameCandidates {
  private readonly folders: Generator<string> | undefined;
  private readonly rest: string;
  private names: Generator<string>;

  constructor(private readonly name: string) {
    const slash = name.indexOf('/');
    this.folders = slash === -1 ? undefined : candidateNames(name.slice(0, slash));
    this.rest = slash === -1 ? '' : name.slice(slash);
    this.names = candidateNames(this.folders ? `${this.folders.next().value as string}${this.rest}` : name);
  }

  next(): string {
    return this.names.next().value as string;
  }

  skipFolder(): void {
    if (this.folders === undefined) throw new Error(`no free name for ${this.name}`);
    this.names = candidateNames(`${this.folders.next().value as string}${this.rest}`);
  }
}
