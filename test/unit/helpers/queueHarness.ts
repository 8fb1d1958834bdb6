// Shared helpers for the folder-queue tests (test/unit/queue*.test.ts): temporary queue roots
// on the real filesystem, polling waits that fail with a picture of the folders, in-process
// queues and child processes of the built CLI that are always cleaned up, and a reference
// implementation of what the built-in default pipeline must produce.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { FolderQueue, type FolderQueueOptions, type QueueEvent } from '../../../src/core/queue/folderQueue';
import type { FileSummary } from '../../../src/core/summary';
import { endBeforeTempDirsRemoved, REPO_ROOT } from '../support/harness';

/** The bundled command-line tool (`npm run build` makes it). */
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

export const STATES = ['unprocessed', 'underprocess', 'processed', 'failed', 'results'] as const;
export type State = (typeof STATES)[number];

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------
// Temporary folders

// Fresh temporary folders, removed after each test: shared with the engine's unit tests.
export { useTempDirs } from '../support/harness';

/** A test area: `root` (the queue root) and `staging` (same filesystem, for atomic drops). */
export interface Area {
  base: string;
  root: string;
  staging: string;
}

export async function makeArea(tempDir: () => Promise<string>): Promise<Area> {
  const base = await tempDir();
  const area = { base, root: path.join(base, 'root'), staging: path.join(base, 'staging') };
  await mkdir(path.join(area.root, 'unprocessed'), { recursive: true });
  await mkdir(area.staging, { recursive: true });
  return area;
}

export function statePath(root: string, state: State, name = ''): string {
  return path.join(root, state, ...name.split('/').filter((part) => part !== ''));
}

/** Writes `content` to <state>/<name> (creating subfolders). */
export async function placeFile(root: string, state: State, name: string, content: string | Buffer): Promise<void> {
  const file = statePath(root, state, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

/** Writes `content` straight into unprocessed/<name> (creating subfolders). */
export function dropFile(root: string, name: string, content: string | Buffer): Promise<void> {
  return placeFile(root, 'unprocessed', name, content);
}

let stagingCounter = 0;

/** Writes the file in staging/ first and renames it into unprocessed/: it appears complete. */
export async function dropAtomically(area: Area, name: string, content: string | Buffer): Promise<void> {
  const staged = path.join(area.staging, `drop-${++stagingCounter}`);
  await writeFile(staged, content);
  const file = statePath(area.root, 'unprocessed', name);
  await mkdir(path.dirname(file), { recursive: true });
  await rename(staged, file);
}

// ---------------------------------------------------------------------------------------
// Looking at folders

/**
 * Every non-directory entry below `dir` (dot files, links, FIFOs included), as `/`-separated
 * names relative to `dir`, sorted. A missing folder lists as empty.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const name = prefix + entry.name;
      if (entry.isDirectory()) await walk(path.join(current, entry.name), name + '/');
      else out.push(name);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/**
 * The names in a state folder. In underprocess/, files are listed by their names, without the
 * claim folder (`.ff-<instance>/`) that holds them.
 */
export async function listState(root: string, state: State): Promise<string[]> {
  const files = await listFiles(statePath(root, state));
  if (state !== 'underprocess') return files;
  return files.map((name) => (name.startsWith('.ff-') && name.includes('/') ? name.slice(name.indexOf('/') + 1) : name)).sort();
}

/** Whether `name` is in underprocess/ (in any instance's claim folder, or outside them). */
export async function isInUnderprocess(root: string, name: string): Promise<boolean> {
  return (await listState(root, 'underprocess')).includes(name);
}

/** A readable picture of a queue root, for failure messages (long folders are cut short). */
export async function describeRoot(root: string, limit = 30): Promise<string> {
  const lines = [`queue root ${root}:`];
  for (const state of STATES) {
    const files = await listState(root, state).catch((error: Error) => [`<cannot list: ${error.message}>`]);
    const shown = files.slice(0, limit).map((name) => JSON.stringify(name));
    const more = files.length > limit ? ` … and ${files.length - limit} more` : '';
    lines.push(`  ${state}/ (${files.length}): ${shown.join(', ')}${more}`);
  }
  return lines.join('\n');
}

export async function pathExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

export async function readSummary(root: string, name: string): Promise<FileSummary> {
  return JSON.parse(await readFile(statePath(root, 'results', name + '.summary.json'), 'utf8')) as FileSummary;
}

/** Temporary names an interrupted atomic write leaves (".<name>.<pid>-<n>.tmp"). */
export function isTempName(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.startsWith('.') && base.endsWith('.tmp');
}

// ---------------------------------------------------------------------------------------
// Waiting for conditions

export interface WaitOptions {
  /** Generous by default: these tests wait for conditions, they do not measure speed. */
  timeoutMs?: number;
  intervalMs?: number;
  /** Queue root whose folders are listed when the wait times out. */
  root?: string;
  /** Extra context for the failure message (e.g. a child's stderr). */
  context?: () => string;
}

/** Polls `check` until it is true; on timeout throws naming `what` and listing the folders. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      let message = `timed out after ${timeoutMs} ms waiting for ${what}`;
      if (options.root !== undefined) message += '\n' + (await describeRoot(options.root));
      if (options.context) message += '\n' + options.context();
      throw new Error(message);
    }
    await sleep(intervalMs);
  }
}

/** Waits until every name has a summary in results/. */
export function waitForSummaries(root: string, names: readonly string[], options: WaitOptions = {}): Promise<void> {
  let missing: string[] = [...names];
  return waitFor(
    `summaries of ${names.length} file(s)`,
    async () => {
      const still: string[] = [];
      for (const name of missing) if (!(await pathExists(statePath(root, 'results', name + '.summary.json')))) still.push(name);
      missing = still;
      return missing.length === 0;
    },
    { root, ...options, context: () => `still missing: ${JSON.stringify(missing.slice(0, 20))}${options.context ? '\n' + options.context() : ''}` },
  );
}

// ---------------------------------------------------------------------------------------
// In-process queues

export interface TestQueue {
  queue: FolderQueue;
  events: QueueEvent[];
  /** Summaries of finished files, in finishing order. */
  finished: FileSummary[];
  /** Names in 'claimed' events, in claiming order. */
  claimed: string[];
}

/**
 * Registers an afterEach hook that stops every queue the returned function started (also
 * when a test fails), so no worker thread outlives its test.
 */
export function useQueues(): (options: FolderQueueOptions) => Promise<TestQueue> {
  const running: FolderQueue[] = [];
  const stopAll = async (): Promise<void> => {
    while (running.length > 0) await (running.pop() as FolderQueue).stop();
  };
  afterEach(stopAll);
  endBeforeTempDirsRemoved(stopAll);
  return async (options) => {
    const queue = new FolderQueue({ concurrency: 2, stabilityMs: 200, retry: { baseDelayMs: 20 }, ...options });
    const test: TestQueue = { queue, events: [], finished: [], claimed: [] };
    queue.on('event', (event) => {
      test.events.push(event);
      if (event.type === 'finished') test.finished.push(event.summary);
      if (event.type === 'claimed') test.claimed.push(event.name);
    });
    running.push(queue);
    await queue.start();
    return test;
  };
}

// ---------------------------------------------------------------------------------------
// Child processes of the built CLI

export interface CliChild {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

/**
 * Registers an afterEach hook that SIGKILLs (by pid) every child the returned function
 * spawned and that is still running, then waits for it to exit. The function runs
 * `node <script> <args>`.
 */
export function useNodeProcesses(): (script: string, args: string[], options?: SpawnOptions) => CliChild {
  const children: CliChild[] = [];
  const killAll = async (): Promise<void> => {
    for (const child of children.splice(0)) {
      if (child.running()) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await child.exited;
    }
  };
  afterEach(killAll);
  endBeforeTempDirsRemoved(killAll);
  return (script, args, options = {}) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    if (child.pid === undefined) throw new Error(`could not start ${script}`);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (err += text));
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        done = true;
        resolve({ code, signal });
      });
    });
    const handle: CliChild = { child, pid: child.pid, stdout: () => out, stderr: () => err, exited, running: () => !done };
    children.push(handle);
    return handle;
  };
}

/** Like useNodeProcesses, for the built CLI: the function runs `node dist/cli.js <args>`. */
export function useCli(): (args: string[], options?: SpawnOptions) => CliChild {
  const run = useNodeProcesses();
  return (args, options) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    return run(CLI, args, options);
  };
}

/** Waits for a child to exit, failing (with its output) if it takes longer than `timeoutMs`. */
export async function waitForExit(cli: CliChild, timeoutMs = 60_000, root?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([cli.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    const folders = root === undefined ? '' : '\n' + (await describeRoot(root));
    throw new Error(`fileflow (pid ${cli.pid}) did not exit within ${timeoutMs} ms\nstderr:\n${cli.stderr()}${folders}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// What the built-in default pipeline must produce (docs/pipelines.md: tagByLevel, warnings and worse
// as "{file}:{n}: {line}")

const LEVEL_TOKEN = /\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|EMERG|ALERT)\b/;
const KEPT_LEVELS = new Set(['WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRITICAL', 'CRIT', 'FATAL', 'EMERG', 'ALERT']);

/** The input lines of a text as docs/pipelines.md, "Text", splits them. */
function splitInput(text: string): { lines: string[]; crlf: boolean } {
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  const crlf = parts.length > 0 && parts[0].endsWith('\r') && text.includes('\n');
  return { lines: parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)), crlf };
}

/** The result the built-in default pipeline must write for a file named `name`. */
export function expectedTriage(name: string, text: string): string {
  const { lines, crlf } = splitInput(text);
  const eol = crlf ? '\r\n' : '\n';
  let out = '';
  lines.forEach((line, i) => {
    const match = LEVEL_TOKEN.exec(line);
    if (match !== null && KEPT_LEVELS.has(match[0])) out += `${name}:${i + 1}: ${line}${eol}`;
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Generated contents

/** A small seeded PRNG (the sample data's mulberry32), so a failing run can be repeated with its seed. */
export { seededRandom as prng } from '../../../src/core/samples';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRITICAL', 'CRIT', 'FATAL', 'EMERG', 'ALERT'];
// Look like levels but are not whole-word level tokens (or come after an earlier one).
const DECOYS = ['ERRORS seen', 'xWARN', 'ERROR_CODE=7', 'INFO then ERROR', 'warning (lower case)', 'no level at all'];

/**
 * A log file whose every line names the file (`id`) and its line number, so a result can
 * only match the file it came from. About a third of the lines are warnings or worse.
 */
export function generateLog(id: string, lineCount: number, random: () => number): string {
  let text = '';
  for (let n = 1; n <= lineCount; n++) {
    const pick = random();
    const token = pick < 0.15 ? DECOYS[Math.floor(random() * DECOYS.length)] : `[${LEVELS[Math.floor(random() * LEVELS.length)]}]`;
    const noise = Math.floor(random() * 1e9).toString(36);
    text += `2025-06-01 12:${String(n % 60).padStart(2, '0')}:00 ${token} svc-${id}: event ${id}#${n} ${noise}\n`;
  }
  return text;
}

// ---------------------------------------------------------------------------------------
// A deliberately slow pipeline

/**
 * Writes `<dir>/slow.pipeline.json` with one custom node that busy-waits `msPerLine` on every
 * line (blocking its worker thread, like heavy processing would) and passes the line on
 * unchanged. Returns the pipeline file's path.
 */
export async function writeSlowPipeline(dir: string, msPerLine: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'slow.cjs'),
    [
      '/* a test processor: busy-waits on every line, then passes it on */',
      'module.exports.createProcessor = function (options) {',
      '  return {',
      '    process(line, ctx) {',
      '      const until = Date.now() + options.ms;',
      '      while (Date.now() < until) { /* busy */ }',
      '      ctx.emit(line);',
      '    },',
      '  };',
      '};',
      '',
    ].join('\n'),
  );
  const file = path.join(dir, 'slow.pipeline.json');
  await writeFile(file, JSON.stringify({ version: 1, nodes: { start: { use: { module: './slow.cjs' }, with: { ms: msPerLine } } } }, null, 2));
  return file;
}

/** `count` numbered lines ("<prefix> line 1" …), newline-terminated. */
export function numberedLines(prefix: string, count: number): string {
  let text = '';
  for (let n = 1; n <= count; n++) text += `${prefix} line ${n}\n`;
  return text;
}
