// Runs one pipeline test (docs/authoring.md): the test's input goes through processInMemory,
// the same code that processes a real file of that name, and every key of `expect` is compared
// with what came out.

import type { LoadedConfig } from '../config/pipelineSpec';
import { processInMemory } from '../processFile';
import type { FileSummary } from '../summary';
import { testInput, type PipelineTest } from './pipelineTests';

/** One way a test's run differs from its `expect`. */
export type TestFailure =
  | { key: 'output'; expected: string[]; actual: string[] }
  | { key: 'tags'; tag: string; expected: number; actual: number }
  | { key: 'status'; expected: string; actual: string; error?: string }
  | { key: 'error'; expected: string; actual: string | null };

export interface TestResult {
  name: string;
  index: number;
  /** JSON path of the test in its file. */
  path: string;
  passed: boolean;
  failures: TestFailure[];
  /** What the run gave. */
  actual: { status: FileSummary['status']; output: string[]; tags: Record<string, number>; error?: string };
  durationMs: number;
}

/** Runs a test in this thread (no time limit: see SampleRunner for that). */
export async function runPipelineTest(config: LoadedConfig, test: PipelineTest, options: { maxLineBytes?: number } = {}): Promise<TestResult> {
  const input = await testInput(test);
  const started = performance.now();
  const { summary, lines } = await processInMemory(config, { name: test.file, source: test.file }, input, options);
  return checkTest(test, summary, lines, performance.now() - started);
}

/** Compares a run with the test's `expect`. */
export function checkTest(test: PipelineTest, summary: FileSummary, lines: string[], durationMs: number): TestResult {
  const failures: TestFailure[] = [];
  const { expect } = test;
  const error = summary.error?.message;
  if (summary.status !== expect.status) {
    failures.push({ key: 'status', expected: expect.status, actual: summary.status, ...(error === undefined ? {} : { error }) });
  }
  if (expect.error !== undefined && !(error ?? '').includes(expect.error)) {
    failures.push({ key: 'error', expected: expect.error, actual: error ?? null });
  }
  if (expect.output !== undefined && !sameLines(expect.output, lines)) {
    failures.push({ key: 'output', expected: expect.output, actual: lines });
  }
  for (const [tag, count] of Object.entries(expect.tags ?? {})) {
    const actual = summary.tags[tag] ?? 0;
    if (actual !== count) failures.push({ key: 'tags', tag, expected: count, actual });
  }
  return {
    name: test.name,
    index: test.index,
    path: test.path,
    passed: failures.length === 0,
    failures,
    actual: { status: summary.status, output: lines, tags: summary.tags, ...(error === undefined ? {} : { error }) },
    durationMs: Math.round(durationMs * 1000) / 1000,
  };
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
