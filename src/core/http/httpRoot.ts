// What the HTTP server needs of a queue root, so that the CLI (one FolderQueue) and the
// extension (several roots that start, stop and restart) can both serve it.

import * as path from 'node:path';
import type { PipelineShape } from '../../shared/metrics';
import type { ThroughputPoint } from '../../shared/protocol';
import type { MetricsCollector } from '../metrics';
import type { FolderQueue, QueueEvent } from '../queue/folderQueue';
import type { FileState, ListedFile } from '../queue/stateListing';
import type { QueueLayout } from '../queue/layout';

export interface HttpRoot {
  /** Absolute path of the queue root: its id in `?root=`. */
  readonly root: string;
  /** Short name for people (the folder's name). */
  readonly label: string;
  readonly layout: QueueLayout;
  /** 'starting', 'watching', 'paused', 'error', … as the host says it. */
  status(): string;
  /** The running queue's metrics; undefined while the root is not running. */
  metrics(): MetricsCollector | undefined;
  pipelines(): PipelineShape[];
  /** Moves failed/<name> back to the inbox; returns its name there. */
  retryFailed(name: string): Promise<string>;
  /**
   * What is wrong with the root right now (the watcher failed, the pipeline file is invalid,
   * the queue could not start), one line each; /health answers 503 while any is reported.
   */
  problems(): string[];
  /** Whether the inbox would take a file of this name (built-in rules and the ignore globs). */
  accepts(name: string): boolean;
  /** The throughput chart's points when the host keeps them; otherwise the server samples. */
  history?(): ThroughputPoint[];
  /**
   * The newest `limit` files of a state and how many there are, when the host keeps them
   * current in memory (VS Code's tree model): the dashboard's lists then cost no disk I/O on
   * the host's thread. Otherwise the server lists the folders (listState).
   */
  newestFiles?(state: FileState, limit: number): { total: number; files: ListedFile[] };
}

/** The roots one server serves, and their news. */
export interface HttpRootSource {
  list(): HttpRoot[];
  /** Every queue event of every root; returns the unsubscribe function. */
  onEvent(listener: (root: string, event: QueueEvent) => void): () => void;
  /** Roots added, removed, or changing status. */
  onRootsChanged(listener: () => void): () => void;
}

/** A root source of one FolderQueue whose host says when its status changes. */
export interface SingleRootSource extends HttpRootSource {
  setStatus(status: string): void;
}

/** A single FolderQueue as a root source (the CLI's `watch --http`, and tests). */
export function folderQueueSource(queue: FolderQueue, options: { problems?: () => string[] } = {}): SingleRootSource {
  let status = 'starting';
  const rootsListeners = new Set<() => void>();
  const root: HttpRoot = {
    root: queue.layout.root,
    label: path.basename(queue.layout.root) || queue.layout.root,
    layout: queue.layout,
    status: () => (status === 'watching' && queue.isPaused ? 'paused' : status),
    metrics: () => queue.metrics,
    pipelines: () => queue.pipelines,
    retryFailed: (name) => queue.retryFailed(name),
    problems: () => [...queue.problems, ...(options.problems?.() ?? [])],
    accepts: (name) => queue.acceptsInboxName(name),
  };
  return {
    list: () => [root],
    onEvent(listener) {
      const forward = (event: QueueEvent): void => listener(root.root, event);
      queue.on('event', forward);
      return () => queue.off('event', forward);
    },
    onRootsChanged(listener) {
      rootsListeners.add(listener);
      return () => rootsListeners.delete(listener);
    },
    setStatus(next) {
      status = next;
      for (const notify of rootsListeners) notify();
    },
  };
}
