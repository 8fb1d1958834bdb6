// scaling: the burst (2,000 queued 50-line logs, `fileflow watch ROOT --once`, built-in default
// pipeline, inbox files dated an hour back) with --concurrency 1, 2 and 4, alternating. Reports
// files/s and the speed-up over concurrency 1 (the baseline: the same program on one worker).
// Target: with at least two cores, concurrency 2 is ≥ 1.8× as fast as concurrency 1.
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { timedSides } from '../lib/harness.mjs';
import { burstFiles, burstSamples, checkFileflowRoot, fillInbox, queueWorkDir, runFileflowOnce } from '../lib/queue.mjs';

export const name = 'scaling';
export const order = 210;
export const SPEEDUP_TARGET = 1.8;
export const LEVELS = [1, 2, 4];
export const target = `speed-up ≥ ${SPEEDUP_TARGET}× at --concurrency 2 vs 1 (on ≥ 2 cores)`;
export const description = 'the burst at --concurrency 1, 2, 4: files/s and speed-up over concurrency 1';

export async function run(ctx) {
  const count = burstFiles(ctx);
  const { dir: source, names } = await burstSamples(count);
  const { dir, cwd } = queueWorkDir(name);
  const sides = {};
  // A fresh root for every run, removed after the benchmark (see burst.mjs).
  let run = 0;
  for (const level of LEVELS) {
    let root;
    sides[`c${level}`] = {
      label: `concurrency ${level}`,
      prepare: () => {
        root = path.join(dir, `c${level}-${++run}`);
        fillInbox(root, source, names);
      },
      run: async () => {
        const sample = await runFileflowOnce(root, cwd, ['--concurrency', String(level)]);
        checkFileflowRoot(root, names);
        return sample;
      },
    };
  }
  const result = await timedSides(ctx, sides);
  const cores = availableParallelism();
  const one = result.c1;
  const filesPerSec = (side) => count / (side.medianMs / 1000);
  const rows = LEVELS.map((level) => {
    const side = result[`c${level}`];
    const speedup = one.medianMs / side.medianMs;
    const judged = level === 2 && cores >= 2;
    return {
      what: `--concurrency ${level}, ${count} files`,
      unit: 'text',
      fileflow: filesPerSec(side),
      baseline: filesPerSec(one),
      baselineName: 'concurrency 1',
      display: { fileflow: `${filesPerSec(side).toFixed(0)} files/s (×${speedup.toFixed(2)})`, baseline: `${filesPerSec(one).toFixed(0)} files/s` },
      // As everywhere: cost ÷ baseline cost (wall time), so 1 ÷ speed-up.
      ratio: side.medianMs / one.medianMs,
      target: judged ? `speed-up ≥ ${SPEEDUP_TARGET}×` : level === 2 ? `info (${cores} core)` : 'info',
      pass: judged ? speedup >= SPEEDUP_TARGET : null,
    };
  });
  rows.push({
    what: 'cpu time user+sys, c4 vs c1 (info)',
    unit: 'ms',
    fileflow: result.c4.medianCpuMs,
    baseline: one.medianCpuMs,
    ratio: result.c4.medianCpuMs && one.medianCpuMs ? result.c4.medianCpuMs / one.medianCpuMs : null,
    target: 'info',
    pass: null,
  });
  return {
    rows,
    details: {
      files: count,
      cores,
      levels: Object.fromEntries(
        LEVELS.map((level) => {
          const side = result[`c${level}`];
          return [level, { ...side, filesPerSec: filesPerSec(side), speedup: one.medianMs / side.medianMs }];
        }),
      ),
    },
  };
}
