// Messages between the metrics panel's host (src/extension/metricsPanel.ts) and its webview
// (webview/main.ts): one typed union each way. The webview says `ready`; the host answers
// with a full `snapshot`, then sends `update`s at most a few times a second. The same page
// runs as the HTTP dashboard in a browser (webview/browserHost.ts), where the host is the
// server's event stream and a few more messages carry the file lists and their actions.

import type { MetricsSnapshot, PipelineShape } from './metrics';

export interface RootSummary {
  /** Absolute path of the queue root; its id in messages. */
  root: string;
  label: string;
  status: string;
  /** The instance whose figures the panel shows ("host:pid"), when it runs. */
  instance?: string;
  /** Other instances working the same root ("host:pid"); their files are not in these figures. */
  others?: string[];
}

/** One point of the throughput chart. */
export interface ThroughputPoint {
  /** ms since epoch */
  t: number;
  filesPerSec: number;
  linesPerSec: number;
}

export interface PanelState {
  roots: RootSummary[];
  /** The root shown, or undefined when nothing is watched. */
  selected: string | undefined;
  metrics: MetricsSnapshot | undefined;
  pipelines: PipelineShape[];
  /** The last 15 minutes, oldest first. */
  history: ThroughputPoint[];
}

export type FileListState = 'queued' | 'inProgress' | 'processed' | 'failed';

export interface FileListEntry {
  name: string;
  /** When the file entered its folder (ms since epoch). */
  time: number;
}

/** The newest files of each state of a root, and how many there are in all. */
export interface FileLists {
  counts: Record<FileListState, number>;
  files: Record<FileListState, FileListEntry[]>;
}

export type HostToWebview =
  | { type: 'snapshot'; state: PanelState }
  | { type: 'update'; roots: RootSummary[]; selected: string | undefined; metrics: MetricsSnapshot | undefined; point: ThroughputPoint | undefined }
  /** The dashboard only: the selected root's files by state (sent when they change). */
  | { type: 'files'; root: string; lists: FileLists };

/** What the webview shows, reported back so tests (and only tests) can compare numbers. */
export interface RenderedFigures {
  processed: number;
  failed: number;
  inProgress: number;
  queued: number;
  linesIn: number;
}

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'selectRoot'; root: string }
  | { type: 'openSummary'; root: string; file: string }
  /** The dashboard only (its file lists): show a processed file's result; retry a failed one. */
  | { type: 'openResult'; root: string; file: string }
  | { type: 'retry'; root: string; file: string }
  | { type: 'rendered'; figures: RenderedFigures };
