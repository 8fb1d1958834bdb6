// The human-readable metrics summary printed at the end of `run` and `watch`.

import type { MetricsSnapshot } from '../core/metrics';

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

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
