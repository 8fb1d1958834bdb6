// The per-file report (docs/results.md), written as results/<name>.summary.json: its shape,
// how it is built from a run's figures, and how a failed file's is written.

import { rmSync } from 'node:fs';
import type { FileErrorCode, FileProcessingError } from './errors';
import type { Logger } from './logger';
import type { FileJob } from './processFile';
import type { NodeStats } from '../shared/metrics';
import { commitFiles, writeTemporaryFile } from './util/atomicFile';

export type FileStatus = 'processed' | 'failed';

export interface FileErrorInfo {
  message: string;
  code: FileErrorCode;
  node?: string;
  line?: number;
}

export interface FileSummary {
  name: string;
  source: string;
  status: FileStatus;
  /** Null when the file failed before a pipeline was chosen. */
  pipeline: string | null;
  attempts: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  latencyMs: number;
  linesIn: number;
  linesOut: number;
  /** Input lines in which bytes not valid in the file's encoding were replaced with U+FFFD. */
  invalidLines: number;
  /** The file's bytes as stored (for gzip input, the compressed bytes). */
  bytesIn: number;
  bytesOut: number;
  tags: Record<string, number>;
  nodes: Record<string, NodeStats>;
  /** Lines sent from each node to each tag (for the pipeline graph of the metrics panel). */
  edges?: Record<string, Record<string, number>>;
  processors: Record<string, Record<string, unknown>>;
  error?: FileErrorInfo;
}

export const SUMMARY_SUFFIX = '.summary.json';

/** The one log line per finished file (info when processed, error when failed). */
export function logFileOutcome(logger: Logger, summary: FileSummary): void {
  if (summary.status === 'processed') {
    logger.info(`processed ${summary.name}: ${summary.linesIn} lines in, ${summary.linesOut} out, ${summary.durationMs} ms`);
  } else {
    const where = summary.error?.line === undefined ? '' : ` (line ${summary.error.line})`;
    logger.error(`failed ${summary.name}${where}: ${summary.error?.message}`);
  }
}

/** What a summary needs to know of its job. */
export type SummaryJob = Pick<FileJob, 'name' | 'source' | 'detectedAt' | 'attempt'>;

/** How far a failed file got before it failed, for its summary. */
export type FailurePartial = Partial<Pick<FileSummary, 'pipeline' | 'linesIn' | 'invalidLines' | 'bytesIn' | 'tags' | 'nodes' | 'processors'>>;

/**
 * Writes the summary of a file that failed (and removes any older result under its name:
 * a failed file has no result, and a stale one would mislead). Also used by the queue when
 * a file fails outside processFile, e.g. when its worker died.
 */
export async function recordFailure(
  job: FileJob,
  error: FileProcessingError,
  started: number = Date.now(),
  partial: FailurePartial = {},
  beforeCommit?: () => void,
): Promise<FileSummary> {
  const summary = failureSummary(job, error, started, partial);
  const summaryFile = await writeTemporaryFile(job.summaryPath, summaryText(summary), job.tempTag);
  await commitFiles([[summaryFile, job.summaryPath]], () => {
    beforeCommit?.();
    rmSync(job.resultPath, { force: true });
  });
  return summary;
}

/** The summary of a failed file, not written anywhere (recordFailure writes it). */
export function failureSummary(job: SummaryJob, error: FileProcessingError, started: number = Date.now(), partial: FailurePartial = {}): FileSummary {
  return makeSummary(job, started, {
    status: 'failed',
    pipeline: partial.pipeline ?? null,
    linesIn: partial.linesIn ?? 0,
    invalidLines: partial.invalidLines ?? 0,
    bytesIn: partial.bytesIn ?? 0,
    bytesOut: 0,
    linesOut: 0,
    tags: partial.tags ?? {},
    nodes: partial.nodes ?? {},
    processors: partial.processors ?? {},
    error: {
      message: error.message,
      code: error.code,
      ...(error.node === undefined ? {} : { node: error.node }),
      ...(error.line === undefined ? {} : { line: error.line }),
    },
  });
}

/** The figures of a run that a summary reports. */
export type Outcome = Pick<
  FileSummary,
  'status' | 'pipeline' | 'linesIn' | 'linesOut' | 'invalidLines' | 'bytesIn' | 'bytesOut' | 'tags' | 'nodes' | 'edges' | 'processors' | 'error'
>;

/** A summary from a finished (or failed) run's figures; times are measured from `started`. */
export function makeSummary(job: SummaryJob, started: number, outcome: Outcome): FileSummary {
  const finished = Date.now();
  const { error, ...rest } = outcome;
  return {
    name: job.name,
    source: job.source,
    status: rest.status,
    pipeline: rest.pipeline,
    attempts: job.attempt ?? 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    latencyMs: finished - (job.detectedAt ?? started),
    linesIn: rest.linesIn,
    linesOut: rest.linesOut,
    invalidLines: rest.invalidLines,
    bytesIn: rest.bytesIn,
    bytesOut: rest.bytesOut,
    tags: rest.tags,
    nodes: rest.nodes,
    ...(rest.edges ? { edges: rest.edges } : {}),
    processors: rest.processors,
    ...(error ? { error } : {}),
  };
}

/** A summary as written to disk: pretty JSON with a final newline. */
export function summaryText(summary: FileSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
