// Which stretch of time the throughput chart shows: from the first sample (at least the last
// minute) up to 15 minutes, rounded up to a span with round tick labels. A fixed 15-minute
// window drew a burst a few seconds old as a few pixels at the right edge of an empty chart.

/** Spans the chart steps through as data accumulates, in minutes, with their tick marks. */
const SPANS: { minutes: number; ticks: number[] }[] = [
  { minutes: 1, ticks: [1, 0.5, 0] },
  { minutes: 2, ticks: [2, 1, 0] },
  { minutes: 5, ticks: [5, 4, 3, 2, 1, 0] },
  { minutes: 10, ticks: [10, 5, 0] },
  { minutes: 15, ticks: [15, 10, 5, 0] },
];

export const MAX_CHART_MINUTES = 15;

export interface ChartWindow {
  from: number;
  to: number;
  minutes: number;
  /** Tick marks, oldest first: where (ms since epoch) and the label ("-30 s", "-5 min", "now"). */
  ticks: { t: number; label: string }[];
}

/** The window for samples starting at `firstSample` (undefined: none yet), ending `now`. */
export function chartWindow(firstSample: number | undefined, now: number): ChartWindow {
  const ageMinutes = firstSample === undefined ? 0 : (now - firstSample) / 60_000;
  const span = SPANS.find((s) => s.minutes >= ageMinutes) ?? SPANS[SPANS.length - 1];
  return {
    from: now - span.minutes * 60_000,
    to: now,
    minutes: span.minutes,
    ticks: span.ticks.map((m) => ({ t: now - m * 60_000, label: tickLabel(m) })),
  };
}

function tickLabel(minutes: number): string {
  if (minutes === 0) return 'now';
  return minutes < 1 ? `-${Math.round(minutes * 60)} s` : `-${minutes} min`;
}
