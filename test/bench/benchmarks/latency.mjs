// latency: a running `fileflow watch ROOT` (default stabilityMs 500, default concurrency,
// built-in default pipeline) gets one 50-line log every 20 ms for 10 s (4 s with --quick).
// Each file is written under a temporary name outside the inbox (ROOT/staging/) and renamed in,
// so it appears complete. Latency of a file = from that rename until the original arrives in
// processed/ — the last step: its result and summary are written before the original moves
// (docs/queue.md), which is checked for every file at the end. Arrivals are seen with fs.watch
// (inotify) on processed/. Also shown: the summaries' own latencyMs (detection → finish),
// and the same for files written directly into the inbox (information).
//
// The baseline is stabilityMs itself: a file cannot be taken before it has been still that
// long, so what counts is p95 − stabilityMs. Target: p95 ≤ stabilityMs + 50 ms.
import { mkdirSync, readFileSync, renameSync, watch, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BenchFailure, fmt, median } from '../lib/harness.mjs';
import { burstFiles, burstSamples, checkFileflowRoot, percentile, queueWorkDir, startWatcher } from '../lib/queue.mjs';

export const name = 'latency';
export const order = 220;
export const STABILITY_MS = 500; // fileflow's default; the watcher runs with defaults
export const SLACK_MS = 50;
const INTERVAL_MS = 20;
export const target = `p95 latency ≤ stabilityMs + ${SLACK_MS} ms (drop → original in processed/)`;
export const description = 'one file every 20 ms into a running watcher: drop → processed latency p50/p95/max minus stabilityMs';

const SETTLE_TIMEOUT_MS = 60_000;

/** One run: a fresh watcher, files dropped every INTERVAL_MS for durationMs. */
async function dropRun(ctx, { dir, cwd, contents, durationMs, mode, round }) {
  const root = path.join(dir, `${mode}-${round}`);
  const staging = path.join(root, 'staging');
  const inbox = path.join(root, 'unprocessed');
  const processed = path.join(root, 'processed');
  for (const folder of [staging, inbox, processed]) mkdirSync(folder, { recursive: true });

  const dropped = new Map(); // name -> drop time (performance.now())
  const done = new Map(); // name -> arrival in processed/
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  let dropping = true;
  const watcher = watch(processed, (event, file) => {
    if (!file || done.has(file) || !dropped.has(file)) return;
    done.set(file, performance.now());
    if (!dropping && done.size === dropped.size) allDone();
  });
  const queue = await startWatcher(root, [], { cwd });
  try {
    const started = performance.now();
    let i = 0;
    while (performance.now() - started < durationMs) {
      const fileName = `drop-${String(++i).padStart(5, '0')}.log`;
      const content = contents[i % contents.length];
      if (mode === 'rename') {
        const temporary = path.join(staging, fileName);
        writeFileSync(temporary, content);
        renameSync(temporary, path.join(inbox, fileName));
        dropped.set(fileName, performance.now());
      } else {
        dropped.set(fileName, performance.now());
        writeFileSync(path.join(inbox, fileName), content);
      }
      // Next drop at the next multiple of INTERVAL_MS (no drift from slow iterations).
      const next = started + i * INTERVAL_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    dropping = false;
    if (done.size === dropped.size) allDone();
    const timedOut = await Promise.race([finished.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), SETTLE_TIMEOUT_MS).unref())]);
    if (timedOut) {
      throw new BenchFailure(`${mode}: only ${done.size} of ${dropped.size} dropped files reached processed/ within ${SETTLE_TIMEOUT_MS / 1000} s`);
    }
  } finally {
    watcher.close();
    await queue.stop().finally(() => queue.kill());
  }
  const names = [...dropped.keys()];
  checkFileflowRoot(root, names); // result + summary for every file, nothing left behind
  const latencies = names.map((n) => done.get(n) - dropped.get(n));
  const summaryLatencies = names.map((n) => JSON.parse(readFileSync(path.join(root, 'results', `${n}.summary.json`), 'utf8')).latencyMs);
  const stats = (list) => ({ p50: percentile(list, 50), p95: percentile(list, 95), max: Math.max(...list) });
  const result = { files: names.length, dropToProcessed: stats(latencies), summaryLatencyMs: stats(summaryLatencies) };
  const d = result.dropToProcessed;
  ctx.log(
    `${mode} run ${round}: ${names.length} files, drop → processed p50 ${fmt.ms(d.p50)}, p95 ${fmt.ms(d.p95)}, max ${fmt.ms(d.max)}; ` +
      `summary latencyMs p95 ${result.summaryLatencyMs.p95} ms`,
  );
  return result;
}

export async function run(ctx) {
  const durationMs = ctx.quick ? 4000 : 10_000;
  const { dir: source, names } = await burstSamples(burstFiles(ctx));
  const contents = names.slice(0, 200).map((n) => readFileSync(path.join(source, n)));
  const { dir, cwd } = queueWorkDir(name);

  const runs = { rename: [], direct: [] };
  ctx.log(`${ctx.runs} run(s) of each mode, ${durationMs / 1000} s of drops every ${INTERVAL_MS} ms; watcher with default stabilityMs (${STABILITY_MS} ms)`);
  for (let round = 1; round <= ctx.runs; round++) {
    for (const mode of ['rename', 'direct']) runs[mode].push(await dropRun(ctx, { dir, cwd, contents, durationMs, mode, round }));
  }
  const med = (mode, key, stat) => median(runs[mode].map((r) => r[key][stat]));
  const row = (what, mode, key, stat, judged) => {
    const value = med(mode, key, stat);
    const over = value - STABILITY_MS;
    return {
      what,
      unit: 'text',
      fileflow: value,
      baseline: STABILITY_MS,
      baselineName: 'stabilityMs',
      display: { fileflow: `${fmt.ms(value)} (${over >= 0 ? '+' : ''}${Math.round(over)} ms)`, baseline: `${STABILITY_MS} ms` },
      ratio: value / STABILITY_MS,
      target: judged ? `≤ +${SLACK_MS} ms` : 'info',
      pass: judged ? over <= SLACK_MS : null,
    };
  };
  return {
    rows: [
      row('p50 drop → processed', 'rename', 'dropToProcessed', 'p50', false),
      row('p95 drop → processed', 'rename', 'dropToProcessed', 'p95', true),
      row('max drop → processed (info)', 'rename', 'dropToProcessed', 'max', false),
      row('p95 summary latencyMs (info)', 'rename', 'summaryLatencyMs', 'p95', false),
      row('p95, written in place (info)', 'direct', 'dropToProcessed', 'p95', false),
    ],
    details: { durationMs, intervalMs: INTERVAL_MS, stabilityMs: STABILITY_MS, runs },
  };
}
