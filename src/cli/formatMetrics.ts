// The human-readable metrics summary printed at the end of `run` and `watch`.

import type { MetricsSnapshot } from '../core/metrics';
import { formatBytes } from '../shared/format';

export function formatMetrics(snapshot: MetricsSnapshot, resultsDir: string): string {
  const { files, lines, bytes, latencyMs, throughput } = snapshot;
  const rate = snapshot.successRate === null ? 'n/a' : `${(snapshot.successRate * 100).toFixed(1)} %`;
  return [
    `files:      ${files.processed} processed, ${files.failed} failed (success ${rate})`,
    `lines:      ${lines.in} in, ${lines.out} out; bytes: ${formatBytes(bytes.in)} in, ${formatBytes(bytes.out)} out`,
    `throughput: ${throughput.sinceStart.filesPerSec} files/s, ${Math.round(throughput.sinceStart.linesPerSec)} lines/s over ${snapshot.uptimeSec.toFixed(1)} s`,
    `latency:    p50 ${latencyMs.p50} ms, p95 ${latencyMs.p95} ms, p99 ${latencyMs.p99} ms, max ${latencyMs.max} ms`,
    `results:    ${resultsDir}`,
    '',
  ].join('\n');
}
