// The seed-style pipeline (number -> uppercase -> filter /important|error/i -> split on "|")
// over the generated log, as pipeline-1m and pipeline-1m-vs-mawk time it against their
// baselines: the input, the fileflow side, the check that both outputs are byte-identical, and
// the wall-time row. triage-1gb-memory and profile.mjs use the input size and files too.
import * as path from 'node:path';
import { BENCH_DIR, CLI, NODE, BenchFailure, checkSummary, compareFiles, fmt, measure, sampleLog, timedPair, workDir } from './harness.mjs';

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

/**
 * Times `fileflow run` of the seed pipeline against `baseline(input, baseOut)`, which must
 * write the same bytes to `baseOut` (a file named `baseOutName` in the benchmark's work
 * folder); both outputs are compared before timing. Returns the input, fileflow's output file
 * and timedPair's result.
 */
export async function timeSeedPipeline(ctx, { benchmark, baselineName, baseOutName, baseline }) {
  const lines = pipelineLines(ctx);
  const input = await sampleLog(lines, 7);
  const dir = workDir(benchmark);
  const ffDir = path.join(dir, 'fileflow');
  const ffOut = path.join(ffDir, path.basename(input));
  const baseOut = path.join(dir, baseOutName);
  const result = await timedPair(ctx, {
    baselineName,
    fileflow: () => runFileflowSeed(input, ffDir),
    baseline: () => baseline(input, baseOut),
    verify: () => {
      checkSummary(`${ffOut}.summary.json`, lines);
      const difference = compareFiles(baseOut, ffOut);
      if (difference) throw new BenchFailure(`OUTPUT MISMATCH between ${baselineName} and fileflow: ${difference}`);
      ctx.log('outputs are byte-identical');
    },
  });
  return { lines, input, ffOut, result };
}

/** The row that decides: median wall time of both sides, and the ratio against `ratioTarget`. */
export function wallTimeRow(result, lines, baselineName, ratioTarget) {
  return {
    what: `wall time, ${fmt.lines(lines)} lines`,
    unit: 'ms',
    fileflow: result.fileflow.medianMs,
    baseline: result.baseline.medianMs,
    baselineName,
    ratio: result.ratio,
    target: `≤ ${ratioTarget.toFixed(2)}×`,
    pass: result.ratio <= ratioTarget,
  };
}
