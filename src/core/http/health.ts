// When a queue root counts as degraded: the host reports a problem, it is not running, or
// files have been waiting while none finished for longer than the limit. Shared by /health
// and the Prometheus `fileflow_degraded` gauge.

import type { HttpRoot } from './httpRoot';

export const DEFAULT_STUCK_AFTER_SEC = 300;

/** What is wrong with a root, one line each, prefixed with its label; empty when healthy. */
export function rootProblems(root: HttpRoot, stuckAfterMs: number, now = Date.now()): string[] {
  const reasons = root.problems().map((problem) => `${root.label}: ${problem}`);
  const metrics = root.metrics();
  const status = root.status();
  if (metrics === undefined) {
    if (status !== 'starting' && reasons.length === 0) reasons.push(`${root.label}: the queue is not running (${status})`);
    return reasons;
  }
  const stalledMs = metrics.stalledForMs(now);
  if (stalledMs > stuckAfterMs) {
    const paused = status === 'paused' ? ' (processing is paused)' : '';
    reasons.push(`${root.label}: ${metrics.waiting} file(s) waiting and none finished for ${Math.round(stalledMs / 1000)} s${paused}`);
  }
  return reasons;
}
