// Keeps the throughput chart's data: every 2 s, the files/s and lines/s of each running root
// over that interval, for the last 15 minutes. Cheap (two counters per root). The chart
// zooms in on short histories (webview/chartWindow.ts), so samples are frequent enough to
// draw a one-minute window.

import type { ThroughputPoint } from '../shared/protocol';
import type { QueueManager } from './queueManager';

const SAMPLE_MS = 2000;
const KEEP_MS = 15 * 60 * 1000;

export class MetricsHistory {
  private readonly points = new Map<string, ThroughputPoint[]>();
  private readonly last = new Map<string, { t: number; files: number; lines: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly manager: QueueManager) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  history(root: string): ThroughputPoint[] {
    return [...(this.points.get(root) ?? [])];
  }

  /** The newest point of a root, if any. */
  latest(root: string): ThroughputPoint | undefined {
    const points = this.points.get(root);
    return points?.[points.length - 1];
  }

  sample(now = Date.now()): void {
    for (const root of this.manager.list()) {
      if (!root.queue) continue;
      const m = root.queue.metrics;
      const files = m.processed + m.failed;
      const lines = m.linesProcessed;
      const previous = this.last.get(root.root);
      this.last.set(root.root, { t: now, files, lines });
      if (!previous) continue;
      const seconds = Math.max((now - previous.t) / 1000, 1e-3);
      const list = this.points.get(root.root) ?? [];
      list.push({ t: now, filesPerSec: round((files - previous.files) / seconds), linesPerSec: round((lines - previous.lines) / seconds) });
      while (list.length > 0 && list[0].t < now - KEEP_MS) list.shift();
      this.points.set(root.root, list);
    }
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
