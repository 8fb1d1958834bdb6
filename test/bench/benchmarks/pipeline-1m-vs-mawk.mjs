// pipeline-1m-vs-mawk: the same seed-style transform as pipeline-1m, against an awk script
// (baselines/seedPipeline.awk) run by mawk. The data is ASCII with LF line ends, where mawk's
// ASCII-only toupper agrees with JavaScript's, so the outputs are checked byte-identical.
// Skipped with a message when mawk is missing and cannot be installed.
import * as path from 'node:path';
import { BENCH_DIR, cpuRow, ensureCommand, measure } from '../lib/harness.mjs';
import { timeSeedPipeline, wallTimeRow } from '../lib/seed.mjs';

export const name = 'pipeline-1m-vs-mawk';
export const RATIO_TARGET = 1.0;
export const target = 'wall-time ratio ≤ 1.00× (beat mawk)';
export const description = 'seed-style pipeline over the 1M-line log vs the same transform in mawk';

const AWK_SCRIPT = path.join(BENCH_DIR, 'baselines', 'seedPipeline.awk');

export async function run(ctx) {
  const missing = ensureCommand('mawk');
  if (missing) return { skipped: missing };
  const { lines, input, result } = await timeSeedPipeline(ctx, {
    benchmark: name,
    baselineName: 'mawk',
    baseOutName: 'mawk.txt',
    baseline: (input, awkOut) => measure({ cmd: 'mawk', args: ['-f', AWK_SCRIPT, input], stdout: awkOut, env: { LC_ALL: 'C' }, label: 'mawk seedPipeline.awk' }),
  });
  return {
    rows: [wallTimeRow(result, lines, 'mawk', RATIO_TARGET), cpuRow(result)],
    details: { input: path.relative(ctx.repo, input), linesIn: lines, fileflow: result.fileflow, mawk: result.baseline, ratio: result.ratio, cpuRatio: result.cpuRatio },
  };
}
