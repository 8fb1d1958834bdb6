// sizes: the minified bundles' sizes (after `npm run build:prod`, which `npm run bench` runs),
// read from the driver's snapshot of dist/. extension.js is loaded on every VS Code start
// (activation onStartupFinished), so it has a budget; the others are shown for information.
// The "baseline" is the budget itself (ratio = size ÷ budget). 1 KB = 1,000 bytes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CLI } from '../lib/harness.mjs';

export const name = 'sizes';
export const order = 240;
export const BUDGETS = { 'extension.js': 250_000 };
export const target = 'dist/extension.js ≤ 250 KB minified (others: info)';
export const description = 'minified bundle sizes: extension.js, worker.js, cli.js, http.js, webview/main.js';

const BUNDLES = ['extension.js', 'worker.js', 'cli.js', 'http.js', 'webview/main.js'];

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

export async function run() {
  const dist = path.dirname(CLI);
  const minified = !/\/\/# sourceMappingURL=/.test(readFileSync(CLI, 'utf8').slice(-300));
  const rows = [];
  const details = { minified, bundles: {} };
  for (const bundle of BUNDLES) {
    const file = path.join(dist, bundle);
    if (!existsSync(file)) {
      rows.push({ what: `dist/${bundle}`, unit: 'text', fileflow: null, baseline: null, display: { fileflow: 'missing', baseline: '—' }, ratio: null, target: 'info', pass: null });
      continue;
    }
    const bytes = statSync(file).size;
    const gzip = gzipSync(readFileSync(file), { level: 9 }).length;
    const budget = BUDGETS[bundle];
    details.bundles[bundle] = { bytes, gzipBytes: gzip, budget: budget ?? null };
    rows.push({
      what: `dist/${bundle}${minified ? '' : ' (NOT minified)'}`,
      unit: 'text',
      fileflow: bytes,
      baseline: budget ?? null,
      baselineName: budget ? 'budget' : undefined,
      display: { fileflow: `${kb(bytes)} (gzip ${kb(gzip)})`, baseline: budget ? kb(budget) : '—' },
      ratio: budget ? bytes / budget : null,
      target: budget ? `≤ ${kb(budget)}` : 'info',
      // A development build is bigger than what ships: judge only minified bundles.
      pass: budget && minified ? bytes <= budget : null,
    });
  }
  return { rows, details };
}
