// The extension-tests module VS Code loads into the extension host (extensionTestsPath): runs
// mocha over the host suites with the real `vscode` API. Under the web launcher (launch.mjs) it
// writes the results to the file named by FILEFLOW_TEST_RESULT; under @vscode/test-electron
// (no such variable) the rejected promise is what fails the run, as in the usual template.
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** One test's outcome, in run order, for the launcher to print mocha-style. */
export interface HostTestResult {
  titlePath: string[];
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
}

export interface HostTestFailure {
  title: string;
  fullTitle: string;
  message: string;
  stack?: string;
  /** For assertion errors: both sides, as mocha's reporters show them. */
  actual?: string;
  expected?: string;
}

/** The JSON written to FILEFLOW_TEST_RESULT; launch.mjs reads it. */
export interface HostTestReport {
  tests: number;
  passes: number;
  pending: number;
  failures: HostTestFailure[];
  results: HostTestResult[];
  durationMs: number;
  vscodeVersion: string;
  suiteDir?: string;
}

// Which suite folder to run (suite, suite-<name>): each runs in its own window (suites.mjs).
function suiteDirectory(): string {
  const name = process.env.FILEFLOW_TEST_SUITE || 'suite';
  if (!/^suite(-[a-z0-9][a-z0-9-]*)?$/.test(name)) throw new Error(`FILEFLOW_TEST_SUITE="${name}" is not a suite name.`);
  return path.join(__dirname, name);
}

function findTestFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.join(dir, file))
    .sort();
}

function failureOf(title: string, fullTitle: string, error: unknown): HostTestFailure {
  const err = error instanceof Error ? error : new Error(String(error));
  const failure: HostTestFailure = { title, fullTitle, message: err.message, stack: err.stack };
  const { actual, expected, showDiff } = err as { actual?: unknown; expected?: unknown; showDiff?: boolean };
  if (showDiff !== false && ('actual' in err || 'expected' in err)) {
    // Mocha has already turned both into strings by the time it reports the failure.
    failure.actual = typeof actual === 'string' ? actual : inspect(actual, { depth: 6 });
    failure.expected = typeof expected === 'string' ? expected : inspect(expected, { depth: 6 });
  }
  return failure;
}

function writeReport(file: string, report: HostTestReport): void {
  // Write then rename, so the launcher never reads half a file.
  const partial = `${file}.partial`;
  writeFileSync(partial, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(partial, file);
}

export async function run(): Promise<void> {
  const resultFile = process.env.FILEFLOW_TEST_RESULT;
  const started = Date.now();
  const report: HostTestReport = {
    tests: 0,
    passes: 0,
    pending: 0,
    failures: [],
    results: [],
    durationMs: 0,
    vscodeVersion: vscode.version,
  };

  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  let suiteDir = '(unknown)';
  try {
    suiteDir = suiteDirectory();
    const files = findTestFiles(suiteDir);
    for (const file of files) mocha.addFile(file);
    await mocha.loadFilesAsync();

    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (test) => {
        report.passes++;
        report.results.push({ titlePath: test.titlePath(), state: 'passed', durationMs: test.duration });
      });
      runner.on('pending', (test) => {
        report.pending++;
        report.results.push({ titlePath: test.titlePath(), state: 'pending' });
      });
      runner.on('fail', (test, error) => {
        // Hooks fail too ("before all" hook …); they are listed like tests.
        report.failures.push(failureOf(test.title, test.fullTitle(), error));
        report.results.push({ titlePath: test.titlePath(), state: 'failed', durationMs: test.duration });
      });
    });
  } catch (error) {
    // A suite that does not load (syntax error, bad import) must fail the run, not vanish.
    report.failures.push(failureOf('loading the host test suites', `loading ${suiteDir}`, error));
  }
  report.suiteDir = suiteDir;
  report.tests = report.passes + report.failures.length;
  report.durationMs = Date.now() - started;

  if (resultFile) writeReport(resultFile, report);
  if (report.failures.length > 0) throw new Error(`${report.failures.length} host test(s) failed.`);
  if (report.passes === 0) throw new Error(`No host tests ran (looked in ${suiteDir}).`);
}
