// Messages between the queue (main thread) and its processing workers.

import type { PipelineShape } from '../../shared/metrics';
import type { ConfigIssue, FileErrorCode } from '../errors';
import type { LogLevel } from '../logger';
import type { FileJob } from '../processFile';
import type { FileSummary } from '../summary';

export interface WorkerSettings {
  /** Absolute path of the pipeline file; undefined for the built-in default. */
  pipelineFile: string | undefined;
  allowCustomModules: boolean;
  logLevel: LogLevel;
}

export type ToWorker =
  | { type: 'job'; id: number; job: FileJob; maxLineBytes: number; finalAttempt: boolean }
  | { type: 'reload'; settings: WorkerSettings };

export type FromWorker =
  | { type: 'ready'; pipelines: PipelineShape[] }
  /** The pipeline could not be loaded; `issues` when it is a configuration error. */
  | { type: 'startFailed'; message: string; file?: string; issues?: ConfigIssue[] }
  | { type: 'done'; id: number; summary: FileSummary }
  | { type: 'transient'; id: number; message: string; code: FileErrorCode; sysCode?: string }
  | { type: 'log'; level: Exclude<LogLevel, 'off'>; message: string };
