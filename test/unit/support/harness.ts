// Shared helpers for the unit tests: fresh temp folders that are removed afterwards, and a
// way to run text through the real engine (compile a pipeline object, processFile, read back).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compilePipelineObject, type LoadedConfig, type LoadOptions } from '../../../src/core/config/pipelineConfig';
import { ConfigError, type ConfigIssue } from '../../../src/core/errors';
import type { Logger } from '../../../src/core/logger';
import { processFile } from '../../../src/core/processFile';
import type { FileErrorInfo, FileSummary } from '../../../src/core/summary';

/** The repository root (tests run from out/test/unit/support or out/test/unit). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** Fixture modules live in the source tree; they are not compiled. */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'unit', 'fixtures');

/** What must end before a test's folders are removed: its queues and child processes. */
const endBeforeRemoval = new Set<() => Promise<void>>();

/**
 * Registers cleanup that useTempDirs runs before it removes a test's folders. Mocha runs a
 * describe block's afterEach hooks in the order they were registered, and useTempDirs is
 * usually registered first: without this, a queue still running would write its lease into
 * a folder being removed (ENOTEMPTY). The cleanup must be safe to run twice.
 */
export function endBeforeTempDirsRemoved(cleanup: () => Promise<void>): void {
  endBeforeRemoval.add(cleanup);
}

/**
 * Registers an afterEach hook in the calling describe block that removes every folder made
 * by the returned function (after the queues and children of the test have ended).
 */
export function useTempDirs(prefix = 'fileflow-test-'): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    if (made.length === 0) return;
    for (const cleanup of endBeforeRemoval) await cleanup();
    while (made.length > 0) await rm(made.pop() as string, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

export interface RunResult {
  /** The result file's content ('' when there is none). */
  output: string;
  /** The output split into lines (terminators removed). */
  lines: string[];
  summary: FileSummary;
  /** The summary as written to disk. */
  written: FileSummary;
  resultExists: boolean;
}

/** Asserts that the file failed with exactly `error` and left no result. */
export function assertFailedWith(result: RunResult, error: FileErrorInfo): void {
  assert.equal(result.summary.status, 'failed');
  assert.deepEqual(result.summary.error, error);
  assert.equal(result.resultExists, false, 'a failed file leaves no result');
}

export interface RunOptions {
  name?: string;
  maxLineBytes?: number;
  logger?: Logger;
}

/** Runs `text` through an already compiled config, in `dir`. */
export async function runConfig(config: LoadedConfig, dir: string, text: string | Buffer, options: RunOptions = {}): Promise<RunResult> {
  const name = options.name ?? 'input.log';
  const resultPath = path.join(dir, 'results', name);
  const summaryPath = resultPath + '.summary.json';
  let input: { text: string } | { path: string };
  if (typeof text === 'string') {
    input = { text };
  } else {
    const source = path.join(dir, 'inputs', name);
    await mkdir(path.dirname(source), { recursive: true });
    await writeFile(source, text);
    input = { path: source };
  }
  const summary = await processFile(
    config,
    { name, source: name, input, resultPath, summaryPath },
    { maxLineBytes: options.maxLineBytes, logger: options.logger },
  );
  const resultExists = await exists(resultPath);
  const output = resultExists ? await readFile(resultPath, 'utf8') : '';
  const written = JSON.parse(await readFile(summaryPath, 'utf8')) as FileSummary;
  if ('path' in input) {
    // Queue workers read small files whole with synchronous calls (syncBelowBytes) instead of
    // streaming them: every test with a file input checks that both ways agree exactly.
    const syncResult = path.join(dir, 'results-sync', name);
    const syncSummary = await processFile(
      config,
      { name, source: name, input, resultPath: syncResult, summaryPath: syncResult + '.summary.json' },
      { maxLineBytes: options.maxLineBytes, logger: options.logger, syncBelowBytes: 64 * 1024 * 1024 },
    );
    const syncExists = await exists(syncResult);
    assert.equal(syncExists, resultExists, 'synchronous path: a result file exactly when the streamed path writes one');
    if (syncExists) assert.equal(await readFile(syncResult, 'utf8'), output, 'synchronous path: the same result');
    assert.deepEqual(withoutTimes(syncSummary), withoutTimes(summary), 'synchronous path: the same summary');
    const syncWritten = JSON.parse(await readFile(syncResult + '.summary.json', 'utf8')) as FileSummary;
    assert.deepEqual(withoutTimes(syncWritten), withoutTimes(written), 'synchronous path: the same summary on disk');
  }
  return { output, lines: splitOutput(output), summary, written, resultExists };
}

/** A summary without what depends on the clock (times, durations, per-node milliseconds). */
function withoutTimes(summary: FileSummary): unknown {
  const { startedAt, finishedAt, durationMs, latencyMs, nodes, ...rest } = summary;
  void [startedAt, finishedAt, durationMs, latencyMs];
  return { ...rest, nodes: Object.fromEntries(Object.entries(nodes).map(([node, stats]) => [node, { ...stats, ms: 0 }])) };
}

/** Compiles a pipeline object (as if read from `<dir>/pipeline.json`) and runs `text` through it. */
export async function runPipeline(
  pipeline: unknown,
  dir: string,
  text: string | Buffer,
  options: RunOptions & LoadOptions = {},
): Promise<RunResult> {
  const config = await compilePipelineObject(pipeline, path.join(dir, 'pipeline.json'), options);
  return runConfig(config, dir, text, options);
}

export function splitOutput(output: string): string[] {
  if (output === '') return [];
  const lines = output.split(/\r?\n/);
  lines.pop();
  return lines;
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** The ConfigError's issues, failing the test when something else (or nothing) is thrown. */
export async function configIssues(promise: Promise<unknown>): Promise<ConfigIssue[]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected a ConfigError, but the pipeline compiled');
}
