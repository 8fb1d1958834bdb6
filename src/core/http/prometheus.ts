// GET /metrics: the metrics snapshot in the Prometheus text exposition format, through
// prom-client. Counters and gauges are read from each root's snapshot at scrape time (one
// snapshot per root per scrape); the latency and duration histograms are fed with every
// finished file while the server runs. Every fileflow_* series has a `root` label.

import { hostname } from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsSnapshot } from '../metrics';
import type { FileSummary } from '../summary';
import { rootProblems } from './health';
import type { HttpRoot, HttpRootSource } from './httpRoot';

/** Seconds: from 10 ms (a small file on a quiet queue) to 10 min (the default per-file limit). */
const SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

let processRegistry: Registry | undefined;

/** The process_* and nodejs_* metrics, collected once per process however many servers run. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class PrometheusMetrics {
  private readonly registry = new Registry();
  /** The snapshots of the scrape in progress (collect() callbacks read them). */
  private scrape = new Map<string, { root: HttpRoot; snapshot: MetricsSnapshot | undefined; stalledSec: number; degraded: boolean }>();
  private readonly latency: Histogram<'root'>;
  private readonly duration: Histogram<'root'>;

  constructor(
    private readonly source: HttpRootSource,
    private readonly options: { version: string; stuckAfterMs: number },
  ) {
    const registers = [this.registry];
    // prom-client calls collect() with the metric as `this`: the scrape is reached through this.
    const scrape = (): PrometheusMetrics['scrape'] => this.scrape;
    const each = (fill: (root: HttpRoot, snapshot: MetricsSnapshot) => void): void => {
      for (const { root, snapshot } of scrape().values()) if (snapshot) fill(root, snapshot);
    };
    new Gauge({
      name: 'fileflow_info',
      help: 'Fileflow version and instance (host:pid); always 1.',
      labelNames: ['version', 'instance'],
      registers,
      collect() {
        this.reset();
        this.set({ version: options.version, instance: `${hostname()}:${process.pid}` }, 1);
      },
    });
    new Gauge({
      name: 'fileflow_root_info',
      help: 'Each queue root served, with its label and status; always 1.',
      labelNames: ['root', 'label', 'status'],
      registers,
      collect() {
        this.reset();
        for (const { root } of scrape().values()) this.set({ root: root.root, label: root.label, status: root.status() }, 1);
      },
    });
    new Gauge({
      name: 'fileflow_up',
      help: 'Whether the queue of the root is running (1) or not (0).',
      labelNames: ['root'],
      registers,
      collect() {
        this.reset();
        for (const { root, snapshot } of scrape().values()) this.set({ root: root.root }, snapshot ? 1 : 0);
      },
    });
    new Gauge({
      name: 'fileflow_degraded',
      help: 'Whether /health reports the root as degraded (1): stuck, not running, or a problem such as an invalid pipeline file.',
      labelNames: ['root'],
      registers,
      collect() {
        this.reset();
        for (const { root, degraded } of scrape().values()) this.set({ root: root.root }, degraded ? 1 : 0);
      },
    });
    new Gauge({
      name: 'fileflow_stalled_seconds',
      help: 'How long files have been waiting while none finished (0 while nothing waits).',
      labelNames: ['root'],
      registers,
      collect() {
        this.reset();
        for (const { root, stalledSec } of scrape().values()) this.set({ root: root.root }, stalledSec);
      },
    });
    new Counter({
      name: 'fileflow_files_total',
      help: 'Files finished since the queue started, by status.',
      labelNames: ['root', 'status'],
      registers,
      collect() {
        this.reset();
        each((root, s) => {
          this.inc({ root: root.root, status: 'processed' }, s.files.processed);
          this.inc({ root: root.root, status: 'failed' }, s.files.failed);
        });
      },
    });
    new Gauge({
      name: 'fileflow_queue_files',
      help: 'Files waiting (queued) and being processed (in_progress) right now.',
      labelNames: ['root', 'state'],
      registers,
      collect() {
        this.reset();
        each((root, s) => {
          this.set({ root: root.root, state: 'queued' }, s.files.queued);
          this.set({ root: root.root, state: 'in_progress' }, s.files.inProgress);
        });
      },
    });
    const totals: [string, string, (s: MetricsSnapshot) => number][] = [
      ['fileflow_lines_in_total', 'Input lines of finished files.', (s) => s.lines.in],
      ['fileflow_lines_out_total', 'Lines written to results.', (s) => s.lines.out],
      ['fileflow_bytes_in_total', 'Input bytes of finished files.', (s) => s.bytes.in],
      ['fileflow_bytes_out_total', 'Bytes written to results.', (s) => s.bytes.out],
    ];
    for (const [name, help, value] of totals) {
      new Counter({
        name,
        help,
        labelNames: ['root'],
        registers,
        collect() {
          this.reset();
          each((root, s) => this.inc({ root: root.root }, value(s)));
        },
      });
    }
    new Gauge({
      name: 'fileflow_uptime_seconds',
      help: 'Seconds since the queue of the root started.',
      labelNames: ['root'],
      registers,
      collect() {
        this.reset();
        each((root, s) => this.set({ root: root.root }, s.uptimeSec));
      },
    });
    const nodeTotals: [string, string, (n: MetricsSnapshot['nodes'][string][string]) => number][] = [
      ['fileflow_node_lines_in_total', 'Lines delivered to each pipeline node.', (n) => n.in],
      ['fileflow_node_lines_out_total', 'Lines each pipeline node emitted.', (n) => n.out],
      ['fileflow_node_errors_total', 'Errors thrown by each pipeline node.', (n) => n.errors],
      ['fileflow_node_seconds_total', 'Time spent in each pipeline node.', (n) => n.ms / 1000],
    ];
    for (const [name, help, value] of nodeTotals) {
      new Counter({
        name,
        help,
        labelNames: ['root', 'pipeline', 'node'],
        registers,
        collect() {
          this.reset();
          each((root, s) => {
            for (const [pipeline, nodes] of Object.entries(s.nodes)) {
              for (const [node, stats] of Object.entries(nodes)) this.inc({ root: root.root, pipeline, node }, value(stats));
            }
          });
        },
      });
    }
    this.latency = new Histogram({
      name: 'fileflow_file_latency_seconds',
      help: 'From detection of a file to its finish (files finished while the HTTP server runs).',
      labelNames: ['root'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.duration = new Histogram({
      name: 'fileflow_file_duration_seconds',
      help: 'Processing time of a file (files finished while the HTTP server runs).',
      labelNames: ['root'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
  }

  /** Feeds the histograms with a finished file. */
  observe(root: string, summary: FileSummary): void {
    this.latency.observe({ root }, summary.latencyMs / 1000);
    this.duration.observe({ root }, summary.durationMs / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(now = Date.now()): Promise<string> {
    this.scrape = new Map(
      this.source.list().map((root) => {
        const metrics = root.metrics();
        return [
          root.root,
          {
            root,
            snapshot: metrics?.snapshot(),
            stalledSec: (metrics?.stalledForMs(now) ?? 0) / 1000,
            degraded: rootProblems(root, this.options.stuckAfterMs, now).length > 0,
          },
        ];
      }),
    );
    try {
      return (await this.registry.metrics()) + (await processMetrics().metrics());
    } finally {
      this.scrape = new Map();
    }
  }
}
