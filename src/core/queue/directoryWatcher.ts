// Native inbox watching: one fs.watch per folder (not per file), and each event looks only at
// the entry it names. chokidar re-reads a whole folder on every change in it, which made a
// burst of n files cost O(n²) (3,000 files: 37–80 s instead of ~12 s). The intake's periodic
// rescan catches what the kernel may drop when its event queue overflows. Polling (network
// drives, WSL mounts) still goes through chokidar, whose polling mode is what it is good at.
// A folder that is removed (the intake removes emptied ones) loses its watch.

import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeName, fsPath } from '../util/rawNames';

export interface DirectoryWatcherEvents {
  /** Something at `file` appeared or changed (it may be gone by the time you look). */
  onEntry(file: string): void;
  /** `file` is gone. */
  onGone(file: string): void;
  /** The kernel lost events (its queue overflowed): the inbox needs a rescan. */
  onRescan(): void;
  /** A folder could not be watched (`dir`: which; the inbox itself is the one that matters most). */
  onError(message: string, dir: string): void;
  /** Folders not to descend into. */
  skipDirectory(dir: string): boolean;
}

export class DirectoryWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  private constructor(
    private readonly root: string,
    private readonly events: DirectoryWatcherEvents,
  ) {}

  static async start(root: string, events: DirectoryWatcherEvents): Promise<DirectoryWatcher> {
    const watcher = new DirectoryWatcher(root, events);
    await watcher.watchTree(root, false);
    return watcher;
  }

  /** How many folders are watched now. */
  get size(): number {
    return this.watchers.size;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Watches `dir` and every folder below it; reports their files when `report` is set. */
  private async watchTree(dir: string, report: boolean): Promise<void> {
    if (this.closed || this.watchers.has(dir) || (dir !== this.root && this.events.skipDirectory(dir))) return;
    let watcher: FSWatcher;
    try {
      // Names as bytes: one that is not valid UTF-8 must still be found again (util/rawNames).
      watcher = watch(fsPath(dir), { persistent: true, encoding: 'buffer' }, (_event, filename) => {
        if (this.closed) return;
        if (filename === null) this.events.onRescan();
        else void this.look(path.join(dir, decodeName(filename)));
      });
    } catch (error) {
      this.events.onError(`cannot watch ${dir}: ${(error as Error).message}`, dir);
      return;
    }
    watcher.on('error', () => this.unwatch(dir));
    this.watchers.set(dir, watcher);
    let entries;
    try {
      entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, decodeName(entry.name));
      if (entry.isDirectory()) await this.watchTree(full, report);
      // A folder moved in whole brings files that no event will ever name.
      else if (report) this.events.onEntry(full);
    }
  }

  private async look(file: string): Promise<void> {
    let stat;
    try {
      stat = await lstat(fsPath(file));
    } catch {
      this.unwatch(file);
      this.events.onGone(file);
      return;
    }
    if (stat.isDirectory()) await this.watchTree(file, true);
    else this.events.onEntry(file);
  }

  /** Stops watching `dir` and everything below it (it was removed or renamed away). */
  private unwatch(dir: string): void {
    for (const [watched, w] of this.watchers) {
      if (watched === dir || watched.startsWith(dir + path.sep)) {
        w.close();
        this.watchers.delete(watched);
      }
    }
  }
}
