// Messages between the queue (main thread) and its processing workers.

import type { PipelineShape } from '../../shared/metrics';
import type { ConfigIssue, FileErrorCode } from '../errors';
import type { LogLevel } from '../logger';
import type { FileJob } from '../processFile';
import type { FileSummary } from '../summary';
import type { ClaimRefusal } from './workerSteps';

/** What a worker starts with. */
export interface WorkerData {
  settings: WorkerSettings;
  /** An Int32Array's buffer: its element 0 turns 1 when the pool stops claims. */
  claimGate: SharedArrayBuffer;
}

export interface WorkerSettings {
  /** Absolute path of the pipeline file; undefined for the built-in default. */
  pipelineFile: string | undefined;
  allowCustomModules: boolean;
  logLevel: LogLevel;
}

/**
 * What a queue job does around processing (see workerSteps.ts). Without steps a job only
 * processes `job.input`.
 */
export interface QueueSteps {
  /** Claim first: move the inbox file `from` to `job.input.path`, if no path of `mustBeFree` exists. */
  claim?: { from: string; mustBeFree: string[] };
  /** After processing, move `job.input.path` to one of these by outcome. */
  finish: { processed: string; failed: string };
}

export type ToWorker =
  | { type: 'job'; id: number; job: FileJob; maxLineBytes: number; finalAttempt: boolean; steps?: QueueSteps }
  | { type: 'reload'; settings: WorkerSettings };

/** A job's end when it did not throw: processed (and moved, or why not), or not claimed. */
export type JobOutcome =
  | { type: 'done'; summary: FileSummary; moveError?: { message: string; code?: string } }
  | { type: 'notClaimed'; refusal: ClaimRefusal };

export type FromWorker =
  | { type: 'ready'; pipelines: PipelineShape[] }
  /** The pipeline could not be loaded; `issues` when it is a configuration error. */
  | { type: 'startFailed'; message: string; file?: string; issues?: ConfigIssue[] }
  /** The claim step moved the file into underprocess/ (processing follows). */
  | { type: 'claimed'; id: number }
  | ({ id: number } & JobOutcome)
  | { type: 'transient'; id: number; message: string; code: FileErrorCode; sysCode?: string }
  | { type: 'log'; level: Exclude<LogLevel, 'off'>; message: string };
