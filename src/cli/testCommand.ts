// `fileflow test PIPELINE [--json]` (docs/authoring.md): runs the tests of a pipeline file in
// a sample worker, under the per-file time limit, and prints one line per test (with what
// differs when it fails), then `N passed, N failed`.

import * as path from 'node:path';
import { SampleRunner } from '../core/authoring/sampleRunner';
import { describeFailure } from '../core/authoring/testReport';
import type { TestResult } from '../core/authoring/testRunner';
import { DEFAULT_FILE_TIMEOUT_SEC } from '../core/defaults';
import { ConfigError } from '../core/errors';
import type { Command } from './args';

export interface TestIo {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
}

/** 0 every test passed (or there are none), 1 some failed; a ConfigError (exit 2) when the file or a test is invalid. */
export async function testCommand(command: Extract<Command, { kind: 'test' }>, io: TestIo): Promise<number> {
  const file = path.resolve(io.cwd, command.file);
  // Tests run under the same limit as a watched file's.
  const runner = new SampleRunner({ timeoutMs: (command.fileTimeoutSec ?? DEFAULT_FILE_TIMEOUT_SEC) * 1000 });
  try {
    const loaded = await runner.load({ file, allowCustomModules: true }, true);
    if (!loaded.ok) throw new ConfigError(file, loaded.issues);
    if (loaded.tests.length === 0 && !command.json) io.out(`${command.file}: no tests (add "tests" to the pipeline file)\n`);
    let passed = 0;
    for (const test of loaded.tests) {
      const result = await runner.test(test, command.maxLineBytes);
      if (result.passed) passed++;
      io.out(command.json ? `${JSON.stringify(result)}\n` : formatTestResult(result));
    }
    const failed = loaded.tests.length - passed;
    (command.json ? io.err : io.out)(`${passed} passed, ${failed} failed\n`);
    return failed > 0 ? 1 : 0;
  } finally {
    await runner.dispose();
  }
}

/** A test's line, and under a failed one what differs, indented. */
export function formatTestResult(result: TestResult): string {
  if (result.passed) return `✓ ${result.name} (${result.durationMs} ms)\n`;
  const lines = [`✗ ${result.name}`];
  for (const failure of result.failures) lines.push(...describeFailure(failure).map((line) => `    ${line}`));
  return `${lines.join('\n')}\n`;
}
