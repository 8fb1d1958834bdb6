// triage-1gb-memory: the built-in default pipeline (log triage; no --pipeline, run in a folder
// without fileflow.pipeline.json) over a ~1 GB log made by repeating the generated samples.
// Measures fileflow's peak RSS, which must stay under 150 MiB and flat as the file grows (so
// it is measured at 1/10th of the size too), and throughput in MB/s. The baseline is the
// same triage written by hand (baselines/triage.mjs); outputs are checked byte-identical.
// Only with --big (1 GB and 100 MB) or --quick (100 MB and 10 MB).
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  BENCH_DIR,
  CLI,
  NODE,
  BenchFailure,
  checkSummary,
  compareFiles,
  cpuRow,
  fmt,
  measure,
  repeatedFile,
  sampleLog,
  timedPair,
  workDir,
} from '../lib/harness.mjs';
import { pipelineLines } from '../lib/seed.mjs';

export const name = 'triage-1gb-memory';
export const RSS_TARGET_MIB = 150;
// "Flat": ten times the input may cost at most this much more peak RSS.
const FLAT_GROWTH = 0.15;
const FLAT_SLACK_MIB = 10;
const BASELINE_SLACK_MIB = 5;
export const target = `peak RSS ≤ ${RSS_TARGET_MIB} MiB, flat vs file size`;
export const description = 'default log-triage pipeline over ~1 GB (and 1/10th): peak RSS and MB/s vs hand-written Node';

const BASELINE = path.join(BENCH_DIR, 'baselines', 'triage.mjs');

/** Returns a reason to skip, or null to run. */
export function skipReason(ctx) {
  return ctx.big || ctx.quick ? null : 'large input: run with --big (1 GB) or --quick (~100 MB)';
}

export async function run(ctx) {
  const full = ctx.quick ? 100e6 : 1e9;
  const source = await sampleLog(pipelineLines(ctx), 7);
  const dir = workDir(name);
  // A folder with no fileflow.pipeline.json, so `run` takes the built-in default pipeline.
  const cwd = path.join(dir, 'cwd');
  mkdirSync(cwd, { recursive: true });

  const sizes = [];
  for (const bytes of [full / 10, full]) {
    const input = repeatedFile(source, bytes, 'triage');
    const ffDir = path.join(dir, 'fileflow');
    const ffOut = path.join(ffDir, path.basename(input));
    const baseOut = path.join(dir, 'baseline.txt');
    ctx.log(`input ${fmt.bytes(bytes)}: ${path.relative(ctx.repo, input)}`);
    const result = await timedPair(ctx, {
      baselineName: 'baseline',
      fileflow: () => measure({ cmd: NODE, args: [CLI, 'run', input, '--out', ffDir], cwd, label: 'fileflow run (default pipeline)' }),
      baseline: () => measure({ cmd: NODE, args: [BASELINE, input, baseOut], cwd, label: 'baseline triage.mjs' }),
      verify: () => {
        const summary = checkSummary(`${ffOut}.summary.json`);
        if (summary.pipeline !== 'logs') throw new BenchFailure(`expected the built-in "logs" pipeline, got "${summary.pipeline}"`);
        const difference = compareFiles(baseOut, ffOut);
        if (difference) throw new BenchFailure(`OUTPUT MISMATCH between baseline and fileflow: ${difference}`);
        ctx.log('outputs are byte-identical');
      },
    });
    if (result.fileflow.medianRssKiB === null) throw new BenchFailure('peak RSS could not be measured (no /usr/bin/time, no preload)');
    const summary = checkSummary(`${ffOut}.summary.json`);
    sizes.push({ bytes: summary.bytesIn, linesIn: summary.linesIn, linesOut: summary.linesOut, ...result });
  }
  const [tenth, whole] = sizes;

  const rows = [];
  for (const size of sizes) {
    rows.push({
      what: `peak RSS, ${fmt.bytes(size.bytes)}`,
      unit: 'KiB',
      fileflow: size.fileflow.medianRssKiB,
      baseline: size.baseline.medianRssKiB,
      baselineName: 'hand-written Node',
      ratio: size.fileflow.medianRssKiB / size.baseline.medianRssKiB,
      target: `≤ ${RSS_TARGET_MIB} MiB`,
      pass: size.fileflow.medianRssKiB / 1024 <= RSS_TARGET_MIB,
    });
  }
  const growth = (s) => (whole[s].medianRssKiB - tenth[s].medianRssKiB) / 1024;
  const ffGrowth = growth('fileflow');
  // V8 lets the heap grow for a while before it collects harder, so even the hand-written
  // streaming script gains some MiB with 10× the input (most at small sizes, where start-up
  // dominates); "flat" allows that much (+5 MiB), or 15 % / 10 MiB, whichever is larger.
  const allowed = Math.max(FLAT_SLACK_MIB, (tenth.fileflow.medianRssKiB / 1024) * FLAT_GROWTH, growth('baseline') + BASELINE_SLACK_MIB);
  rows.push({
    what: 'peak RSS growth, 10× input',
    unit: 'text',
    fileflow: ffGrowth,
    baseline: growth('baseline'),
    display: { fileflow: signedMiB(ffGrowth), baseline: signedMiB(growth('baseline')) },
    ratio: null,
    target: `flat (≤ +${allowed.toFixed(0)} MiB)`,
    pass: ffGrowth <= allowed,
  });
  for (const size of sizes) {
    const ffMBps = size.bytes / 1e6 / (size.fileflow.medianMs / 1000);
    const baseMBps = size.bytes / 1e6 / (size.baseline.medianMs / 1000);
    rows.push({
      what: `throughput, ${fmt.bytes(size.bytes)}`,
      unit: 'MB/s',
      fileflow: ffMBps,
      baseline: baseMBps,
      baselineName: 'hand-written Node',
      // As everywhere: fileflow's cost ÷ the baseline's (here wall time), lower is better.
      ratio: size.ratio,
      target: 'info',
      pass: null,
    });
  }
  rows.push(cpuRow(whole, `cpu time user+sys, ${fmt.bytes(whole.bytes)} (info)`));
  return {
    rows,
    details: {
      sizes: sizes.map((s) => ({
        bytesIn: s.bytes,
        linesIn: s.linesIn,
        linesOut: s.linesOut,
        fileflowMBps: s.bytes / 1e6 / (s.fileflow.medianMs / 1000),
        baselineMBps: s.bytes / 1e6 / (s.baseline.medianMs / 1000),
        fileflow: s.fileflow,
        baseline: s.baseline,
        timeRatio: s.ratio,
        cpuRatio: s.cpuRatio,
      })),
      fileflowRssGrowthMiB: ffGrowth,
      flatAllowanceMiB: allowed,
    },
  };
}

function signedMiB(value) {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)} MiB`;
}
