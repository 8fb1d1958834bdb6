// The engine's defaults, each stated once. The folder queue, the line splitter, the CLI's
// flags and the HTTP API take them from here; the extension's settings declare the same
// values in package.json (`contributes.configuration`), and a unit test checks that they agree.

import { availableParallelism } from 'node:os';

/** The pipeline file looked for when none is named (the CLI's current folder, the extension's workspace folder). */
export const DEFAULT_PIPELINE_FILE = 'fileflow.pipeline.json';
/** Where `run` (and the extension's single runs) write results and summaries. */
export const DEFAULT_RESULTS_FOLDER = 'results';
/** Files processed at once: 0 means one per CPU. */
export const DEFAULT_CONCURRENCY = 0;
/** A new file is taken once its size and mtime have not changed for this long. */
export const DEFAULT_STABILITY_MS = 500;
/** A longer line fails its file. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** Attempts for transient filesystem errors before a file fails. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** The first backoff between attempts; each further one doubles it (1 s, 2 s, 4 s…). */
export const DEFAULT_RETRY_BASE_DELAY_MS = 1000;
/** A file still processing after this long fails; 0 means no limit. */
export const DEFAULT_FILE_TIMEOUT_SEC = 600;
export const DEFAULT_FILE_TIMEOUT_MS = DEFAULT_FILE_TIMEOUT_SEC * 1000;
/** Seconds another instance waits, after this one stops renewing its lease, before taking its files over. */
export const DEFAULT_LEASE_SEC = 30;
/** Poll the inbox instead of using file-system events. */
export const DEFAULT_USE_POLLING = false;
/** The HTTP API listens here unless told otherwise: this machine only. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** The extension's HTTP port (the CLI's `--http` always names one). */
export const DEFAULT_HTTP_PORT = 8000;

/** How many worker threads a concurrency setting means: a positive number as it is, 0 (or none) one per CPU. */
export function workerCount(concurrency: number | undefined): number {
  return concurrency !== undefined && concurrency > 0 ? Math.floor(concurrency) : availableParallelism();
}
