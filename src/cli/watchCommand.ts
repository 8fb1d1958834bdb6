// `fileflow watch ROOT`: the folder queue in a terminal. Stops cleanly on SIGINT/SIGTERM
// (in-flight files finish, nothing new is taken); `--once` drains what is there and exits.

import * as path from 'node:path';
import { streamLogger } from '../core/logger';
import { FolderQueue } from '../core/queue/folderQueue';
import type { Command } from './args';
import { formatMetrics } from './formatMetrics';

type WatchCommand = Extract<Command, { kind: 'watch' }>;

export interface WatchIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  /** Registers a handler for SIGINT/SIGTERM; returns a function that removes it. */
  onSignal(handler: (signal: string) => void): () => void;
}

export async function watchCommand(command: WatchCommand, pipelineFile: string | undefined, io: WatchIo): Promise<number> {
  const logger = streamLogger(command.logLevel, io.err);
  const root = path.resolve(io.cwd, command.root);
  const queue = new FolderQueue({
    root,
    pipelineFile,
    concurrency: command.concurrency,
    stabilityMs: command.stabilityMs,
    fileTimeoutMs: command.fileTimeoutSec === undefined ? undefined : command.fileTimeoutSec * 1000,
    watch: !command.once,
    logger,
  });
  // Only whether any file failed is needed for the exit status; keeping every summary leaked
  // ~1.3 KB per file in a long-running watch.
  let anyFailed = false;
  queue.on('event', (event) => {
    if (event.type !== 'finished') return;
    if (event.summary.status === 'failed') anyFailed = true;
    if (command.json) return;
    const s = event.summary;
    io.out(
      s.status === 'processed'
        ? `✓ ${s.name} (${s.linesIn} lines in, ${s.linesOut} out, ${s.latencyMs} ms)\n`
        : `✗ ${s.name} -> failed/: ${s.error?.message}\n`,
    );
  });

  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const removeSignalHandler = io.onSignal((signal) => {
    logger.warn(`${signal}: finishing files in flight, taking no new ones`);
    // Take nothing from now on, even if the signal came while the queue was still starting
    // (start() recovers and scans, and would otherwise hand files to the workers).
    queue.pause();
    stopRequested?.();
  });
  try {
    await queue.start();
    if (!command.json) {
      io.err(command.once ? `fileflow: draining ${root}\n` : `fileflow: watching ${path.join(root, 'unprocessed')} (Ctrl+C to stop)\n`);
    }
    if (command.once) await Promise.race([queue.drain(), stopped]);
    else await stopped;
  } finally {
    await queue.stop();
    removeSignalHandler();
  }

  const snapshot = queue.metrics.snapshot();
  if (command.json) {
    io.out(JSON.stringify({ metrics: snapshot }, null, 2) + '\n');
  } else {
    io.out(formatMetrics(snapshot, path.join(command.root, 'results')));
  }
  return anyFailed ? 1 : 0;
}
