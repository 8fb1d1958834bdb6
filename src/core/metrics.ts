// Live metrics (docs/results.md, "Metrics snapshot"), fed with each finished file's summary. Bounded memory: latencies
// keep a window of the most recent files, throughput keeps one bucket per second for a minute.

import type { MetricsSnapshot, NodeStats, Rates, RecentError } from '../shared/metrics';
import type { FileSummary } from './summary';

export type { MetricsSnapshot, Rates, RecentError } from '../shared/metrics';

const LATENCY_WINDOW = 10_000;
const THROUGHPUT_WINDOW_SEC = 60;
const RECENT_ERRORS = 100;

interface Bucket {
  second: number;
  files: number;
  lines: number;
  bytes: number;
}

export class MetricsCollector {
  processed = 0;
  failed = 0;
  inProgress = 0;
  private queuedCount = 0;
  private waitingCount = 0;
  /** Since when files have been waiting without a break (undefined while none wait). */
  private waitingSince: number | undefined;
  /** When the last file finished (ms since epoch); undefined before the first. */
  lastFinishedAt: number | undefined;
  private linesIn = 0;
  private linesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly latencies: number[] = [];
  private latencyNext = 0;
  private latencyMax = 0;
  private readonly buckets: Bucket[] = [];
  private readonly nodes: Record<string, Record<string, NodeStats>> = {};
  private readonly edges: Record<string, Record<string, Record<string, number>>> = {};
  private readonly errors: RecentError[] = [];
  private readonly startedAt: number;
  private readonly cpuAtStart = process.cpuUsage();

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** Files waiting: in the inbox, being written, or handed to a worker but not claimed yet. */
  get queued(): number {
    return this.queuedCount;
  }

  set queued(count: number) {
    this.setCounts(count, this.inProgress);
  }

  /** Files waiting for a worker: the queued ones, and recovered files in underprocess/ not started yet. */
  get waiting(): number {
    return this.waitingCount;
  }

  /**
   * The queue's counts: `queued` files in the inbox, `inProgress` files in underprocess/, of
   * which `waitingInProgress` are recovered files a worker has not started yet. The stall
   * clock (stalledForMs) runs while any file waits for a worker.
   */
  setCounts(queued: number, inProgress: number, waitingInProgress = 0): void {
    const waiting = queued + waitingInProgress;
    if (waiting > 0 && this.waitingCount <= 0) this.waitingSince = this.now();
    else if (waiting <= 0) this.waitingSince = undefined;
    this.waitingCount = waiting;
    this.queuedCount = queued;
    this.inProgress = inProgress;
  }

  /**
   * How long files have been waiting while none finished (ms): 0 while nothing waits. The
   * HTTP /health check calls a queue stuck when this passes its limit.
   */
  stalledForMs(now = this.now()): number {
    if (this.waitingSince === undefined) return 0;
    return Math.max(0, now - Math.max(this.waitingSince, this.lastFinishedAt ?? -Infinity));
  }

  /** Records a finished file (processed or failed). */
  record(summary: FileSummary): void {
    this.lastFinishedAt = this.now();
    if (summary.status === 'processed') this.processed++;
    else this.failed++;
    this.linesIn += summary.linesIn;
    this.linesOut += summary.linesOut;
    this.bytesIn += summary.bytesIn;
    this.bytesOut += summary.bytesOut;
    this.addLatency(summary.latencyMs);
    this.addThroughput(summary);
    if (summary.pipeline !== null) {
      const totals = (this.nodes[summary.pipeline] ??= {});
      for (const [name, stats] of Object.entries(summary.nodes)) {
        const total = (totals[name] ??= { in: 0, out: 0, errors: 0, ms: 0 });
        total.in += stats.in;
        total.out += stats.out;
        total.errors += stats.errors;
        total.ms = Math.round((total.ms + stats.ms) * 1000) / 1000;
      }
      const edges = (this.edges[summary.pipeline] ??= {});
      for (const [from, targets] of Object.entries(summary.edges ?? {})) {
        const total = (edges[from] ??= {});
        for (const [to, count] of Object.entries(targets)) total[to] = (total[to] ?? 0) + count;
      }
    }
    if (summary.error) {
      this.errors.push({
        time: summary.finishedAt,
        file: summary.name,
        ...(summary.error.node === undefined ? {} : { node: summary.error.node }),
        ...(summary.error.line === undefined ? {} : { line: summary.error.line }),
        message: summary.error.message,
      });
      if (this.errors.length > RECENT_ERRORS) this.errors.shift();
    }
  }

  /** Input lines of finished files so far. */
  get linesProcessed(): number {
    return this.linesIn;
  }

  snapshot(): MetricsSnapshot {
    const now = this.now();
    const uptimeSec = Math.max((now - this.startedAt) / 1000, 1e-3);
    const done = this.processed + this.failed;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const cpu = process.cpuUsage(this.cpuAtStart);
    const memory = process.memoryUsage();
    return {
      time: new Date(now).toISOString(),
      uptimeSec: round(uptimeSec, 3),
      files: { processed: this.processed, failed: this.failed, inProgress: this.inProgress, queued: this.queued },
      successRate: done === 0 ? null : round(this.processed / done, 4),
      lines: { in: this.linesIn, out: this.linesOut },
      bytes: { in: this.bytesIn, out: this.bytesOut },
      throughput: {
        lastMinute: this.lastMinute(now, uptimeSec),
        sinceStart: {
          filesPerSec: round(done / uptimeSec, 2),
          linesPerSec: round(this.linesIn / uptimeSec, 1),
          bytesPerSec: round(this.bytesIn / uptimeSec, 1),
        },
      },
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        p99: percentile(sorted, 0.99),
        max: this.latencyMax,
        samples: sorted.length,
      },
      nodes: structuredClone(this.nodes),
      edges: structuredClone(this.edges),
      recentErrors: [...this.errors],
      process: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        cpuPercent: round(((cpu.user + cpu.system) / 1000 / (uptimeSec * 1000)) * 100, 1),
      },
    };
  }

  private addLatency(ms: number): void {
    if (this.latencies.length < LATENCY_WINDOW) this.latencies.push(ms);
    else this.latencies[this.latencyNext] = ms;
    this.latencyNext = (this.latencyNext + 1) % LATENCY_WINDOW;
    if (ms > this.latencyMax) this.latencyMax = ms;
  }

  private addThroughput(summary: FileSummary): void {
    const second = Math.floor(this.now() / 1000);
    let bucket = this.buckets[this.buckets.length - 1];
    if (!bucket || bucket.second !== second) {
      bucket = { second, files: 0, lines: 0, bytes: 0 };
      this.buckets.push(bucket);
      while (this.buckets.length > 0 && this.buckets[0].second <= second - THROUGHPUT_WINDOW_SEC) this.buckets.shift();
    }
    bucket.files++;
    bucket.lines += summary.linesIn;
    bucket.bytes += summary.bytesIn;
  }

  private lastMinute(now: number, uptimeSec: number): Rates {
    const from = Math.floor(now / 1000) - THROUGHPUT_WINDOW_SEC;
    let files = 0;
    let lines = 0;
    let bytes = 0;
    for (const bucket of this.buckets) {
      if (bucket.second <= from) continue;
      files += bucket.files;
      lines += bucket.lines;
      bytes += bucket.bytes;
    }
    const window = Math.min(THROUGHPUT_WINDOW_SEC, uptimeSec);
    return { filesPerSec: round(files / window, 2), linesPerSec: round(lines / window, 1), bytesPerSec: round(bytes / window, 1) };
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
