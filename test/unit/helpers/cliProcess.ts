// Running the built `fileflow` command as a child process in the CLI and queue tests:
// synchronously with its output captured, as another user, or with a standard output whose
// reader is gone.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, unlinkSync } from 'node:fs';
import { chown, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/harness';

export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
export const isRoot = process.getuid?.() === 0;
/** The unprivileged user root's tests run a child as, so that permission bits apply to it. */
export const NOBODY = 65534;

/** chown -R: hands `dir` and everything below it to `id` (user and group); links are left as they are. */
export async function chownTree(dir: string, id: number): Promise<void> {
  await chown(dir, id, id);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, id);
    else if (!entry.isSymbolicLink()) await chown(full, id, id);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ARGS` in `cwd` and waits for it. */
export function fileflow(cwd: string, args: string[], options: SpawnSyncOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, ...options });
  if (result.error) throw result.error;
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Asserts the exit code, showing the output when it is wrong. */
export function expectCode(result: CliResult, code: number): CliResult {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** A usage error: exit 2, exactly one line on stderr matching `pattern`, no stack trace. */
export function expectUsageError(result: CliResult, pattern: RegExp): void {
  expectCode(result, 2);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], /^fileflow: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

let fifos = 0;

/**
 * A write end of a pipe whose read end is already closed, as `| head` leaves it once head has
 * exited: every write to it fails with EPIPE. Made from a FIFO in `dir`, so that the pipe is
 * closed before the child writes its first byte (no race with the child).
 */
export function closedPipe(dir: string): number {
  const fifo = path.join(dir, `.closed-${process.pid}-${++fifos}.fifo`);
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${String(made.stderr)}`);
  const reader = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const writer = openSync(fifo, fsConstants.O_WRONLY);
  closeSync(reader);
  unlinkSync(fifo); // the pipe lives on in `writer`; the name is not needed any more
  return writer;
}

/**
 * Runs the CLI with its standard output (and, with `stderrToo`, its standard error) on a pipe
 * nobody reads any more; resolves with the exit code and whatever stderr said.
 */
export function fileflowIntoClosedPipe(cwd: string, args: string[], options: { stderrToo?: boolean; timeoutMs?: number } = {}): Promise<CliResult> {
  const writer = closedPipe(cwd);
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', writer, options.stderrToo ? writer : 'pipe'] });
  closeSync(writer);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fileflow ${args.join(' ')} did not exit within ${options.timeoutMs ?? 60_000} ms\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, stdout: '', stderr: signal === null ? stderr : `${stderr}\n(killed by ${signal})` });
    });
  });
}
