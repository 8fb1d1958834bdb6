// pipeline-1m-vs-mawk: the same seed-style transform as pipeline-1m, against an awk script
// (baselines/seedPipeline.awk) run by mawk. The data is ASCII with LF line ends, where mawk's
// ASCII-only toupper agrees with JavaScript's, so the outputs are checked byte-identical.
// Skipped with a message when mawk is missing and cannot be installed.
import * as path from 'node:path';
import { BENCH_DIR, BenchFailure, checkSummary, compareFiles, cpuRow, ensureCommand, fmt, measure, sampleLog, timedPair, workDir } from '../lib/harness.mjs';
import { pipelineLines, runFileflowSeed } from './pipeline-1m.mjs';

export const name = 'pipeline-1m-vs-mawk';
export const RATIO_TARGET = 1.0;
export const target = 'wall-time ratio ≤ 1.00× (beat mawk)';
export const description = 'seed-style pipeline over the 1M-line log vs the same transform in mawk';

const AWK_SCRIPT = path.join(BENCH_DIR, 'baselines', 'seedPipeline.awk');

export async function run(ctx) {
  const missing = ensureCommand('mawk');
  if (missing) return { skipped: missing };
  const lines = pipelineLines(ctx);
  const input = await sampleLog(lines, 7);
  const dir = workDir(name);
  const ffDir = path.join(dir, 'fileflow');
  const ffOut = path.join(ffDir, path.basename(input));
  const awkOut = path.join(dir, 'mawk.txt');

  const result = await timedPair(ctx, {
    baselineName: 'mawk',
    fileflow: () => runFileflowSeed(input, ffDir),
    baseline: () =>
      measure({ cmd: 'mawk', args: ['-f', AWK_SCRIPT, input], stdout: awkOut, env: { LC_ALL: 'C' }, label: 'mawk seedPipeline.awk' }),
    verify: () => {
      checkSummary(`${ffOut}.summary.json`, lines);
      const difference = compareFiles(awkOut, ffOut);
      if (difference) throw new BenchFailure(`OUTPUT MISMATCH between mawk and fileflow: ${difference}`);
      ctx.log('outputs are byte-identical');
    },
  });
  return {
    rows: [
      {
        what: `wall time, ${fmt.lines(lines)} lines`,
        unit: 'ms',
        fileflow: result.fileflow.medianMs,
        baseline: result.baseline.medianMs,
        baselineName: 'mawk',
        ratio: result.ratio,
        target: `≤ ${RATIO_TARGET.toFixed(2)}×`,
        pass: result.ratio <= RATIO_TARGET,
      },
      cpuRow(result),
    ],
    details: { input: path.relative(ctx.repo, input), linesIn: lines, fileflow: result.fileflow, mawk: result.baseline, ratio: result.ratio, cpuRatio: result.cpuRatio },
  };
}
