// The metrics snapshot (docs/results.md), as it crosses boundaries (CLI --json, the metrics panel's
// messages, HTTP /stats). Types only; imports nothing.

export interface NodeStats {
  in: number;
  out: number;
  errors: number;
  ms: number;
}

export interface Rates {
  filesPerSec: number;
  linesPerSec: number;
  bytesPerSec: number;
}

export interface RecentError {
  time: string;
  file: string;
  node?: string;
  line?: number;
  message: string;
}

export interface MetricsSnapshot {
  time: string;
  uptimeSec: number;
  files: { processed: number; failed: number; inProgress: number; queued: number };
  /** processed / (processed + failed); null before the first file finishes. */
  successRate: number | null;
  lines: { in: number; out: number };
  bytes: { in: number; out: number };
  throughput: { lastMinute: Rates; sinceStart: Rates };
  /** From detection to finish, over the most recent files (max over all). */
  latencyMs: { p50: number; p95: number; p99: number; max: number; samples: number };
  /** Per pipeline, per node: totals over all files. */
  nodes: Record<string, Record<string, NodeStats>>;
  /** Per pipeline: lines sent from node to tag (`end` included), totals over all files. */
  edges: Record<string, Record<string, Record<string, number>>>;
  recentErrors: RecentError[];
  process: { rssBytes: number; heapUsedBytes: number; cpuPercent: number };
}

/** A pipeline's shape, for drawing it: nodes in declaration order and the tags they can emit. */
export interface PipelineShape {
  name: string;
  start: string;
  nodes: { name: string; use: string; kind: string; tags: string[] }[];
}
