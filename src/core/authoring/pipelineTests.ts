// The `tests` of a pipeline file (docs/authoring.md): read them from the parsed file, check
// what the schema cannot (input given once, names unique, input files that exist), and give
// each test's input as a real file of its name would be read.

import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { ConfigIssue } from '../errors';

export const DEFAULT_TEST_FILE_NAME = 'test.log';

export interface TestExpectation {
  output?: string[];
  tags?: Record<string, number>;
  status: 'processed' | 'failed';
  error?: string;
}

export interface PipelineTest {
  /** Place in the file's `tests`, from 0. */
  index: number;
  /** JSON path of the test in its file (`/tests/0`). */
  path: string;
  name: string;
  /** The name routes and `{file}` see. */
  file: string;
  input: { lines: string[] } | { text: string } | { inputFile: string; absolute: string };
  expect: TestExpectation;
}

interface RawTest {
  name?: string;
  file?: string;
  input?: string[] | string;
  inputFile?: string;
  expect?: { output?: string[]; tags?: Record<string, number>; status?: 'processed' | 'failed'; error?: string };
}

/**
 * The tests of a parsed (schema-valid) pipeline file. `pipelineFile` is the file's path, for
 * `inputFile`s, which are relative to it. Problems come back as issues at their JSON paths.
 */
export function readTests(raw: unknown, pipelineFile: string): { tests: PipelineTest[]; issues: ConfigIssue[] } {
  const tests: PipelineTest[] = [];
  const issues: ConfigIssue[] = [];
  const list = (raw as { tests?: RawTest[] } | null)?.tests;
  if (!Array.isArray(list)) return { tests, issues };
  const base = path.dirname(path.resolve(pipelineFile));
  const names = new Map<string, number>();
  list.forEach((test, index) => {
    const at = `/tests/${index}`;
    const name = test.name ?? `test ${index + 1}`;
    const earlier = names.get(name);
    if (earlier !== undefined) {
      issues.push({ path: test.name === undefined ? at : `${at}/name`, message: `two tests are named "${name}" (tests ${earlier + 1} and ${index + 1}): give each its own name` });
    } else {
      names.set(name, index);
    }
    let input: PipelineTest['input'] | undefined;
    if (test.input !== undefined && test.inputFile !== undefined) {
      issues.push({ path: `${at}/inputFile`, message: 'give "input" or "inputFile", not both' });
    } else if (test.input !== undefined) {
      input = typeof test.input === 'string' ? { text: test.input } : { lines: test.input };
    } else if (test.inputFile !== undefined) {
      input = { inputFile: test.inputFile, absolute: path.resolve(base, test.inputFile) };
    } else {
      issues.push({ path: at, message: 'missing the input: give "input" (lines) or "inputFile" (a file relative to the pipeline file)' });
    }
    const expect = test.expect ?? {};
    if (input) {
      tests.push({
        index,
        path: at,
        name,
        file: test.file ?? DEFAULT_TEST_FILE_NAME,
        input,
        expect: {
          ...(expect.output === undefined ? {} : { output: expect.output }),
          ...(expect.tags === undefined ? {} : { tags: expect.tags }),
          status: expect.status ?? (expect.error === undefined ? 'processed' : 'failed'),
          ...(expect.error === undefined ? {} : { error: expect.error }),
        },
      });
    }
    if (expect.status === 'processed' && expect.error !== undefined) {
      issues.push({ path: `${at}/expect/error`, message: 'a processed file has no error: drop "error", or expect "status": "failed"' });
    }
  });
  return { tests, issues };
}

/** An issue for each `inputFile` that does not exist or is not a file. */
export async function inputFileIssues(tests: PipelineTest[]): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const test of tests) {
    if (!('inputFile' in test.input)) continue;
    const { inputFile, absolute } = test.input;
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      const why = info.code === 'ENOENT' ? 'does not exist' : `cannot be read (${info.code ?? info.message})`;
      issues.push({ path: `${test.path}/inputFile`, message: `the input file "${inputFile}" ${why} (looked for ${absolute})` });
    } else if (!info.isFile()) {
      issues.push({ path: `${test.path}/inputFile`, message: `the input file "${inputFile}" is not a file (${absolute})` });
    }
  }
  return issues;
}

/** A test's input for processInMemory: `input` lines and text are text; an `inputFile` is bytes. */
export type TestInput = { text: string } | { bytes: Buffer };

/**
 * The test's input: its lines (each followed by "\n") or text as decoded text, like an
 * editor's; an `inputFile` as the bytes a real file holds, so that gzip, the route's encoding
 * and byte-order marks apply to it as to a file in the queue.
 */
export async function testInput(test: PipelineTest): Promise<TestInput> {
  if ('lines' in test.input) return { text: test.input.lines.map((line) => `${line}\n`).join('') };
  if ('text' in test.input) return { text: test.input.text };
  return { bytes: await readFile(test.input.absolute) };
}
