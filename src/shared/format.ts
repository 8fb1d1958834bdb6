// Numbers as people read them, the same in the CLI's summary, the metrics panel and the
// dashboard. Pure functions: imports nothing (the webview bundle takes it too).

/** Bytes in B, KiB, MiB or GiB. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
