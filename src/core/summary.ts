// The per-file report of SPEC §4, written as results/<name>.summary.json.

import type { FileErrorCode } from './errors';
import type { NodeStats } from './pipeline/router';

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
  bytesIn: number;
  bytesOut: number;
  tags: Record<string, number>;
  nodes: Record<string, NodeStats>;
  processors: Record<string, Record<string, unknown>>;
  error?: FileErrorInfo;
}

export const SUMMARY_SUFFIX = '.summary.json';
