// authoring-typing: typing in a 300-line pipeline file while Preview Pipeline shows it over a
// sample, inside a real VS Code (the manual host suite test/host/suite-bench-authoring): the
// extension host's event-loop delay (p99) while typing with a 10 MB sample, against the same
// host idle and against typing with no preview; and the time from the last keystroke to the
// preview of the final text with a 1 MB sample. Needs the VS Code server of `npm run test:host`'s setup.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { markerFile } from '../../host/cache.mjs';

export const name = 'authoring-typing';
export const order = 240;
export const target = 'p99 event-loop delay ≤ 20 ms typing with a 10 MB sample previewed; preview ≤ 300 ms after the last key (1 MB)';
export const description = 'typing in a pipeline file with Preview Pipeline open (real VS Code)';

export function skipReason() {
  return existsSync(markerFile) ? null : 'the test VS Code is not installed (run `node test/host/setup.mjs`)';
}

export async function run(opts) {
  const out = path.join(tmpdir(), `fileflow-authoring-typing-${process.pid}.json`);
  rmSync(out, { force: true });
  const result = spawnSync(process.execPath, ['test/host/launch.mjs', 'suite-bench-authoring'], {
    cwd: opts.repo,
    encoding: 'utf8',
    env: { ...process.env, FILEFLOW_BENCH_OUT: out, FILEFLOW_BENCH_KEYSTROKES: opts.quick ? '20' : '40', FILEFLOW_HOST_TIMEOUT: '900' },
  });
  if (result.status !== 0 || !existsSync(out)) {
    throw new Error(`the host probe failed (exit ${result.status}):\n${(result.stdout ?? '').slice(-2000)}${result.stderr ?? ''}`);
  }
  const figures = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  const big = figures['10MB'];
  const small = figures['1MB'];
  const ms = (what, value, baseline, baselineName, target, pass) => ({
    what,
    unit: 'text',
    fileflow: value,
    baseline,
    baselineName,
    display: { fileflow: `${value} ms`, baseline: baseline === null ? '—' : `${baseline} ms` },
    ratio: null,
    target,
    pass,
  });
  return {
    rows: [
      ms('p99 event-loop delay typing, 10 MB sample previewed', big.typing.p99, big.idle.p99, 'same host idle', '≤ 20 ms', big.typing.p99 <= 20),
      ms('p99 event-loop delay typing, no preview (info)', figures.noPreview.typing.p99, null, '', 'info', null),
      ms('preview after the last keystroke, 1 MB sample', small.previewAfterLastKeyMs, small.sampleRunMs, 'one run of the sample', '≤ 300 ms', small.previewAfterLastKeyMs <= 300),
      ms('preview after the last keystroke, 10 MB sample (info)', big.previewAfterLastKeyMs, big.sampleRunMs, 'one run of the sample', 'info', null),
    ],
    details: figures,
  };
}
