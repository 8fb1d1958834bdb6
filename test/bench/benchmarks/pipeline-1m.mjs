// pipeline-1m: the seed-style pipeline (number -> uppercase -> filter /important|error/i ->
// split on "|") over a generated 1,000,000-line log, `fileflow run` against a hand-written
// Node script (baselines/seedPipeline.mjs). Both are timed as whole processes; both outputs
// must be byte-identical first.
import * as path from 'node:path';
import { NODE, checkSummary, cpuRow, measure } from '../lib/harness.mjs';
import { SEED_BASELINE, timeSeedPipeline, wallTimeRow } from '../lib/seed.mjs';

export const name = 'pipeline-1m';
// Target (performance issue): fileflow at most 1.5× the hand-written script.
export const RATIO_TARGET = 1.5;
export const target = `wall-time ratio ≤ ${RATIO_TARGET.toFixed(2)}× vs hand-written Node`;
export const description = 'seed-style pipeline over a 1M-line generated log vs a hand-written Node script';

export async function run(ctx) {
  const { lines, input, ffOut, result } = await timeSeedPipeline(ctx, {
    benchmark: name,
    baselineName: 'baseline',
    baseOutName: 'baseline.txt',
    baseline: (input, baseOut) => measure({ cmd: NODE, args: [SEED_BASELINE, input, baseOut], label: 'baseline seedPipeline.mjs' }),
  });
  const summary = checkSummary(`${ffOut}.summary.json`, lines);
  const bytesIn = summary.bytesIn;
  return {
    rows: [
      wallTimeRow(result, lines, 'hand-written Node', RATIO_TARGET),
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
