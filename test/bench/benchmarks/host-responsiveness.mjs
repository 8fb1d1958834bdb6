// host-responsiveness: the VS Code extension host's event-loop delay (p99) while the queue
// processes a 1 GB file and a 2,000-file burst, against the same host idle, measured inside a
// real VS Code by the manual host suite test/host/suite-bench (processing runs in workers, so
// the host thread should stay free). Needs the VS Code server of `npm run test:host`'s setup.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { markerFile } from '../../host/cache.mjs';

export const name = 'host-responsiveness';
export const order = 230;
export const target = 'p99 event-loop delay on the extension host ≤ 20 ms while processing';
export const description = 'extension host event-loop delay: idle vs a big file + a burst (real VS Code)';

export function skipReason() {
  return existsSync(markerFile) ? null : 'the test VS Code is not installed (run `node test/host/setup.mjs`)';
}

/** One run of the host probe suite; `http` turns the HTTP server on with a dashboard open. */
function probe(opts, { bigMB, burst, http }) {
  const out = path.join(tmpdir(), `fileflow-responsiveness-${process.pid}.json`);
  rmSync(out, { force: true });
  const result = spawnSync(process.execPath, ['test/host/launch.mjs', 'suite-bench'], {
    cwd: opts.repo,
    encoding: 'utf8',
    env: { ...process.env, FILEFLOW_BENCH_OUT: out, FILEFLOW_BENCH_BIG_MB: String(bigMB), FILEFLOW_BENCH_BURST: String(burst), FILEFLOW_BENCH_HTTP: http ? '1' : '0', FILEFLOW_HOST_TIMEOUT: '1800' },
  });
  if (result.status !== 0 || !existsSync(out)) {
    throw new Error(`the host probe failed (exit ${result.status}):\n${(result.stdout ?? '').slice(-2000)}${result.stderr ?? ''}`);
  }
  const figures = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  return figures;
}

export async function run(opts) {
  const bigMB = opts.quick ? 100 : 1024;
  const burst = opts.quick ? 200 : 2000;
  const figures = probe(opts, { bigMB, burst, http: false });
  // The same with the HTTP API on and a dashboard's event stream open (issue 11).
  const withHttp = probe(opts, { bigMB, burst, http: true });
  const row = (what, value, baseline, pass) => ({
    what,
    unit: 'text',
    fileflow: value,
    baseline,
    baselineName: 'idle host',
    display: { fileflow: `${value} ms`, baseline: `${baseline} ms` },
    ratio: null,
    target: pass === null ? 'info' : '≤ 20 ms',
    pass,
  });
  return {
    rows: [
      row(`p99 event-loop delay, ${bigMB} MB + ${burst} files`, figures.busy.p99, figures.idle.p99, figures.busy.p99 <= 20),
      row('max event-loop delay (info)', figures.busy.max, figures.idle.max, null),
      row(`processing time (info)`, Math.round(figures.busy.seconds * 1000), 0, null),
      row(`p99, same with the HTTP server on and a dashboard open (${withHttp.dashboardMessages} messages)`, withHttp.busy.p99, withHttp.idle.p99, withHttp.busy.p99 <= 20),
      row('max event-loop delay, HTTP on (info)', withHttp.busy.max, withHttp.idle.max, null),
    ],
    details: { ...figures, withHttp },
  };
}
