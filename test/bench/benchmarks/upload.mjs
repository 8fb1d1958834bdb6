// upload: 1,000 50-line logs (200 with --quick; `fileflow samples … --seed 7`) sent to a running
// `fileflow watch ROOT --http 127.0.0.1:0` as raw POST /upload?name= requests over 8 keep-alive
// connections, against the same files copied into the inbox by a script (8 at a time, each
// written outside the inbox and renamed in, as a careful producer does) with the same watcher
// running (its HTTP server on and idle, so that the delivery path is the only difference).
// Time: from the first byte sent / copied until the watcher reports the last file finished.
// Both sides wait the default stabilityMs (500 ms) for every file; a fresh root for every run.
// Every file must end in processed/ with its result and summary (checkFileflowRoot), under its
// own name, and the results of both sides must be byte-identical.
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import * as path from 'node:path';
import { BenchFailure, fmt, timedSides } from '../lib/harness.mjs';
import { burstSamples, checkFileflowRoot, compareResults, noneLostRow, queueWorkDir, startWatcher } from '../lib/queue.mjs';

export const name = 'upload';
export const order = 235;
export const RATIO_TARGET = 1.5;
export const CONNECTIONS = 8;
export const target = `wall-time ratio ≤ ${RATIO_TARGET.toFixed(2)}× vs copying the files into the inbox`;
export const description = '1,000 uploads over 8 connections into a running watch --http vs a script copying the same files into the inbox';

const TOKEN = 'bench-upload-token-0123456789abcdef';
const FINISH_TIMEOUT_MS = 10 * 60_000;

function post(agent, port, fileName, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/upload?name=${encodeURIComponent(fileName)}`,
        agent,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode !== 201) return reject(new BenchFailure(`upload of ${fileName}: HTTP ${res.statusCode} ${text}`));
          const saved = JSON.parse(text).files[0].name;
          if (saved !== fileName) return reject(new BenchFailure(`upload of ${fileName} was saved as ${saved}`));
          resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `work(i)` for 0 ≤ i < count, `parallel` at a time. */
async function pool(count, parallel, work) {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await work(next++);
  }));
}

export async function run(ctx) {
  const count = ctx.quick ? 200 : 1000;
  const { dir: source, names } = await burstSamples(count);
  const bodies = await Promise.all(names.map((n) => readFile(path.join(source, n))));
  const { dir, cwd } = queueWorkDir(name); // cwd: no fileflow.pipeline.json, the built-in default pipeline
  const roots = {};
  const watchers = {};
  let round = 0;

  /** A fresh root and a running watcher with its HTTP server (untimed). */
  const prepare = async (side) => {
    round++;
    const root = path.join(dir, `${side}-${round}`);
    await mkdir(path.join(root, 'unprocessed'), { recursive: true });
    let finished = 0;
    let failed = 0;
    let allDone;
    const done = new Promise((resolve) => (allDone = resolve));
    const watcher = await startWatcher(root, ['--http', '127.0.0.1:0'], {
      cwd,
      env: { ...process.env, FILEFLOW_HTTP_TOKEN: TOKEN },
      onFinished: (ok) => {
        finished++;
        if (!ok) failed++;
        if (finished === count) allDone();
      },
    });
    const port = Number(/HTTP API and dashboard at http:\/\/127\.0\.0\.1:(\d+)\//.exec(watcher.stderr())?.[1]);
    if (!port) throw new BenchFailure(`no HTTP address in the watcher's output:\n${watcher.stderr()}`);
    roots[side] = root;
    watchers[side] = { watcher, port, done, failures: () => failed };
  };

  /** Waits for the last file, stops the watcher, checks the root. */
  const finish = async (side, started) => {
    const { watcher, done, failures } = watchers[side];
    let timer;
    const timedOut = await Promise.race([done.then(() => false), new Promise((resolve) => (timer = setTimeout(() => resolve(true), FINISH_TIMEOUT_MS)))]);
    clearTimeout(timer);
    const ms = performance.now() - started;
    await watcher.stop().finally(() => watcher.kill());
    if (timedOut) throw new BenchFailure(`${side}: not every file finished within ${FINISH_TIMEOUT_MS / 60000} min`);
    if (failures() > 0) throw new BenchFailure(`${side}: ${failures()} file(s) failed`);
    checkFileflowRoot(roots[side], names); // every file in processed/ with result and summary: none lost
    return { ms, cpuMs: null, maxRssKiB: null };
  };

  const result = await timedSides(
    ctx,
    {
      http: {
        label: `upload, ${CONNECTIONS} connections`,
        prepare: () => prepare('http'),
        run: async () => {
          const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
          const started = performance.now();
          try {
            await pool(count, CONNECTIONS, (i) => post(agent, watchers.http.port, names[i], bodies[i]));
          } finally {
            agent.destroy();
          }
          return finish('http', started);
        },
      },
      copy: {
        label: `copy into the inbox, ${CONNECTIONS} at a time`,
        prepare: () => prepare('copy'),
        run: async () => {
          const root = roots.copy;
          const staging = path.join(root, 'staging');
          await mkdir(staging, { recursive: true });
          const started = performance.now();
          await pool(count, CONNECTIONS, async (i) => {
            const temporary = path.join(staging, names[i]);
            await copyFile(path.join(source, names[i]), temporary);
            await rename(temporary, path.join(root, 'unprocessed', names[i]));
          });
          return finish('copy', started);
        },
      },
    },
    {
      verify: () => {
        compareResults(roots.copy, roots.http, names, 'copied into the inbox', 'uploaded');
        ctx.log(`all ${count} files processed on both sides, results byte-identical`);
      },
    },
  );
  const ratio = result.http.medianMs / result.copy.medianMs;
  const perSec = (side) => count / (side.medianMs / 1000);
  return {
    rows: [
      {
        what: `${count} files, first byte → last finished`,
        unit: 'ms',
        fileflow: result.http.medianMs,
        baseline: result.copy.medianMs,
        baselineName: 'copied into the inbox',
        ratio,
        target: `≤ ${RATIO_TARGET.toFixed(2)}×`,
        pass: ratio <= RATIO_TARGET,
      },
      {
        what: 'files/s (info)',
        unit: 'text',
        fileflow: perSec(result.http),
        baseline: perSec(result.copy),
        display: { fileflow: `${perSec(result.http).toFixed(0)} files/s`, baseline: `${perSec(result.copy).toFixed(0)} files/s` },
        ratio: null,
        target: 'info',
        pass: null,
      },
      noneLostRow(count, 'uploaded'),
    ],
    details: { files: count, connections: CONNECTIONS, http: result.http, copy: result.copy, note: `${fmt.ratio(ratio)}` },
  };
}
