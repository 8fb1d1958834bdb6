// The throughput chart: files/s and lines/s over the chart's window (chartWindow.ts), two
// axes with round quarter lines, drawn as SVG into its container on every update and resize.

import { formatCount } from '../src/shared/format';
import type { ThroughputPoint } from '../src/shared/protocol';
import { chartWindow, MAX_CHART_MINUTES } from './chartWindow';
import { svg } from './dom';

/** The axis maximum: `value` rounded up to 1, 2, 4 or 8 × 10^n, so the quarter lines are round. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 8]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function renderChart(host: HTMLElement, history: ThroughputPoint[]): void {
  host.replaceChildren();
  const width = Math.max(320, host.clientWidth || 640);
  const height = 180;
  const pad = { left: 48, right: 56, top: 12, bottom: 24 };
  const now = Date.now();
  const recent = history.filter((p) => p.t >= now - MAX_CHART_MINUTES * 60_000);
  const { from, minutes, ticks } = chartWindow(recent[0]?.t, now);
  const points = recent.filter((p) => p.t >= from);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `throughput over the last ${minutes} minute(s)` }, host);
  const maxFiles = niceMax(Math.max(1, ...points.map((p) => p.filesPerSec)));
  const maxLines = niceMax(Math.max(1, ...points.map((p) => p.linesPerSec)));
  const x = (t: number): number => pad.left + ((t - from) / (now - from)) * (width - pad.left - pad.right);
  const yFiles = (v: number): number => height - pad.bottom - (v / maxFiles) * (height - pad.top - pad.bottom);
  const yLines = (v: number): number => height - pad.bottom - (v / maxLines) * (height - pad.top - pad.bottom);
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (i / 4) * (height - pad.top - pad.bottom);
    svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }, root);
    svg('text', { x: pad.left - 6, y: y + 4, class: 'axis files', 'text-anchor': 'end' }, root).textContent = formatCount(Math.round(maxFiles * (1 - i / 4) * 10) / 10);
    svg('text', { x: width - pad.right + 6, y: y + 4, class: 'axis lines' }, root).textContent = formatCount(Math.round(maxLines * (1 - i / 4)));
  }
  for (const tick of ticks) {
    svg('text', { x: x(tick.t), y: height - 6, class: 'axis', 'text-anchor': 'middle' }, root).textContent = tick.label;
  }
  if (points.length > 1) {
    const line = (y: (p: ThroughputPoint) => number): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
    svg('path', { d: line((p) => yLines(p.linesPerSec)), class: 'series lines' }, root);
    svg('path', { d: line((p) => yFiles(p.filesPerSec)), class: 'series files' }, root);
  } else {
    svg('text', { x: width / 2, y: height / 2, class: 'axis', 'text-anchor': 'middle' }, root).textContent = 'collecting…';
  }
}
