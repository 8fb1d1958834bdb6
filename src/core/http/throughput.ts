// The dashboard's throughput chart data for roots whose host keeps none (the CLI): every
// sample, the files/s and lines/s of each root since the previous one, for 15 minutes.

import type { ThroughputPoint } from '../../shared/protocol';
import type { MetricsCollector } from '../metrics';

const KEEP_MS = 15 * 60 * 1000;

export class ThroughputSampler {
  private readonly points = new Map<string, ThroughputPoint[]>();
  private readonly last = new Map<string, { t: number; files: number; lines: number }>();

  sample(roots: { root: string; metrics: MetricsCollector | undefined }[], now = Date.now()): void {
    for (const { root, metrics } of roots) {
      if (!metrics) continue;
      const files = metrics.processed + metrics.failed;
      const lines = metrics.linesProcessed;
      const previous = this.last.get(root);
      this.last.set(root, { t: now, files, lines });
      if (!previous) continue;
      const seconds = Math.max((now - previous.t) / 1000, 1e-3);
      const list = this.points.get(root) ?? [];
      list.push({ t: now, filesPerSec: round((files - previous.files) / seconds), linesPerSec: round((lines - previous.lines) / seconds) });
      while (list.length > 0 && list[0].t < now - KEEP_MS) list.shift();
      this.points.set(root, list);
    }
  }

  history(root: string): ThroughputPoint[] {
    return [...(this.points.get(root) ?? [])];
  }

  latest(root: string): ThroughputPoint | undefined {
    const list = this.points.get(root);
    return list?.[list.length - 1];
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
