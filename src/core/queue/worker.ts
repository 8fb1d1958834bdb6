// A processing worker thread: loads the pipeline once, then processes files as the queue
// sends them. Keeps line processing off the thread that hosts the UI (or the CLI's loop).

import { parentPort, workerData } from 'node:worker_threads';
import { compilePipelineText, loadDefaultConfig, pipelineShapes, type LoadedConfig } from '../config/pipelineConfig';
import { lstatSync } from 'node:fs';
import { ConfigError, errorMessage, FencedError, FileProcessingError } from '../errors';
import { LOG_LEVELS, type Logger, type LogLevel } from '../logger';
import { processFile } from '../processFile';
import type { FromWorker, ToWorker, WorkerData, WorkerSettings } from './workerProtocol';
import { moveSync } from '../util/ensureDir';
import { claimSync, removeEmptyFoldersSync } from './workerSteps';

// Most queued files are small; this thread may block, so their I/O is synchronous (see
// ProcessOptions.syncBelowBytes). Larger files stream as everywhere else.
const SYNC_BELOW_BYTES = 1024 * 1024;

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');

function post(message: FromWorker): void {
  port?.postMessage(message);
}

function workerLogger(level: LogLevel): Logger {
  const at = (wanted: Exclude<LogLevel, 'off'>) => (message: string) => {
    if (level !== 'off' && LOG_LEVELS.indexOf(wanted) >= LOG_LEVELS.indexOf(level)) post({ type: 'log', level: wanted, message });
  };
  return { level, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function load(settings: WorkerSettings): Promise<LoadedConfig> {
  return settings.pipeline === undefined
    ? loadDefaultConfig()
    : compilePipelineText(settings.pipeline.text, settings.pipeline.file, { allowCustomModules: settings.allowCustomModules });
}

const data = workerData as WorkerData;
const claimGate = new Int32Array(data.claimGate);
const logger = workerLogger(data.settings.logLevel);
const config: Promise<LoadedConfig> = load(data.settings);

config.then(
  (loaded) => post({ type: 'ready', pipelines: pipelineShapes(loaded) }),
  (error: unknown) =>
    post(
      error instanceof ConfigError
        ? { type: 'startFailed', message: error.message, file: error.file, issues: error.issues }
        : { type: 'startFailed', message: errorMessage(error) },
    ),
);

let jobs: Promise<void> = Promise.resolve();

port.on('message', (message: ToWorker) => {
  // One job at a time, in the order sent: the pool hands a worker its next job while the
  // current one runs (no idle round trip between files), but `concurrency` still means files
  // processed at once, and a job's time limit runs from when it starts.
  jobs = jobs.then(() => handleJob(message)).catch((error: unknown) => logger.error(`unexpected error in a processing job: ${String(error)}`));
});

async function handleJob(message: Extract<ToWorker, { type: 'job' }>): Promise<void> {
  const { id, job, steps } = message;
  const inputPath = 'path' in job.input ? job.input.path : undefined;
  if (steps?.claim && inputPath !== undefined) {
    const refusal = Atomics.load(claimGate, 0) === 1 ? ({ reason: 'stopping' } as const) : claimSync(steps.claim, inputPath, steps.claim.mustBeFree);
    if (refusal) {
      post({ type: 'notClaimed', id, refusal });
      return;
    }
    post({ type: 'claimed', id });
  }
  let summary;
  try {
    summary = await processFile(await config, job, {
      maxLineBytes: message.maxLineBytes,
      finalAttempt: message.finalAttempt,
      logger,
      syncBelowBytes: SYNC_BELOW_BYTES,
      // Fencing: a queue file is written only while its claim is still this instance's.
      ...(steps && inputPath !== undefined ? { beforeCommit: () => checkClaim(inputPath) } : {}),
    });
  } catch (error) {
    if (error instanceof FencedError) {
      post({ type: 'fenced', id, message: error.message });
      return;
    }
    const fileError =
      error instanceof FileProcessingError ? error : new FileProcessingError(errorMessage(error), 'EIO');
    post({ type: 'transient', id, message: fileError.message, code: fileError.code, sysCode: fileError.sysCode });
    return;
  }
  if (steps && inputPath !== undefined) {
    try {
      moveSync(inputPath, summary.status === 'processed' ? steps.finish.processed : steps.finish.failed);
      removeEmptyFoldersSync(inputPath, steps.finish.claimFolder);
    } catch (error) {
      // The queue retries the move (or leaves the file in underprocess/ for recovery).
      const { message: text, code } = error as NodeJS.ErrnoException;
      post({ type: 'done', id, summary, moveError: { message: text, ...(code === undefined ? {} : { code }) } });
      return;
    }
  }
  post({ type: 'done', id, summary });
}

/** Throws FencedError when the claimed file is no longer where this instance put it. */
function checkClaim(claimed: string): void {
  if (lstatSync(claimed, { throwIfNoEntry: false }) === undefined) {
    throw new FencedError(`the claim on ${claimed} is no longer this instance's (another instance took it over)`);
  }
}
