// Helpers for the folder-queue benchmarks (burst, scaling, instances, latency, flood, upload):
// filling a queue root's inbox, checking that every file went all the way through, comparing
// result folders, and running a long-lived `fileflow watch` whose memory can be sampled.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import { BENCH_DIR, BenchFailure, CLI, NODE, REPO, measure, sampleFolder, workDir } from './harness.mjs';

export const BASELINES = path.join(BENCH_DIR, 'baselines');

/** The burst's logs: 50 lines each, `fileflow samples … --seed 7`. */
export const BURST_LINES = 50;
export const BURST_SEED = 7;
/** Files the hand-written Node queue scripts keep in flight. */
export const NODE_IN_FLIGHT = 8;

/** Files in the burst: 2,000, or 500 with --quick. */
export function burstFiles(ctx) {
  return ctx.quick ? 500 : 2000;
}

/** `count` sample logs of the burst's kind (cached): their folder and sorted names. */
export function burstSamples(count) {
  return sampleFolder(count, BURST_LINES, BURST_SEED);
}

/**
 * The work folder of a queue benchmark, removed when the driver exits (see README.md), and in it
 * an empty `cwd/` to run fileflow in: no fileflow.pipeline.json there, so it takes the built-in
 * default pipeline.
 */
export function queueWorkDir(benchmark) {
  const dir = workDir(benchmark, { deferRemoval: true });
  const cwd = path.join(dir, 'cwd');
  mkdirSync(cwd, { recursive: true });
  return { dir, cwd };
}

/** `fileflow watch ROOT --once [args]`, timed as a whole process, in a folder with no pipeline file. */
export function runFileflowOnce(root, cwd, args = []) {
  return measure({ cmd: NODE, args: [CLI, 'watch', root, '--once', ...args], cwd, label: 'fileflow watch --once' });
}

/** How far in the past prepared inbox files are dated (see fillInbox). */
export const OLD_FILE_AGE_MS = 60 * 60 * 1000;

/**
 * Empties `root` and puts copies of `names` from `sourceDir` into root/unprocessed/, dated an
 * hour back (fs.utimes): files dropped before the queue started, which the queue takes at once
 * (a file whose mtime is older than max(stabilityMs, 3 s) cannot still be being written).
 * Nothing here is timed.
 */
export function fillInbox(root, sourceDir, names) {
  rmSync(root, { recursive: true, force: true });
  const inbox = path.join(root, 'unprocessed');
  mkdirSync(inbox, { recursive: true });
  const past = new Date(Date.now() - OLD_FILE_AGE_MS);
  for (const name of names) {
    const file = path.join(inbox, name);
    copyFileSync(path.join(sourceDir, name), file);
    utimesSync(file, past, past);
  }
}

function list(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
}

/**
 * Checks that every one of `names` went through a Fileflow queue root: in processed/, with a
 * result and a "processed" summary from `pipeline`, and nothing left in unprocessed/,
 * underprocess/ or failed/. Throws BenchFailure (lost or failed files) otherwise.
 */
export function checkFileflowRoot(root, names, { pipeline = 'logs' } = {}) {
  const processed = new Set(list(path.join(root, 'processed')));
  const results = new Set(list(path.join(root, 'results')));
  const problems = [];
  for (const state of ['unprocessed', 'underprocess', 'failed']) {
    const left = list(path.join(root, state));
    if (left.length > 0) problems.push(`${left.length} file(s) in ${state}/ (e.g. ${left[0]})`);
  }
  const missing = names.filter((n) => !processed.has(n));
  if (missing.length > 0) problems.push(`${missing.length} of ${names.length} file(s) not in processed/ (e.g. ${missing[0]})`);
  const noResult = names.filter((n) => !results.has(n) || !results.has(`${n}.summary.json`));
  if (noResult.length > 0) problems.push(`${noResult.length} file(s) without a result or summary (e.g. ${noResult[0]})`);
  if (processed.size !== names.length) problems.push(`processed/ holds ${processed.size} files, expected ${names.length}`);
  if (problems.length > 0) throw new BenchFailure(`queue root ${path.relative(REPO, root)}: ${problems.join('; ')}`);
  // Summaries: spot-check a spread of them (reading 20,000 JSON files would dominate).
  const step = Math.max(1, Math.floor(names.length / 50));
  for (let i = 0; i < names.length; i += step) {
    const summary = JSON.parse(readFileSync(path.join(root, 'results', `${names[i]}.summary.json`), 'utf8'));
    if (summary.status !== 'processed') throw new BenchFailure(`${names[i]} was not processed: ${JSON.stringify(summary.error ?? summary.status)}`);
    if (summary.pipeline !== pipeline) throw new BenchFailure(`${names[i]}: expected pipeline "${pipeline}", got "${summary.pipeline}"`);
  }
}

/** The row saying that all `count` files came through: a benchmark reports it after checkFileflowRoot (which throws when one did not). */
export function noneLostRow(count, how) {
  return {
    what: `files processed, ${count} ${how}`,
    unit: 'text',
    fileflow: count,
    baseline: count,
    display: { fileflow: `${count} of ${count}, none lost`, baseline: `${count}` },
    ratio: null,
    target: 'none lost',
    pass: true,
  };
}

/** Checks a baseline's queue root: everything in processed/ with a result. */
export function checkBaselineRoot(root, names, label) {
  const processed = list(path.join(root, 'processed'));
  const results = new Set(list(path.join(root, 'results')));
  const left = list(path.join(root, 'unprocessed')).length + list(path.join(root, 'underprocess')).length;
  const noResult = names.filter((n) => !results.has(n));
  if (processed.length !== names.length || left > 0 || noResult.length > 0) {
    throw new BenchFailure(`${label}: ${processed.length} of ${names.length} in processed/, ${left} left behind, ${noResult.length} without a result`);
  }
}

/** Compares results/<name> of two queue roots byte for byte, for every name. */
export function compareResults(expectedRoot, actualRoot, names, expectedLabel, actualLabel) {
  for (const name of names) {
    const expected = readFileSync(path.join(expectedRoot, 'results', name));
    const actual = readFileSync(path.join(actualRoot, 'results', name));
    if (!expected.equals(actual)) {
      const a = expected.toString('utf8').split('\n');
      const b = actual.toString('utf8').split('\n');
      let line = 0;
      while (line < a.length && a[line] === b[line]) line++;
      throw new BenchFailure(
        `OUTPUT MISMATCH in results/${name} between ${expectedLabel} and ${actualLabel} at line ${line + 1}:\n` +
          `    ${expectedLabel}: ${JSON.stringify(a[line])}\n    ${actualLabel}: ${JSON.stringify(b[line])}`,
      );
    }
  }
}

/** Resident set size of a process in KiB (VmRSS in /proc/PID/status; all its threads), or null. */
export function rssKiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Starts `fileflow watch ROOT [args]` (a long-running node process, not wrapped in GNU time,
 * so that its pid is the one to sample). Resolves once the queue is up (it prints
 * "fileflow: watching …"). `onFinished(ok)`, when given, is called for every file the watcher
 * reports finished on stdout; `env` replaces the environment. stop() sends SIGTERM and resolves with the exit code; a crash or a
 * non-zero exit fails loudly.
 */
export async function startWatcher(root, args = [], { cwd, onFinished, env }) {
  const child = spawn(NODE, [CLI, 'watch', root, ...args], { cwd, env, stdio: ['ignore', onFinished ? 'pipe' : 'ignore', 'pipe'] });
  if (onFinished) {
    // One line per finished file: "✓ name (…)" or "✗ name -> failed/: …".
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      for (const line of lines) if (line.startsWith('✓ ') || line.startsWith('✗ ')) onFinished(line.startsWith('✓ '));
    });
  }
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve(signal ? `signal ${signal}` : code)));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new BenchFailure(`fileflow watch did not start within 30 s:\n${stderr}`)), 30_000);
    child.stderr.on('data', (text) => {
      stderr = (stderr + text).slice(-8000);
      if (/fileflow: watching /.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new BenchFailure(`fileflow watch exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  return {
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new BenchFailure(`fileflow watch exited with ${code}:\n${stderr.trim()}`);
      return code;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
