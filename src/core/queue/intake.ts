// Finds files in unprocessed/ and decides when each is complete (docs/queue.md, "When a
// file is taken"): a file is handed on once its size and mtime have stayed the same for
// stabilityMs. Live arrivals come from the native watcher (or chokidar when polling), files
// already there from a scan, and a periodic rescan catches what events missed; the same
// round removes inbox folders that have stayed empty.

import { watch, type FSWatcher } from 'chokidar';
import { lstat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../logger';
import { DirectoryWatcher } from './directoryWatcher';
import { fsPath } from '../util/rawNames';
import type { QueueLayout } from './layout';
import { removeEmptyFolders, walkFiles } from './walk';

/**
 * A file last modified this long ago cannot still be being written, even on filesystems
 * whose mtime only has 1–2 s resolution, so it is taken without waiting.
 */
const OLD_ENOUGH_MS = 3000;
/** How often the inbox is rescanned and its empty folders swept. */
const RESCAN_MS = 10_000;
/** An inbox folder left empty this long is removed (its watch with it). */
export const DEFAULT_EMPTY_FOLDER_MS = 60_000;

export interface InboxFile {
  /** Absolute path in unprocessed/. */
  path: string;
  /** Path relative to unprocessed/, with `/` separators. */
  name: string;
  /** When it was first seen (ms since epoch): the queue takes files oldest first by this. */
  detectedAt: number;
  /** Device and inode when it was seen: the claim takes that file and no other. */
  seen: { dev: number; ino: number };
}

interface Candidate extends InboxFile {
  size: number;
  mtimeMs: number;
  timer?: NodeJS.Timeout;
}

export interface IntakeOptions {
  layout: QueueLayout;
  stabilityMs: number;
  accepts: (name: string) => boolean;
  usePolling: boolean;
  logger: Logger;
  /** Called once per file when it is complete. */
  onReady: (file: InboxFile) => void;
  /** Called when a file that was being watched disappeared. */
  onForget?: () => void;
  /** Whether a path was already handed on and is waiting for a slot (rescans skip it). */
  isQueued: (file: string) => boolean;
  /** Empty inbox folders older than this are removed by the rescan (default 60 s); 0: never. */
  emptyFolderMs?: number;
  /** Rescan interval (default 10 s). */
  rescanMs?: number;
}

export class Intake {
  private readonly candidates = new Map<string, Candidate>();
  private watcher: FSWatcher | undefined;
  private native: DirectoryWatcher | undefined;
  private rescanning = false;
  private closed = false;
  private rescanTimer: NodeJS.Timeout | undefined;
  /** Why the inbox is not watched as it should be, if so. */
  problem: string | undefined;
  private readonly inbox: string;

  constructor(private readonly options: IntakeOptions) {
    this.inbox = options.layout.folder('unprocessed');
  }

  /** Files seen but not yet complete. */
  get waiting(): number {
    return this.candidates.size;
  }

  /** Their names. */
  waitingNames(): string[] {
    return [...this.candidates.values()].map((candidate) => candidate.name);
  }

  /** Their names (relative to unprocessed/) and when each was first seen. */
  waitingFiles(): Iterable<{ name: string; detectedAt: number }> {
    return this.candidates.values();
  }

  /** Starts watching for new files (resolves once the watcher is ready). */
  async watch(): Promise<void> {
    this.rescanTimer = setInterval(() => void this.rescan(), this.options.rescanMs ?? RESCAN_MS);
    this.rescanTimer.unref();
    if (!this.options.usePolling) {
      this.native = await DirectoryWatcher.start(this.inbox, {
        onEntry: (file) => void this.observe(file),
        onGone: (file) => this.forget(file),
        onRescan: () => void this.rescan(),
        onError: (message, dir) => {
          this.options.logger.warn(message);
          // New files in the inbox itself would go unseen until a rescan: the root is degraded.
          if (dir === this.inbox) this.problem = `${message}; new files are found only by the rescan every 10 s`;
        },
        skipDirectory: (dir) => path.basename(dir).startsWith('.'),
      });
      return;
    }
    const watcher = watch(this.inbox, {
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: this.options.usePolling,
      interval: 100,
      binaryInterval: 100,
      atomic: false,
      ignorePermissionErrors: true,
      // Never descend into hidden folders; files are filtered in observe().
      ignored: (file: string) => file !== this.inbox && path.basename(file).startsWith('.'),
    });
    this.watcher = watcher;
    watcher.on('add', (file) => void this.observe(file));
    watcher.on('change', (file) => void this.observe(file));
    watcher.on('unlink', (file) => this.forget(file));
    watcher.on('error', (error) => this.options.logger.warn(`watcher error in ${this.inbox}: ${(error as Error).message}`));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /** Looks at every file already in the inbox. */
  async scan(): Promise<void> {
    for await (const file of walkFiles(this.inbox)) {
      if (this.closed) return;
      await this.observe(file);
    }
  }

  /**
   * The watchers' safety net: looks for files no event announced (the kernel drops events
   * when its queue overflows; chokidar reports names that are not UTF-8 unusably). Files
   * already waiting or handed on are skipped. Then removes inbox folders left empty.
   */
  private async rescan(): Promise<void> {
    if (this.rescanning) return;
    this.rescanning = true;
    try {
      for await (const file of walkFiles(this.inbox)) {
        if (this.closed) return;
        if (!this.candidates.has(file) && !this.options.isQueued(file)) await this.observe(file);
      }
      const emptyFolderMs = this.options.emptyFolderMs ?? DEFAULT_EMPTY_FOLDER_MS;
      if (emptyFolderMs > 0 && !this.closed) {
        const removed = await removeEmptyFolders(this.inbox, emptyFolderMs);
        if (removed > 0) this.options.logger.debug(`removed ${removed} empty folder(s) from ${this.inbox}`);
      }
    } catch (error) {
      this.options.logger.warn(`rescan of ${this.inbox} failed: ${(error as Error).message}`);
    } finally {
      this.rescanning = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.rescanTimer);
    for (const candidate of this.candidates.values()) clearTimeout(candidate.timer);
    this.candidates.clear();
    this.native?.close();
    await this.watcher?.close();
  }

  /** Forget a file (it was taken, or it vanished). */
  forget(file: string): void {
    const candidate = this.candidates.get(file);
    if (!candidate) return;
    clearTimeout(candidate.timer);
    this.candidates.delete(file);
    this.options.onForget?.();
  }

  /** Looks at a file again from scratch (it changed after it was handed on). */
  async reconsider(file: string): Promise<void> {
    this.forget(file);
    await this.observe(file);
  }

  private async observe(file: string): Promise<void> {
    if (this.closed) return;
    const name = this.options.layout.nameOf('unprocessed', file);
    if (!this.options.accepts(name)) return;
    let stat;
    try {
      stat = await lstat(fsPath(file));
    } catch {
      this.forget(file); // gone already
      return;
    }
    if (this.closed || stat.isDirectory()) return;
    const now = Date.now();
    let candidate = this.candidates.get(file);
    if (candidate && candidate.size === stat.size && candidate.mtimeMs === stat.mtimeMs) return;
    if (!candidate) {
      candidate = { path: file, name, detectedAt: now, size: stat.size, mtimeMs: stat.mtimeMs, seen: { dev: stat.dev, ino: stat.ino } };
      this.candidates.set(file, candidate);
      this.options.logger.debug(`detected ${name}`);
    } else {
      candidate.size = stat.size;
      candidate.mtimeMs = stat.mtimeMs;
      candidate.seen = { dev: stat.dev, ino: stat.ino };
    }
    clearTimeout(candidate.timer);
    // Links, FIFOs and sockets are never read, so there is nothing to wait for.
    if (!stat.isFile() || now - stat.mtimeMs >= Math.max(this.options.stabilityMs, OLD_ENOUGH_MS)) {
      this.ready(candidate);
      return;
    }
    this.schedule(candidate, this.options.stabilityMs);
  }

  private schedule(candidate: Candidate, delay: number): void {
    candidate.timer = setTimeout(() => void this.recheck(candidate), delay);
  }

  private async recheck(candidate: Candidate): Promise<void> {
    if (this.closed || this.candidates.get(candidate.path) !== candidate) return;
    let stat;
    try {
      stat = await lstat(fsPath(candidate.path));
    } catch {
      this.forget(candidate.path);
      return;
    }
    if (this.candidates.get(candidate.path) !== candidate) return;
    if (stat.size === candidate.size && stat.mtimeMs === candidate.mtimeMs && stat.ino === candidate.seen.ino) {
      this.ready(candidate);
    } else {
      candidate.size = stat.size;
      candidate.mtimeMs = stat.mtimeMs;
      candidate.seen = { dev: stat.dev, ino: stat.ino };
      this.schedule(candidate, this.options.stabilityMs);
    }
  }

  private ready(candidate: Candidate): void {
    this.candidates.delete(candidate.path);
    this.options.onReady({ path: candidate.path, name: candidate.name, detectedAt: candidate.detectedAt, seen: candidate.seen });
  }
}
