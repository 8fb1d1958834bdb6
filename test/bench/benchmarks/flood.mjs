// flood: 20,000 files (2,000 with --quick; 50-line logs) dropped as fast as possible into a
// running `fileflow watch ROOT` (defaults: stabilityMs 500, one worker per CPU, built-in
// default pipeline). Each file is written under a temporary name outside the inbox and renamed
// in, as a producer would. Checks that every file is processed and none is lost (processed/,
// results/ and summaries counted at the end; a loss fails loudly), reports files/s from the
// first drop until the watcher reported the last file finished, and samples the watcher's
// resident memory (VmRSS of /proc/PID/status, all threads) every 250 ms: the peak, and whether
// it stays flat — RSS when a quarter of the files were done (5k of 20k) against at the end.
//
// The throughput baseline is baselines/burstQueue.mjs (8 in flight) over the same number of
// files already in its inbox: what plain Node gets through the same steps. Information only;
// memory flatness is the target.
import { mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NODE, fmt, measure, median } from '../lib/harness.mjs';
import { BASELINES, NODE_IN_FLIGHT, OLD_FILE_AGE_MS, burstFiles, burstSamples, checkBaselineRoot, checkFileflowRoot, noneLostRow, queueWorkDir, rssKiB, startWatcher } from '../lib/queue.mjs';

export const name = 'flood';
export const order = 230;
const SAMPLE_EVERY_MS = 250;
// "Flat": from a quarter of the files to all of them, RSS may grow by at most this much.
const FLAT_SLACK_MIB = 10;
const FLAT_GROWTH = 0.15;
const FINISH_TIMEOUT_MS = 20 * 60_000;
export const target = `no file lost; watcher RSS flat (≤ +${FLAT_SLACK_MIB} MiB or ${FLAT_GROWTH * 100} %) from ¼ of the files to all`;
export const description = '20,000 files dropped at once into a running watcher: all processed, files/s, watcher RSS over time';

/** Runs of the flood: it takes minutes, so at most 3. */
function floodRuns(ctx) {
  return Math.min(ctx.runs, 3);
}

function fileName(i) {
  return `flood-${String(i).padStart(5, '0')}.log`;
}

async function floodRun(ctx, { dir, cwd, contents, count, round }) {
  const root = path.join(dir, `fileflow-${round}`);
  const staging = path.join(root, 'staging');
  const inbox = path.join(root, 'unprocessed');
  mkdirSync(staging, { recursive: true });
  mkdirSync(inbox, { recursive: true });

  let finished = 0;
  let failed = 0;
  let lastAt = 0;
  let allDone;
  const done = new Promise((resolve) => (allDone = resolve));
  const queue = await startWatcher(root, [], {
    cwd,
    onFinished: (ok) => {
      finished++;
      if (!ok) failed++;
      lastAt = performance.now();
      if (finished === count) allDone();
    },
  });
  const samples = [];
  const sample = () => {
    const rss = rssKiB(queue.pid);
    if (rss !== null) samples.push({ ms: Math.round(performance.now() - started), rssKiB: rss, finished });
  };
  const started = performance.now();
  sample();
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  let dropMs;
  try {
    // Drop: write under a temporary name, rename into the inbox; yield now and then so that
    // the memory sampler keeps its rhythm.
    for (let i = 1; i <= count; i++) {
      const temporary = path.join(staging, fileName(i));
      writeFileSync(temporary, contents[i % contents.length]);
      renameSync(temporary, path.join(inbox, fileName(i)));
      if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    dropMs = performance.now() - started;
    const timedOut = await Promise.race([done.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), FINISH_TIMEOUT_MS).unref())]);
    sample();
    if (timedOut) ctx.log(`only ${finished} of ${count} files were reported finished within ${FINISH_TIMEOUT_MS / 60000} min`);
  } finally {
    clearInterval(sampler);
    await queue.stop().finally(() => queue.kill());
  }
  const names = Array.from({ length: count }, (_, i) => fileName(i + 1));
  checkFileflowRoot(root, names); // counts processed/, results and summaries: a lost file fails loudly
  const totalMs = lastAt - started;
  const rssWhen = (fraction) => (samples.find((s) => s.finished >= count * fraction) ?? samples[samples.length - 1]).rssKiB;
  const result = {
    files: count,
    failed,
    dropMs,
    totalMs,
    filesPerSec: count / (totalMs / 1000),
    peakRssKiB: Math.max(...samples.map((s) => s.rssKiB)),
    rssAtStartKiB: samples[0].rssKiB,
    rssQuarterKiB: rssWhen(0.25),
    rssEndKiB: rssWhen(1),
    samples,
  };
  ctx.log(
    `run ${round}: ${count} files dropped in ${fmt.ms(dropMs)}, all processed after ${fmt.ms(totalMs)} (${result.filesPerSec.toFixed(0)} files/s); ` +
      `RSS start ${fmt.mib(result.rssAtStartKiB)}, at ¼ ${fmt.mib(result.rssQuarterKiB)}, end ${fmt.mib(result.rssEndKiB)}, peak ${fmt.mib(result.peakRssKiB)}`,
  );
  return result;
}

async function baselineRun(ctx, { dir, cwd, contents, count }) {
  const root = path.join(dir, 'node');
  const inbox = path.join(root, 'unprocessed');
  mkdirSync(inbox, { recursive: true });
  const past = new Date(Date.now() - OLD_FILE_AGE_MS);
  for (let i = 1; i <= count; i++) {
    const file = path.join(inbox, fileName(i));
    writeFileSync(file, contents[i % contents.length]);
    utimesSync(file, past, past);
  }
  const result = await measure({ cmd: NODE, args: [path.join(BASELINES, 'burstQueue.mjs'), root, String(NODE_IN_FLIGHT)], cwd, label: 'baseline burstQueue.mjs' });
  checkBaselineRoot(root, Array.from({ length: count }, (_, i) => fileName(i + 1)), 'burstQueue.mjs');
  ctx.log(`baseline: ${count} files in ${fmt.ms(result.ms)} (${(count / (result.ms / 1000)).toFixed(0)} files/s), peak RSS ${fmt.mib(result.maxRssKiB ?? 0)}`);
  return result;
}

export async function run(ctx) {
  const count = ctx.quick ? 2000 : 20_000;
  const { dir: source, names } = await burstSamples(burstFiles(ctx));
  const contents = names.map((n) => readFileSync(path.join(source, n)));
  const { dir, cwd } = queueWorkDir(name);

  const runs = floodRuns(ctx);
  ctx.log(`${runs} run(s): ${count} files into a running watcher, then the baseline over ${count} queued files`);
  const floods = [];
  const baselines = [];
  for (let round = 1; round <= runs; round++) {
    floods.push(await floodRun(ctx, { dir, cwd, contents, count, round }));
    baselines.push(await baselineRun(ctx, { dir: path.join(dir, `baseline-${round}`), cwd, contents, count }));
  }
  const m = (key) => median(floods.map((f) => f[key]));
  const filesPerSec = m('filesPerSec');
  const baselineMs = median(baselines.map((b) => b.ms));
  const baselineFilesPerSec = count / (baselineMs / 1000);
  const baselineRss = baselines.every((b) => b.maxRssKiB !== null) ? median(baselines.map((b) => b.maxRssKiB)) : null;
  const quarter = m('rssQuarterKiB');
  const end = m('rssEndKiB');
  const growthMiB = (end - quarter) / 1024;
  const allowedMiB = Math.max(FLAT_SLACK_MIB, (quarter / 1024) * FLAT_GROWTH);
  const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} MiB`;
  return {
    rows: [
      noneLostRow(count, 'dropped'),
      {
        what: 'throughput, first drop → last finished (info)',
        unit: 'text',
        fileflow: filesPerSec,
        baseline: baselineFilesPerSec,
        baselineName: `Node script, queued, ${NODE_IN_FLIGHT} in flight`,
        display: { fileflow: `${filesPerSec.toFixed(0)} files/s`, baseline: `${baselineFilesPerSec.toFixed(0)} files/s` },
        ratio: baselineFilesPerSec / filesPerSec,
        target: 'info',
        pass: null,
      },
      {
        what: 'watcher peak RSS (info)',
        unit: 'KiB',
        fileflow: m('peakRssKiB'),
        baseline: baselineRss,
        baselineName: 'Node script',
        ratio: baselineRss ? m('peakRssKiB') / baselineRss : null,
        target: 'info',
        pass: null,
      },
      {
        what: `watcher RSS growth, ${count / 4} → ${count} files`,
        unit: 'text',
        fileflow: growthMiB,
        baseline: quarter / 1024,
        display: { fileflow: `${signed(growthMiB)} (${fmt.mib(quarter)} → ${fmt.mib(end)})`, baseline: '—' },
        ratio: null,
        target: `flat (≤ +${allowedMiB.toFixed(0)} MiB)`,
        pass: growthMiB <= allowedMiB,
      },
    ],
    details: {
      files: count,
      runs: floods,
      baselines: baselines.map((b) => ({ ms: b.ms, cpuMs: b.cpuMs, maxRssKiB: b.maxRssKiB })),
      filesPerSec,
      baselineFilesPerSec,
      rssGrowthMiB: growthMiB,
      flatAllowanceMiB: allowedMiB,
    },
  };
}
