// Numbers as people read them, the same in the CLI's summary, the metrics panel and the
// dashboard. Pure functions: imports nothing (the webview bundle takes it too).

/** Bytes in B, KiB, MiB or GiB. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A count that fits a card: "9,999", then "12.3 k", "4.5 M", "1.2 G". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toLocaleString('en-US');
}

/** "42 s", "3 min 5 s", "2 h 10 min". */
export function formatDuration(sec: number): string {
  if (sec < 60) return `${sec.toFixed(0)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${Math.floor(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}

/** [number, unit] of a duration in ms: "712" "ms", "1.48" "s", "12.0" "s". */
function msParts(ms: number): [string, string] {
  if (ms >= 10_000) return [(ms / 1000).toFixed(1), 's'];
  return ms >= 1000 ? [(ms / 1000).toFixed(2), 's'] : [String(Math.round(ms)), 'ms'];
}

/** A duration in ms, its number and unit joined by a no-break space. */
export function formatMs(ms: number): string {
  return msParts(ms).join('\u00a0');
}

/** "1.48 / 1.78 s": two durations sharing their unit when they can (fits a card's width). */
export function formatMsPair(a: number, b: number): string {
  const [x, xUnit] = msParts(a);
  const [y, yUnit] = msParts(b);
  return xUnit === yUnit ? `${x} / ${y}\u00a0${yUnit}` : `${formatMs(a)} / ${formatMs(b)}`;
}
