// What views show of a queue root (the VS Code tree and status bar, the HTTP dashboard's
// lists): how many files each state holds, and the newest of them. One source for each fact:
// while the root's queue runs, its queued files and its own files in progress are the queue's
// own (the very sets its metrics count); files processed and failed, and the files other
// instances hold, are read from disk at a rescan and kept current from the queue's events.
// Memory is bounded: at most `keep` names per state; older ones are read from disk when a
// view pages that far.

import type { FolderQueue, QueueEvent } from './folderQueue';
import type { QueueLayout } from './layout';
import { isNewer, listNewest, NewestFiles, type FileState, type ListedFile } from './stateListing';

/** Names kept in memory per state, newest first, unless told otherwise. */
export const DEFAULT_KEEP = 500;
/** A page read from disk serves the views this long (a busy queue redraws a few times a second). */
const DISK_PAGE_MS = 1000;

/** What the model needs of a running queue (a FolderQueue). */
export type QueueFiles = Pick<FolderQueue, 'id' | 'metrics' | 'queuedFiles' | 'inProgressFiles'>;

export interface StateModelOptions {
  /** Which inbox names count as queued (the root's inbox filter); every name when not given. */
  accepts?: (name: string) => boolean;
  /** Names kept in memory per state (default DEFAULT_KEEP). */
  keep?: number;
}

/** A rescan of processed/ or failed/ under way, and what happened meanwhile. */
interface Walk {
  state: 'processed' | 'failed';
  /** Files that may arrive during the walk (in progress at its start, or claimed since). */
  candidates: Set<string>;
  /** Those of them the walk listed. */
  seen: Set<string>;
  /** Files that arrived (finished) during the walk. */
  arrived: Map<string, number>;
  /** A file left the folder during the walk (Retry, Reprocess): walk again. */
  left: boolean;
}

/** A state's files as the disk last said, kept current by events: how many, and the newest. */
interface Kept {
  count: number;
  files: ListedFile[];
}

export class StateModel {
  private queue: QueueFiles | undefined;
  private readonly keep: number;
  private readonly accepts: ((name: string) => boolean) | undefined;
  /** queued/inProgress: what the disk holds (used while no queue runs); processed/failed always. */
  private readonly kept: Record<FileState, Kept> = {
    queued: { count: 0, files: [] },
    inProgress: { count: 0, files: [] },
    processed: { count: 0, files: [] },
    failed: { count: 0, files: [] },
  };
  /** Files in underprocess/ that the running queue does not hold: other instances' claims. */
  private others: Kept = { count: 0, files: [] };
  private readonly walks = new Set<Walk>();
  private rescanning: Promise<void> | undefined;
  private rescanAgain = false;
  private readonly diskPages = new Map<FileState, { at: number; limit: number; files: Promise<ListedFile[]> }>();
  /** How many files each other instance has in flight, by its id (as the last rescan read them). */
  readonly othersInFlight = new Map<string, number>();

  constructor(
    readonly layout: QueueLayout,
    options: StateModelOptions = {},
  ) {
    this.keep = Math.max(1, options.keep ?? DEFAULT_KEEP);
    this.accepts = options.accepts;
  }

  /** The running queue whose own files count (undefined: the root is not running, the disk says all). */
  attach(queue: QueueFiles | undefined): void {
    this.queue = queue;
  }

  /** How many files a state holds. */
  count(state: FileState): number {
    const { queue } = this;
    if (queue && state === 'queued') return queue.metrics.queued;
    if (queue && state === 'inProgress') return queue.metrics.inProgress + this.others.count;
    return this.kept[state].count;
  }

  /** The newest `limit` files of a state (at most the `keep` held in memory), newest first. */
  newest(state: FileState, limit: number): ListedFile[] {
    const wanted = Math.min(limit, this.keep);
    const { queue } = this;
    if (queue && state === 'queued') return queue.queuedFiles(wanted);
    if (queue && state === 'inProgress') {
      const merged = new NewestFiles(wanted);
      for (const file of queue.inProgressFiles(wanted)) merged.offer(file);
      for (const file of this.others.files) if (!merged.offer(file) && merged.full) break;
      return merged.files;
    }
    return this.kept[state].files.slice(0, wanted);
  }

  /**
   * Files `offset` to `offset + limit` of a state, newest first: from memory when it holds
   * them, otherwise read from disk (a view paging far into a large folder).
   */
  async page(state: FileState, offset: number, limit: number): Promise<ListedFile[]> {
    const end = offset + limit;
    const inMemory = this.newest(state, end);
    if (inMemory.length >= end || inMemory.length >= this.count(state)) return inMemory.slice(offset, end);
    if (this.queue && state === 'queued') return this.queue.queuedFiles(end).slice(offset, end);
    return (await this.fromDisk(state, end)).slice(offset, end);
  }

  /** Keeps processed/failed (and, while no queue runs, queued) current; true when views should redraw. */
  apply(event: QueueEvent): boolean {
    switch (event.type) {
      case 'detected':
      case 'skipped':
      case 'unfinished':
      case 'idle':
        return true;
      case 'claimed':
        for (const walk of this.walks) walk.candidates.add(event.name);
        this.dropOther(event.name); // taken over from a gone instance: ours now
        return true;
      case 'finished': {
        const state = event.summary.status === 'processed' ? 'processed' : 'failed';
        const now = Date.now();
        for (const walk of this.walks) if (walk.state === state) walk.arrived.set(event.summary.name, now);
        this.add(state, { name: event.summary.name, time: now });
        return true;
      }
      case 'moved':
        for (const walk of this.walks) if (walk.state === event.from) walk.left = true;
        this.remove(event.from, event.name);
        // A running queue finds the file in its inbox itself; otherwise the model notes it.
        if (!this.queue) this.add('queued', { name: event.to, time: Date.now() });
        return true;
      case 'takenOver':
        for (const name of event.names) this.dropOther(name);
        return true;
      default:
        return false;
    }
  }

  /**
   * Reads every state folder again (a root's start, Refresh, and every few seconds while other
   * instances work it). A rescan asked for while one runs makes that one read once more.
   */
  rescan(): Promise<void> {
    if (this.rescanning) {
      this.rescanAgain = true;
      return this.rescanning;
    }
    const running = (async () => {
      try {
        do {
          this.rescanAgain = false;
          this.diskPages.clear();
          await Promise.all([this.rescanFinished('processed'), this.rescanFinished('failed'), this.rescanInProgress(), this.rescanQueued()]);
        } while (this.rescanAgain);
      } finally {
        this.rescanning = undefined;
      }
    })();
    this.rescanning = running;
    return running;
  }

  private async rescanQueued(): Promise<void> {
    if (this.queue) {
      this.kept.queued = { count: 0, files: [] }; // the queue's own sets say it all
      return;
    }
    const { total, files } = await listNewest(this.layout, 'queued', this.keep, { accepts: this.accepts });
    this.kept.queued = { count: total, files };
  }

  private async rescanInProgress(): Promise<void> {
    const { queue } = this;
    const own = new Set(queue ? queue.inProgressFiles(Number.MAX_SAFE_INTEGER).map((file) => file.name) : []);
    const byInstance = new Map<string, number>();
    // What the disk holds, less what the running queue holds itself.
    const listing = await listNewest(this.layout, 'inProgress', this.keep, {
      include: (file) => !queue || (file.instance !== queue.id && !own.has(file.name)),
      visit: (file) => {
        if (file.instance !== undefined) byInstance.set(file.instance, (byInstance.get(file.instance) ?? 0) + 1);
      },
    });
    this.othersInFlight.clear();
    for (const [id, count] of byInstance) this.othersInFlight.set(id, count);
    this.others = { count: listing.total, files: listing.files };
    if (!queue) this.kept.inProgress = { count: listing.total, files: [...listing.files] };
  }

  /**
   * Lists processed/ or failed/ while the queue keeps finishing files: a file that arrives
   * during the walk is counted once, whether the walk listed it or not (every such file was in
   * progress when the walk began, or was claimed since, so the walk can tell). When a file left
   * the folder meanwhile, it walks once more.
   */
  private async rescanFinished(state: 'processed' | 'failed'): Promise<void> {
    for (let round = 1; ; round++) {
      const candidates = new Set(this.queue ? this.queue.inProgressFiles(Number.MAX_SAFE_INTEGER).map((file) => file.name) : []);
      const walk: Walk = { state, candidates, seen: new Set(), arrived: new Map(), left: false };
      this.walks.add(walk);
      let listing;
      try {
        listing = await listNewest(this.layout, state, this.keep, {
          visit: (file) => {
            if (walk.candidates.has(file.name)) walk.seen.add(file.name);
          },
        });
      } finally {
        this.walks.delete(walk);
      }
      if (walk.left && round < 2) continue;
      const newest = new NewestFiles(this.keep);
      for (const file of listing.files) newest.offer(file);
      let count = listing.total;
      for (const [name, time] of walk.arrived) {
        if (walk.seen.has(name)) continue;
        count++;
        newest.offer({ name, time });
      }
      this.kept[state] = { count, files: newest.files };
      return;
    }
  }

  private add(state: FileState, file: ListedFile): void {
    const kept = this.kept[state];
    kept.count++;
    const files = kept.files;
    let at = 0;
    while (at < files.length && isNewer(files[at], file)) at++;
    if (at >= this.keep) return;
    files.splice(at, 0, file);
    if (files.length > this.keep) files.pop();
  }

  private remove(state: FileState, name: string): void {
    const kept = this.kept[state];
    kept.count = Math.max(0, kept.count - 1);
    const at = kept.files.findIndex((file) => file.name === name);
    if (at !== -1) kept.files.splice(at, 1);
    this.diskPages.delete(state);
  }

  private dropOther(name: string): void {
    const at = this.others.files.findIndex((file) => file.name === name);
    if (at === -1) return;
    const [file] = this.others.files.splice(at, 1);
    this.others.count = Math.max(0, this.others.count - 1);
    if (file.instance !== undefined) {
      const left = (this.othersInFlight.get(file.instance) ?? 1) - 1;
      if (left > 0) this.othersInFlight.set(file.instance, left);
      else this.othersInFlight.delete(file.instance);
    }
  }

  /** The newest `limit` files of a state as the disk holds them (shared for a moment between redraws). */
  private fromDisk(state: FileState, limit: number): Promise<ListedFile[]> {
    const cached = this.diskPages.get(state);
    if (cached && cached.limit >= limit && Date.now() - cached.at < DISK_PAGE_MS) return cached.files;
    const files = listNewest(this.layout, state, limit, { accepts: state === 'queued' ? this.accepts : undefined }).then((listing) => listing.files);
    this.diskPages.set(state, { at: Date.now(), limit, files });
    files.catch(() => this.diskPages.delete(state));
    return files;
  }
}
