// The per-file report (docs/results.md), written as results/<name>.summary.json.

import type { FileErrorCode } from './errors';
import type { Logger } from './logger';
import type { NodeStats } from '../shared/metrics';

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
