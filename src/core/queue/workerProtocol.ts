// Messages between the queue (main thread) and its processing workers.

import type { PipelineShape } from '../../shared/metrics';
import type { ConfigIssue, FileErrorCode } from '../errors';
import type { LogLevel } from '../logger';
import type { FileJob } from '../processFile';
import type { FileSummary } from '../summary';
import type { ClaimRefusal, ClaimSource } from './workerSteps';

/** What a worker starts with. */
export interface WorkerData {
  settings: WorkerSettings;
  /** An Int32Array's buffer: its element 0 turns 1 when the pool stops claims. */
  claimGate: SharedArrayBuffer;
}

export interface WorkerSettings {
  /**
   * The pipeline file's path and the text the queue read from it once (workers never read
   * the file themselves: a replacement worker must run the same pipeline as the others);
   * undefined for the built-in default.
   */
  pipeline: { file: string; text: string } | undefined;
  allowCustomModules: boolean;
  logLevel: LogLevel;
}

/**
 * What a queue job does around processing (see workerSteps.ts). Without steps a job only
 * processes `job.input`.
 */
export interface QueueSteps {
  /** Claim first: move the inbox file `claim.from` to `job.input.path`, if no path of `mustBeFree` exists. */
  claim?: ClaimSource & { mustBeFree: string[] };
  /**
   * After processing, move `job.input.path` to one of these by outcome, then remove the
   * folders of underprocess/ that this left empty (up to `claimFolder`).
   */
  finish: { processed: string; failed: string; claimFolder: string };
}

export type ToWorker = { type: 'job'; id: number; job: FileJob; maxLineBytes: number; finalAttempt: boolean; steps?: QueueSteps };

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
  /** The claim was taken over by another instance before the results were committed: the work was thrown away. */
  | { type: 'fenced'; id: number; message: string }
  | { type: 'log'; level: Exclude<LogLevel, 'off'>; message: string };
