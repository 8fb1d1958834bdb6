// pipeline-1m: the seed-style pipeline (number -> uppercase -> filter /important|error/i ->
// split on "|") over a generated 1,000,000-line log, `fileflow run` against a hand-written
// Node script (baselines/seedPipeline.mjs). Both are timed as whole processes; both outputs
// must be byte-identical first.
import * as path from 'node:path';
import { BENCH_DIR, CLI, NODE, BenchFailure, checkSummary, compareFiles, cpuRow, fmt, measure, sampleLog, timedPair, workDir } from '../lib/harness.mjs';

export const name = 'pipeline-1m';
// Target (performance issue): fileflow at most 1.5× the hand-written script.
export const RATIO_TARGET = 1.5;
export const target = `wall-time ratio ≤ ${RATIO_TARGET.toFixed(2)}× vs hand-written Node`;
export const description = 'seed-style pipeline over a 1M-line generated log vs a hand-written Node script';

export const SEED_PIPELINE = path.join(BENCH_DIR, 'pipelines', 'seed.pipeline.json');
export const SEED_BASELINE = path.join(BENCH_DIR, 'baselines', 'seedPipeline.mjs');

/** Lines of the generated log: 1M, or 100k with --quick. */
export function pipelineLines(opts) {
  return opts.quick ? 100_000 : 1_000_000;
}

/** One `fileflow run` of the seed pipeline; the result lands in `${outDir}/${basename(input)}`. */
export function runFileflowSeed(input, outDir) {
  return measure({ cmd: NODE, args: [CLI, 'run', input, '--pipeline', SEED_PIPELINE, '--out', outDir], label: 'fileflow run' });
}

export async function run(ctx) {
  const lines = pipelineLines(ctx);
  const input = await sampleLog(lines, 7);
  const dir = workDir(name);
  const ffDir = path.join(dir, 'fileflow');
  const ffOut = path.join(ffDir, path.basename(input));
  const baseOut = path.join(dir, 'baseline.txt');

  const result = await timedPair(ctx, {
    baselineName: 'baseline',
    fileflow: () => runFileflowSeed(input, ffDir),
    baseline: () => measure({ cmd: NODE, args: [SEED_BASELINE, input, baseOut], label: 'baseline seedPipeline.mjs' }),
    verify: () => {
      checkSummary(`${ffOut}.summary.json`, lines);
      const difference = compareFiles(baseOut, ffOut);
      if (difference) throw new BenchFailure(`OUTPUT MISMATCH between baseline and fileflow: ${difference}`);
      ctx.log('outputs are byte-identical');
    },
  });
  const summary = checkSummary(`${ffOut}.summary.json`, lines);
  const bytesIn = summary.bytesIn;
  return {
    rows: [
      {
        what: `wall time, ${fmt.lines(lines)} lines`,
        unit: 'ms',
        fileflow: result.fileflow.medianMs,
        baseline: result.baseline.medianMs,
        baselineName: 'hand-written Node',
        ratio: result.ratio,
        target: `≤ ${RATIO_TARGET.toFixed(2)}×`,
        pass: result.ratio <= RATIO_TARGET,
      },
      cpuRow(result),
      {
        what: 'peak RSS (info)',
        unit: 'KiB',
        fileflow: result.fileflow.medianRssKiB,
        baseline: result.baseline.medianRssKiB,
        ratio: result.fileflow.medianRssKiB && result.baseline.medianRssKiB ? result.fileflow.medianRssKiB / result.baseline.medianRssKiB : null,
        target: 'info',
        pass: null,
      },
    ],
    details: {
      input: path.relative(ctx.repo, input),
      linesIn: lines,
      bytesIn,
      linesOut: summary.linesOut,
      bytesOut: summary.bytesOut,
      fileflowMBps: bytesIn / 1e6 / (result.fileflow.medianMs / 1000),
      baselineMBps: bytesIn / 1e6 / (result.baseline.medianMs / 1000),
      fileflow: result.fileflow,
      baseline: result.baseline,
      ratio: result.ratio,
      cpuRatio: result.cpuRatio,
    },
  };
}
