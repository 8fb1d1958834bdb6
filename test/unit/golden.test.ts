// Golden tests: pipelines and inputs written from the documented behaviour alone (docs/), with
// expected results worked out by hand. Each case runs the built CLI (dist/cli.js) in a fresh
// temporary folder and compares the results byte for byte. Cases live in test/unit/golden/cases
// (read from the source tree: tsc does not copy them); a disputed one is moved to a disputed/
// folder beside cases/, which is not run (test/unit/golden/README.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Expectation {
  /** Expected result file, relative to the case folder. */
  result?: string;
  /**
   * Summary fields to compare (deep equality). Keys may be dotted paths ("tags.end",
   * "processors.c2.passed"). `errorMessageIncludes` checks a substring of `error.message`.
   */
  summary?: Record<string, unknown>;
}

interface GoldenCase {
  description: string;
  args: string[];
  exitCode: number;
  /** Keyed by result name (the file's base name, made unique as in docs/queue.md). */
  expect: Record<string, Expectation>;
  /** When true, the output folder must be absent or empty (e.g. configuration errors). */
  noResults?: boolean;
}

// out/test/unit/golden.test.js -> repository root
const repoRoot = path.resolve(__dirname, '../../..');
const cliPath = path.join(repoRoot, 'dist', 'cli.js');
const casesDir = path.join(repoRoot, 'test', 'unit', 'golden', 'cases');

function listCases(): string[] {
  if (!fs.existsSync(casesDir)) return [];
  return fs
    .readdirSync(casesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function outDirOf(args: string[]): string {
  const i = args.indexOf('--out');
  return i >= 0 && i + 1 < args.length ? args[i + 1] : 'results';
}

function getPath(obj: unknown, dotted: string): unknown {
  let current: unknown = obj;
  for (const key of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Lists every file below `dir`, as paths relative to it with `/` separators. */
function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(path.join(dir, entry.name), rel));
    else files.push(rel);
  }
  return files.sort();
}

/** A readable account of where two buffers first differ. */
function describeDifference(expected: Buffer, actual: Buffer): string {
  let offset = 0;
  const limit = Math.min(expected.length, actual.length);
  while (offset < limit && expected[offset] === actual[offset]) offset++;
  const lineNo = expected.subarray(0, offset).toString('latin1').split('\n').length;
  const window = (buf: Buffer): string => {
    const start = Math.max(0, offset - 40);
    return JSON.stringify(buf.subarray(start, offset + 40).toString('utf8'));
  };
  const lines = (buf: Buffer): string =>
    buf.length > 4000
      ? `(${buf.length} bytes)`
      : buf
          .toString('utf8')
          .split('\n')
          .map((line, i) => `    ${String(i + 1).padStart(3)} ${JSON.stringify(line)}`)
          .join('\n');
  return [
    `first difference at byte ${offset} (expected line ${lineNo}); sizes: expected ${expected.length}, actual ${actual.length}`,
    `  expected near there: ${window(expected)}`,
    `  actual near there:   ${window(actual)}`,
    '  expected lines:',
    lines(expected),
    '  actual lines:',
    lines(actual),
  ].join('\n');
}

function snapshotInputs(dir: string): Map<string, Buffer> {
  const snapshot = new Map<string, Buffer>();
  for (const rel of listFiles(path.join(dir, 'in'))) {
    snapshot.set(rel, fs.readFileSync(path.join(dir, 'in', rel)));
  }
  return snapshot;
}

describe('golden cases (pipelines written from the docs alone)', function () {
  this.timeout(60000);

  before(function () {
    assert.ok(fs.existsSync(path.join(repoRoot, 'package.json')), `repository root not found at ${repoRoot}`);
    assert.ok(fs.existsSync(cliPath), `${cliPath} is missing: run "npm run build" first`);
  });

  it('finds the golden cases in the source tree', function () {
    assert.ok(listCases().length > 0, `no cases found in ${casesDir}`);
  });

  for (const name of listCases()) {
    const caseDir = path.join(casesDir, name);
    const spec = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8')) as GoldenCase;

    it(name, function () {
      const work = fs.mkdtempSync(path.join(os.tmpdir(), `fileflow-golden-${name}-`));
      try {
        fs.cpSync(caseDir, work, { recursive: true });
        const inputsBefore = snapshotInputs(work);

        const run = spawnSync(process.execPath, [cliPath, ...spec.args], {
          cwd: work,
          encoding: 'utf8',
          timeout: 50000,
          env: { ...process.env, NO_COLOR: '1' },
        });
        const output = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
        assert.equal(run.error, undefined, `could not run the CLI: ${String(run.error)}`);
        assert.equal(run.status, spec.exitCode, `exit status of fileflow ${spec.args.join(' ')}${output}`);

        // `run` processes files in place and never moves or changes them.
        assert.deepEqual(snapshotInputs(work), inputsBefore, 'input files were moved or changed');

        const outDir = path.join(work, outDirOf(spec.args));
        if (spec.noResults) {
          assert.deepEqual(listFiles(outDir), [], `expected no results${output}`);
        }

        for (const [resultName, expectation] of Object.entries(spec.expect)) {
          if (expectation.result !== undefined) {
            const expected = fs.readFileSync(path.join(caseDir, expectation.result));
            const resultPath = path.join(outDir, resultName);
            assert.ok(
              fs.existsSync(resultPath),
              `result ${resultName} missing; results folder holds ${JSON.stringify(listFiles(outDir))}${output}`,
            );
            const actual = fs.readFileSync(resultPath);
            if (!actual.equals(expected)) {
              assert.fail(`result ${resultName} differs from ${expectation.result}\n${describeDifference(expected, actual)}`);
            }
          }
          if (expectation.summary !== undefined) {
            const summaryPath = path.join(outDir, `${resultName}.summary.json`);
            assert.ok(
              fs.existsSync(summaryPath),
              `summary ${resultName}.summary.json missing; results folder holds ${JSON.stringify(listFiles(outDir))}${output}`,
            );
            const summary: unknown = JSON.parse(fs.readFileSync(summaryPath, 'utf8'));
            for (const [field, want] of Object.entries(expectation.summary)) {
              if (field === 'errorMessageIncludes') {
                const message = getPath(summary, 'error.message');
                assert.ok(
                  typeof message === 'string' && message.includes(String(want)),
                  `${resultName}: error.message ${JSON.stringify(message)} should include ${JSON.stringify(want)}`,
                );
              } else {
                assert.deepEqual(
                  getPath(summary, field),
                  want,
                  `${resultName}: summary field ${field}\nwhole summary: ${JSON.stringify(summary, null, 2)}`,
                );
              }
            }
          }
        }
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
