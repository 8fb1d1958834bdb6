// Shared helpers for the benchmark suite: paths, timing child processes (wall time and peak
// RSS), alternating runs, medians, cached input data and output comparison.
//
// Benchmarks never assert on time; they return figures and the driver (run.mjs) prints them.
// The only hard failures are wrong output and processes that fail.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO = path.resolve(BENCH_DIR, '..', '..');
export const BUILT_CLI = path.join(REPO, 'dist', 'cli.js');
/** The CLI under test: dist/cli.js, or the driver's snapshot of dist/ (see useCliSnapshot). */
export let CLI = BUILT_CLI;
export const NODE = process.execPath;
export const MAXRSS_PRELOAD = path.join(BENCH_DIR, 'maxrss.mjs');

/**
 * Copies dist/ to a temporary folder and tests that copy from now on, so that a rebuild of
 * dist/ by other work in this checkout cannot change the program half-way through a run.
 * (Not under .bench-cache/: ESLint would lint the bundle there.) Removed at exit.
 */
export function useCliSnapshot() {
  const snapshot = mkdtempSync(path.join(os.tmpdir(), 'fileflow-bench-dist-'));
  cpSync(path.dirname(BUILT_CLI), snapshot, { recursive: true });
  process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }));
  CLI = path.join(snapshot, path.basename(BUILT_CLI));
  return CLI;
}

/** A failure that must stop a benchmark loudly (wrong output, a process that failed). */
export class BenchFailure extends Error {}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** True when `name` is an executable on PATH. */
export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

const GNU_TIME = '/usr/bin/time';
// Peak RSS in KiB, user and system CPU seconds.
const TIME_FORMAT = '%M %U %S';
let gnuTimeWorks;
/** GNU time, used for peak RSS of any process; else node children get a preload (maxrss.mjs). */
export function gnuTimeAvailable() {
  if (gnuTimeWorks === undefined) {
    gnuTimeWorks =
      existsSync(GNU_TIME) &&
      spawnSync(GNU_TIME, ['-f', TIME_FORMAT, 'true'], { encoding: 'utf8' }).stderr.trim().match(/^\d+ [\d.]+ [\d.]+$/) !== null;
  }
  return gnuTimeWorks;
}

/**
 * Runs one command to completion and measures it as a whole process: wall time from spawn to
 * exit, and, when they can be measured, peak RSS (KiB) and CPU time (user + system, ms; less
 * sensitive than wall time to other load on a shared machine). `stdout` may name a file to
 * write stdout to (else it is discarded). Throws BenchFailure unless the process exits with 0.
 */
export async function measure({ cmd, args = [], cwd = REPO, stdout, env, label = cmd }) {
  const scratch = path.join(cacheDir(), 'tmp');
  mkdirSync(scratch, { recursive: true });
  const rssFile = path.join(scratch, `rss-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  let argv;
  let childEnv = { ...process.env, ...env };
  if (gnuTimeAvailable()) {
    argv = [GNU_TIME, '-f', TIME_FORMAT, '-o', rssFile, cmd, ...args];
  } else if (cmd === NODE) {
    argv = [cmd, '--import', pathToFileURL(MAXRSS_PRELOAD).href, ...args];
    childEnv = { ...childEnv, BENCH_MAXRSS_FILE: rssFile };
  } else {
    argv = [cmd, ...args];
  }
  const outFd = stdout === undefined ? 'ignore' : openSync(stdout, 'w');
  let stderr = '';
  const started = performance.now();
  const code = await new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env: childEnv, stdio: ['ignore', outFd, 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      stderr = (stderr + text).slice(-8000);
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve(signal ? `signal ${signal}` : exitCode));
  });
  const ms = performance.now() - started;
  if (typeof outFd === 'number') closeSync(outFd);
  let maxRssKiB = null;
  let cpuMs = null;
  if (existsSync(rssFile)) {
    // The last line is "KiB user-seconds system-seconds" (GNU time may print a line before it).
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    const [rss, user, system] = lines[lines.length - 1].split(' ').map(Number);
    if (Number.isFinite(rss)) maxRssKiB = rss;
    if (Number.isFinite(user) && Number.isFinite(system)) cpuMs = (user + system) * 1000;
    rmSync(rssFile, { force: true });
  }
  if (code !== 0) {
    throw new BenchFailure(`${label} exited with ${code}:\n  ${[cmd, ...args].join(' ')}\n${stderr.trim()}`);
  }
  return { ms, maxRssKiB, cpuMs, stderr };
}

/**
 * Runs `a` and `b` alternately (A B A B …), `runs` times each, so that noise from a shared
 * machine spreads over both. `a` and `b` are functions returning measure() promises.
 */
export async function alternate(runs, a, b, onRun = () => {}) {
  const samples = { a: [], b: [] };
  for (let i = 0; i < runs; i++) {
    samples.a.push(await a());
    samples.b.push(await b());
    onRun(i, samples.a[i], samples.b[i]);
  }
  return samples;
}

export function cacheDir() {
  return process.env.FILEFLOW_BENCH_CACHE ?? path.join(REPO, '.bench-cache');
}

const workDirs = new Set();
const deferredDirs = new Set();
let deferredHook = false;
/**
 * A fresh, empty scratch folder under the cache for one benchmark's outputs (per process, so
 * two suites running at once do not collide). removeWorkDirs() deletes them; the driver does
 * so after each benchmark that passed its checks, and keeps them for inspection otherwise.
 *
 * `deferRemoval`: delete it when the driver exits instead. For the queue benchmarks, whose
 * folders hold tens of thousands of files: deleting those between benchmarks slows the next
 * benchmark's file creations for a minute or more on some file systems (ext4 without a
 * journal skips recently freed inodes), which would distort its timings.
 */
export function workDir(name, { deferRemoval = false } = {}) {
  const dir = path.join(cacheDir(), 'work', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  workDirs.add(dir);
  if (deferRemoval) {
    deferredDirs.add(dir);
    if (!deferredHook) {
      deferredHook = true;
      process.on('exit', () => {
        for (const d of deferredDirs) rmSync(d, { recursive: true, force: true });
      });
    }
  }
  return dir;
}

export function removeWorkDirs({ keep = false } = {}) {
  for (const dir of workDirs) {
    if (keep) deferredDirs.delete(dir); // kept for inspection, also at exit
    else if (!deferredDirs.has(dir)) rmSync(dir, { recursive: true, force: true });
  }
  workDirs.clear();
}

function shortHash(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** Fingerprint of the sample generator, so cached data is regenerated when it changes. */
function generatorFingerprint() {
  const source = path.join(REPO, 'src', 'core', 'samples.ts');
  return shortHash(existsSync(source) ? readFileSync(source) : readFileSync(CLI));
}

/**
 * The log `fileflow samples DIR --count 1 --lines N --seed S` writes, generated once by the
 * CLI under test and cached (keyed by lines, seed and the generator's source).
 */
export async function sampleLog(lines, seed = 7) {
  const dir = path.join(cacheDir(), 'data');
  const file = path.join(dir, `samples-${lines}-seed${seed}-${generatorFingerprint()}.log`);
  if (existsSync(file)) return file;
  const tmp = path.join(dir, `.gen-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  process.stderr.write(`  generating ${lines} sample lines (seed ${seed}) with the CLI…\n`);
  await measure({
    cmd: NODE,
    args: [CLI, 'samples', tmp, '--count', '1', '--lines', String(lines), '--seed', String(seed)],
    label: 'fileflow samples',
  });
  renameSync(path.join(tmp, 'sample-001.log'), file);
  rmSync(tmp, { recursive: true, force: true });
  return file;
}

/**
 * A file of about `bytes` bytes made by repeating `source` (whole lines only), cached.
 * Written with large synchronous writes of one in-memory copy: a 1 GB file takes seconds.
 */
export function repeatedFile(source, bytes, name) {
  const dir = path.join(cacheDir(), 'data');
  const file = path.join(dir, `${name}-${path.basename(source, '.log')}-${bytes}.log`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  process.stderr.write(`  writing ${(bytes / 1e6).toFixed(0)} MB test file ${path.basename(file)}…\n`);
  const data = readFileSync(source);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let left = bytes;
    while (left >= data.length) {
      writeAll(fd, data);
      left -= data.length;
    }
    if (left > 0) {
      const cut = data.lastIndexOf(0x0a, left - 1) + 1;
      if (cut > 0) writeAll(fd, data.subarray(0, cut));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}

function writeAll(fd, buffer) {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/**
 * Compares two files byte for byte. Returns null when equal, else a description of the first
 * difference (line number and both lines), for a loud failure message.
 */
export function compareFiles(expectedPath, actualPath) {
  const size = (file) => statSync(file).size;
  const chunk = 4 * 1024 * 1024;
  const a = Buffer.allocUnsafe(chunk);
  const b = Buffer.allocUnsafe(chunk);
  const fa = openSync(expectedPath, 'r');
  const fb = openSync(actualPath, 'r');
  try {
    let position = 0;
    let lineNo = 1;
    let lineStart = 0;
    for (;;) {
      const ra = readFully(fa, a, position);
      const rb = readFully(fb, b, position);
      const common = Math.min(ra, rb);
      let diffAt = -1;
      if (a.subarray(0, common).equals(b.subarray(0, common))) {
        if (ra === rb) {
          if (ra === 0) return null;
        } else {
          diffAt = common;
        }
      } else {
        for (let i = 0; i < common; i++) {
          if (a[i] !== b[i]) {
            diffAt = i;
            break;
          }
        }
      }
      if (diffAt !== -1) {
        for (let i = 0; i < diffAt; i++) {
          if (a[i] === 0x0a) {
            lineNo++;
            lineStart = position + i + 1;
          }
        }
        return (
          `files differ at byte ${position + diffAt}, line ${lineNo} ` +
          `(sizes ${size(expectedPath)} and ${size(actualPath)}):\n` +
          `    ${path.relative(REPO, expectedPath)}: ${JSON.stringify(lineAt(expectedPath, lineStart))}\n` +
          `    ${path.relative(REPO, actualPath)}: ${JSON.stringify(lineAt(actualPath, lineStart))}`
        );
      }
      for (let i = 0; i < common; i++) {
        if (a[i] === 0x0a) {
          lineNo++;
          lineStart = position + i + 1;
        }
      }
      position += common;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

function readFully(fd, buffer, position) {
  let total = 0;
  while (total < buffer.length) {
    const read = readSync(fd, buffer, total, buffer.length - total, position + total);
    if (read === 0) break;
    total += read;
  }
  return total;
}

function lineAt(file, offset) {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(300);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    const text = buffer.subarray(0, read).toString('utf8');
    const end = text.indexOf('\n');
    return end === -1 ? text : text.slice(0, end);
  } finally {
    closeSync(fd);
  }
}

/** Reads a Fileflow summary and fails loudly unless the file was processed. */
export function checkSummary(summaryPath, expectLinesIn) {
  if (!existsSync(summaryPath)) throw new BenchFailure(`no summary written at ${summaryPath}`);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  if (summary.status !== 'processed') {
    throw new BenchFailure(`fileflow did not process the file: ${JSON.stringify(summary.error ?? summary.status)}`);
  }
  if (expectLinesIn !== undefined && summary.linesIn !== expectLinesIn) {
    throw new BenchFailure(`fileflow read ${summary.linesIn} lines, expected ${expectLinesIn}`);
  }
  return summary;
}

let aptUpdated = false;
/**
 * Makes sure `command` exists, installing Debian package `pkg` with apt-get when it does not
 * (needs root). Returns null on success, else the reason it is unavailable.
 */
export function ensureCommand(command, pkg = command) {
  if (hasCommand(command)) return null;
  if (!hasCommand('apt-get') || process.getuid?.() !== 0) return `${command} is not installed (apt-get install -y ${pkg})`;
  process.stderr.write(`  ${command} missing: apt-get install -y ${pkg}…\n`);
  if (!aptUpdated) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    aptUpdated = true;
  }
  const result = spawnSync('apt-get', ['install', '-y', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0 || !hasCommand(command)) return `${command} is not installed and apt-get install -y ${pkg} failed`;
  return null;
}

export const fmt = {
  ms: (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`),
  mib: (kib) => `${(kib / 1024).toFixed(1)} MiB`,
  mbps: (value) => `${value.toFixed(1)} MB/s`,
  ratio: (value) => `${value.toFixed(2)}×`,
  lines: (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n)),
  bytes: (n) => (n >= 0.95e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(0)} MB`),
};

/**
 * The usual shape of a wall-time benchmark: one untimed warm-up run of each side (which also
 * warms the page cache), then `verify()` (throw BenchFailure on wrong output), then `runs`
 * timed runs alternating fileflow and baseline. Returns the samples and their medians.
 */
export async function timedPair(ctx, { fileflow, baseline, baselineName, verify }) {
  ctx.log(`warm-up and correctness check…`);
  await fileflow();
  await baseline();
  if (verify) await verify();
  const samples = await alternate(ctx.runs, fileflow, baseline, (i, a, b) =>
    ctx.log(`run ${i + 1}/${ctx.runs}: fileflow ${fmt.ms(a.ms)}, ${baselineName} ${fmt.ms(b.ms)}`),
  );
  const medianOf = (list, key) => (list.every((s) => s[key] !== null) ? median(list.map((s) => s[key])) : null);
  const summary = (list) => ({
    ms: list.map((s) => Math.round(s.ms * 10) / 10),
    cpuMs: list.map((s) => s.cpuMs),
    maxRssKiB: list.map((s) => s.maxRssKiB),
    medianMs: median(list.map((s) => s.ms)),
    medianCpuMs: medianOf(list, 'cpuMs'),
    medianRssKiB: medianOf(list, 'maxRssKiB'),
  });
  const a = summary(samples.a);
  const b = summary(samples.b);
  return {
    fileflow: a,
    baseline: b,
    ratio: a.medianMs / b.medianMs,
    cpuRatio: a.medianCpuMs !== null && b.medianCpuMs !== null ? a.medianCpuMs / b.medianCpuMs : null,
  };
}

/** An information row (no target) comparing median CPU time (user + system) of both sides. */
export function cpuRow(result, what = 'cpu time user+sys (info)') {
  return { what, unit: 'ms', fileflow: result.fileflow.medianCpuMs, baseline: result.baseline.medianCpuMs, ratio: result.cpuRatio, target: 'info', pass: null };
}

/** Median figures of a list of measure() results (what timedPair reports per side). */
export function summariseSamples(list) {
  const medianOf = (key) => (list.length > 0 && list.every((s) => s[key] !== null && s[key] !== undefined) ? median(list.map((s) => s[key])) : null);
  return {
    ms: list.map((s) => Math.round(s.ms * 10) / 10),
    cpuMs: list.map((s) => s.cpuMs),
    maxRssKiB: list.map((s) => s.maxRssKiB),
    medianMs: median(list.map((s) => s.ms)),
    medianCpuMs: medianOf('cpuMs'),
    medianRssKiB: medianOf('maxRssKiB'),
  };
}

/**
 * timedPair for any number of sides, each with an untimed `prepare()` before every run (e.g.
 * refilling a queue's inbox): one warm-up run of each side, then `verify()`, then `runs`
 * rounds of side 1, side 2, … in turn. `sides` is { key: { label, prepare?, run } } where run()
 * returns a measure() promise. Returns { [key]: summariseSamples(...) }.
 */
export async function timedSides(ctx, sides, { verify, runs = ctx.runs } = {}) {
  const keys = Object.keys(sides);
  const once = async (key) => {
    await sides[key].prepare?.();
    return sides[key].run();
  };
  ctx.log('warm-up and correctness check…');
  for (const key of keys) await once(key);
  if (verify) await verify();
  const samples = Object.fromEntries(keys.map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const key of keys) samples[key].push(await once(key));
    ctx.log(`run ${i + 1}/${runs}: ${keys.map((k) => `${sides[k].label ?? k} ${fmt.ms(samples[k][i].ms)}`).join(', ')}`);
  }
  return Object.fromEntries(keys.map((k) => [k, summariseSamples(samples[k])]));
}

/**
 * A folder of `count` sample logs of `lines` lines each, as `fileflow samples DIR --count N
 * --lines M --seed S` writes them (sample-0001.log …), generated once by the CLI under test
 * and cached like sampleLog(). Returns the folder and its sorted file names.
 */
export async function sampleFolder(count, lines, seed = 7) {
  const dir = path.join(cacheDir(), 'data', `samples-${count}x${lines}-seed${seed}-${generatorFingerprint()}`);
  if (!existsSync(path.join(dir, '.complete'))) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`  generating ${count} sample logs of ${lines} lines (seed ${seed}) with the CLI…\n`);
    await measure({
      cmd: NODE,
      args: [CLI, 'samples', dir, '--count', String(count), '--lines', String(lines), '--seed', String(seed)],
      label: 'fileflow samples',
    });
    writeFileSync(path.join(dir, '.complete'), '');
  }
  const names = readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort();
  if (names.length !== count) throw new BenchFailure(`${dir} holds ${names.length} files, expected ${count}: delete it to regenerate`);
  return { dir, names };
}
