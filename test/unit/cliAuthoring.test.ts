// The authoring commands of the built `fileflow` (docs/authoring.md): `fileflow test` (every
// exit code, the diff text, the --json shape, custom modules, routes chosen by the test's file
// name, the time limit) and `run -`, `run --stdout`, `--trace-lines`.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FileSummary } from '../../src/core/summary';
import { FIXTURES, REPO_ROOT, useTempDirs } from './support/harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function fileflow(cwd: string, args: string[], input?: string | Buffer): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, input });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectCode(result: CliResult, code: number): CliResult {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

const NODES = {
  start: { use: 'tagByLevel' },
  warn: { use: 'template', with: { format: '{file}:{n}: {line}' } },
  debug: { use: 'drop' },
  info: { use: 'drop' },
  other: { use: 'drop' },
  error: { use: 'drop' },
  critical: { use: 'drop' },
};

describe('fileflow test / run - / run --stdout (built dist/cli.js)', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs('fileflow-cli-authoring-');

  async function pipelineFile(dir: string, content: unknown, name = 'p.fileflow.json'): Promise<string> {
    await writeFile(path.join(dir, name), JSON.stringify(content, null, 2));
    return name;
  }

  describe('fileflow test', () => {
    it('exit 0 when every test passes: one line per test, then "N passed, N failed"', async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'core.bin'), Buffer.from([1, 0, 2]));
      const p = await pipelineFile(dir, {
        version: 1,
        nodes: NODES,
        tests: [
          { name: 'warnings keep file and line', file: 'app.log', input: ['a [WARN] disk', 'b [INFO] ok'], expect: { output: ['app.log:1: a [WARN] disk'], tags: { warn: 1, info: 1 } } },
          { name: 'binary input fails', inputFile: './core.bin', expect: { status: 'failed', error: 'binary' } },
        ],
      });
      const { stdout, stderr } = expectCode(fileflow(dir, ['test', p]), 0);
      const lines = stdout.trimEnd().split('\n');
      assert.match(lines[0], /^✓ warnings keep file and line \([\d.]+ ms\)$/);
      assert.match(lines[1], /^✓ binary input fails \([\d.]+ ms\)$/);
      assert.equal(lines[2], '2 passed, 0 failed');
      assert.equal(lines.length, 3);
      assert.equal(stderr, '');
    });

    it('exit 1 when one fails, with a readable line diff of expected against actual', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, {
        nodes: NODES,
        tests: [
          { name: 'passes', input: ['x [INFO] y'], expect: { output: [] } },
          {
            name: 'second warning is missing',
            input: ['a [WARN] one', 'b [WARN] two', 'c [WARN] three'],
            expect: { output: ['test.log:1: a [WARN] one', 'test.log:3: c [WARN] three'], tags: { warn: 2 } },
          },
          { name: 'expects a failure', input: ['fine'], expect: { error: 'binary' } },
        ],
      });
      const { stdout } = expectCode(fileflow(dir, ['test', p]), 1);
      const lines = stdout.trimEnd().split('\n');
      assert.match(lines[0], /^✓ passes/);
      assert.deepEqual(lines.slice(1), [
        '✗ second warning is missing',
        '    output differs (expected 2 lines, got 3 lines; - expected, + actual):',
        '        "test.log:1: a [WARN] one"',
        '      + "test.log:2: b [WARN] two"',
        '        "test.log:3: c [WARN] three"',
        '    tags.warn: expected 2, got 3',
        '✗ expects a failure',
        '    status: expected "failed", got "processed"',
        '    error: expected a message containing "binary", got no error',
        '1 passed, 2 failed',
      ]);
    });

    it('exit 2 for an invalid test (an unknown key, a missing inputFile), naming its JSON path; nothing runs', async () => {
      const dir = await tempDir();
      const unknown = await pipelineFile(dir, { nodes: NODES, tests: [{ input: ['a'], expct: {} }] }, 'unknown.json');
      const r1 = expectCode(fileflow(dir, ['test', unknown]), 2);
      assert.match(r1.stderr, /\/tests\/0\/expct: unknown property "expct" \(did you mean "expect"\?\)/);
      assert.equal(r1.stdout, '');
      const missing = await pipelineFile(dir, { nodes: NODES, tests: [{ name: 'ok', input: ['a'] }, { inputFile: './fixtures/nope.log' }] }, 'missing.json');
      const r2 = expectCode(fileflow(dir, ['test', missing]), 2);
      assert.match(r2.stderr, /\/tests\/1\/inputFile: the input file "\.\/fixtures\/nope\.log" does not exist/);
      assert.equal(r2.stdout, '');
      // validate reports the same problem
      assert.match(expectCode(fileflow(dir, ['validate', missing]), 2).stderr, /\/tests\/1\/inputFile/);
      // and a broken pipeline is exit 2 too
      const broken = await pipelineFile(dir, { nodes: { start: { use: 'trim', then: 'nowhere' } }, tests: [{ input: ['a'] }] }, 'broken.json');
      assert.match(expectCode(fileflow(dir, ['test', broken]), 2).stderr, /\/nodes\/start\/then: node "start" sends its lines to tag "nowhere"/);
      expectCode(fileflow(dir, ['test']), 2);
      expectCode(fileflow(dir, ['test', 'no-such-file.json']), 2);
    });

    it('--json: one object per test per line (name, index, path, passed, failures, actual, durationMs); the count on stderr', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, {
        nodes: NODES,
        tests: [
          { name: 'a', input: ['x [WARN] y'], expect: { output: ['test.log:1: x [WARN] y'] } },
          { name: 'b', input: ['x [WARN] y'], expect: { output: [] } },
        ],
      });
      const { stdout, stderr } = expectCode(fileflow(dir, ['test', p, '--json']), 1);
      const objects = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(objects.length, 2);
      for (const object of objects) assert.deepEqual(Object.keys(object), ['name', 'index', 'path', 'passed', 'failures', 'actual', 'durationMs']);
      assert.deepEqual(objects[0].failures, []);
      assert.deepEqual(objects[1], {
        ...objects[1],
        name: 'b',
        index: 1,
        path: '/tests/1',
        passed: false,
        failures: [{ key: 'output', expected: [], actual: ['test.log:1: x [WARN] y'] }],
        actual: { status: 'processed', output: ['test.log:1: x [WARN] y'], tags: { start: 1, warn: 1, end: 1 } },
      });
      assert.equal(stderr, '1 passed, 1 failed\n');
    });

    it('runs a test through a custom module, relative to the pipeline file', async () => {
      const dir = await tempDir();
      await copyFile(path.join(FIXTURES, 'tagger.mjs'), path.join(dir, 'tagger.mjs'));
      const p = await pipelineFile(dir, {
        nodes: { start: { use: { module: './tagger.mjs' }, with: { tag: 'hash' } }, hash: { use: 'template', with: { format: 'H:{line}' } } },
        tests: [{ name: 'custom', input: ['a', '#b'], expect: { output: ['a', 'H:b', 'footer: 2 line(s), n=2, tag=start'] } }],
      });
      assert.match(expectCode(fileflow(path.join(dir, '..'), ['test', path.join(dir, p)]), 0).stdout, /1 passed, 0 failed\n$/);
    });

    it("a test's file name chooses the route, as it would for a real file", async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, {
        routes: [{ match: '*.csv', pipeline: 'csv' }, { pipeline: 'logs' }],
        pipelines: { csv: { nodes: { start: { use: 'split' } } }, logs: { nodes: { start: { use: 'uppercase' } } } },
        tests: [
          // A glob without "/" fits the last part of the name, as in .gitignore (and in a queue's subfolders).
          { name: 'csv by name', file: '2025/data.csv', input: ['a,b'], expect: { output: ['a', 'b'] } },
          { name: 'default name is test.log', input: ['a,b'], expect: { output: ['A,B'] } },
          { name: 'csv expected, log given', file: 'data.log', input: ['a,b'], expect: { output: ['a', 'b'] } },
        ],
      });
      const { stdout } = expectCode(fileflow(dir, ['test', p]), 1);
      assert.match(stdout, /✓ csv by name/);
      assert.match(stdout, /✓ default name is test\.log/);
      assert.match(stdout, /✗ csv expected, log given\n {4}output differs/);
      assert.match(stdout, /2 passed, 1 failed\n$/);
    });

    it('a stuck test fails at the time limit (--file-timeout) and the others still run', async () => {
      const dir = await tempDir();
      await copyFile(path.join(FIXTURES, 'hangOn.cjs'), path.join(dir, 'hangOn.cjs'));
      const p = await pipelineFile(dir, {
        nodes: { start: { use: { module: './hangOn.cjs' } } },
        tests: [
          { name: 'stuck', input: ['HANG'] },
          { name: 'fine', input: ['ok'], expect: { output: ['ok'] } },
        ],
      });
      const { stdout } = expectCode(fileflow(dir, ['test', p, '--file-timeout', '1']), 1);
      assert.match(stdout, /✗ stuck\n {4}status: expected "processed", got "failed": processing took longer than 1 s and was stopped/);
      assert.match(stdout, /✓ fine/);
      assert.match(stdout, /1 passed, 1 failed\n$/);
    });

    it('reads a gzip inputFile in the encoding of its route, as a queued file would be read', async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'app.log.gz'), gzipSync(Buffer.from('x [WARN] café\n', 'latin1')));
      const p = await pipelineFile(dir, {
        routes: [{ match: '*.latin1', encoding: 'latin1', pipeline: 'logs' }, { pipeline: 'logs' }],
        pipelines: { logs: { nodes: NODES } },
        tests: [
          { name: 'latin1', file: 'app.latin1', inputFile: './app.log.gz', expect: { output: ['app.latin1:1: x [WARN] café'] } },
          { name: 'utf8', file: 'app.log', inputFile: './app.log.gz', expect: { output: ['app.log:1: x [WARN] caf\uFFFD'] } },
        ],
      });
      const { stdout } = expectCode(fileflow(dir, ['test', p]), 0);
      assert.match(stdout, /2 passed, 0 failed\n$/);
    });

    it('--max-line-bytes applies to the tests as to a queued file', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES, tests: [{ name: 'long', input: ['x [WARN] a long line'], expect: { output: ['test.log:1: x [WARN] a long line'] } }] });
      expectCode(fileflow(dir, ['test', p]), 0);
      const { stdout } = expectCode(fileflow(dir, ['test', p, '--max-line-bytes', '8']), 1);
      assert.match(stdout, /line 1 is longer than maxLineBytes \(8 bytes\)/);
    });

    it('refuses the flags of other commands in one line, and its own flags elsewhere', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      const refused: [string[], RegExp][] = [
        [['test', p, '--once'], /^fileflow: test: --once works only with watch \(see/],
        [['test', p, '--out', 'x'], /^fileflow: test: --out works only with run \(see/],
        [['validate', p, '--file-timeout', '1'], /^fileflow: validate: --file-timeout works only with watch and test \(see/],
        [['watch', dir, '--stdout'], /^fileflow: watch: --stdout works only with run \(see/],
        [['watch', dir, '--trace-lines'], /^fileflow: watch: --trace-lines works only with run \(see/],
        [['test', p, '--name', 'a'], /^fileflow: test: --name works only with run \(see/],
        [['run', '-', '--file-timeout', '1'], /^fileflow: run: --file-timeout works only with watch and test \(run processes files in this process/],
      ];
      for (const [args, message] of refused) {
        const { stderr } = expectCode(fileflow(dir, args, ''), 2);
        assert.match(stderr, message, args.join(' '));
        assert.equal(stderr.trimEnd().split('\n').length, 1, args.join(' '));
      }
    });

    it('a file without tests passes with a note', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      assert.equal(expectCode(fileflow(dir, ['test', p]), 0).stdout, `${p}: no tests (add "tests" to the pipeline file)\n0 passed, 0 failed\n`);
    });
  });

  describe('run - and --stdout', () => {
    const LOG = 'x [WARN] one\r\ny [INFO] two\r\nz [WARN] three\r\n';

    it('cat sample | fileflow run - --stdout --pipeline p: the result on stdout, named "stdin", nothing on disk', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      const { stdout, stderr } = expectCode(fileflow(dir, ['run', '-', '--stdout', '--pipeline', p], LOG), 0);
      assert.equal(stdout, 'stdin:1: x [WARN] one\r\nstdin:3: z [WARN] three\r\n');
      assert.equal(stderr, '');
      assert.deepEqual(await readdir(dir), [p]);
    });

    it('--name names standard input; without --stdout the result goes to the results folder', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      expectCode(fileflow(dir, ['run', '-', '--name', 'app.log', '--pipeline', p], LOG), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'app.log'), 'utf8'), 'app.log:1: x [WARN] one\r\napp.log:3: z [WARN] three\r\n');
      const summary = JSON.parse(await readFile(path.join(dir, 'results', 'app.log.summary.json'), 'utf8')) as FileSummary;
      assert.equal(summary.linesIn, 3);
      expectCode(fileflow(dir, ['run', 'x.log', '--name', 'a'], LOG), 2);
      expectCode(fileflow(dir, ['run', '-', '-', '--stdout'], LOG), 2);
      expectCode(fileflow(dir, ['run', '-', '--name', '../a', '--stdout'], LOG), 2);
    });

    it('--stdout --json: the result on stdout, summaries and metrics as JSON on stderr; a failed input exits 1', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      await writeFile(path.join(dir, 'a.log'), 'q [WARN] file\n');
      const { stdout, stderr } = expectCode(fileflow(dir, ['run', 'a.log', '-', '--stdout', '--json', '--pipeline', p], 'bin\u0000ary\n'), 1);
      assert.equal(stdout, 'a.log:1: q [WARN] file\n');
      const report = JSON.parse(stderr) as { summaries: FileSummary[]; metrics: { files: { processed: number; failed: number } } };
      assert.deepEqual(
        report.summaries.map((s) => [s.name, s.status]),
        [
          ['a.log', 'processed'],
          ['stdin', 'failed'],
        ],
      );
      assert.equal(report.metrics.files.failed, 1);
    });

    it('gzip on standard input is decompressed, and its summary counts the bytes as stored', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      const gz = gzipSync(Buffer.from(LOG));
      const { stdout, stderr } = expectCode(fileflow(dir, ['run', '-', '--stdout', '--json', '--pipeline', p], gz), 0);
      assert.equal(stdout, 'stdin:1: x [WARN] one\r\nstdin:3: z [WARN] three\r\n');
      const report = JSON.parse(stderr) as { summaries: FileSummary[] };
      assert.equal(report.summaries[0].bytesIn, gz.length);
      assert.equal(report.summaries[0].linesIn, 3);
      expectCode(fileflow(dir, ['run', '-', '--name', 'app.log', '--pipeline', p], gz), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'app.log'), 'utf8'), 'app.log:1: x [WARN] one\r\napp.log:3: z [WARN] three\r\n');
    });

    it('run - never writes a result over an input: "run results/stdin -" is refused before anything is written', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: NODES });
      expectCode(fileflow(dir, ['run', '-', '--pipeline', p], LOG), 0);
      const before = await readFile(path.join(dir, 'results', 'stdin'), 'utf8');
      const { stderr } = expectCode(fileflow(dir, ['run', 'results/stdin', '-', '--pipeline', p, '--out', 'results'], LOG), 2);
      assert.match(stderr, /run would write over its input results\/stdin/);
      assert.equal(await readFile(path.join(dir, 'results', 'stdin'), 'utf8'), before);
    });

    it('--stdout into a reader that stops early (| head): no error, exit status unchanged', async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'big.log'), 'x [WARN] a line that is kept\n'.repeat(200_000));
      const child = spawn(process.execPath, [CLI, 'run', 'big.log', '--stdout'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy(); // as head does after its lines
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(stderr, '');
      assert.equal(code, 0);
    });

    it('--trace-lines prints each result line with its input line n and the nodes it passed through', async () => {
      const dir = await tempDir();
      const p = await pipelineFile(dir, { nodes: { ...NODES, warn: { use: 'template', with: { format: 'W {line}' }, then: 'loud' }, loud: { use: 'uppercase' } } });
      const { stdout } = expectCode(fileflow(dir, ['run', '-', '--trace-lines', '--pipeline', p], LOG), 0);
      assert.equal(stdout, '1\tstart>warn>loud\tW X [WARN] ONE\n3\tstart>warn>loud\tW Z [WARN] THREE\n');
    });
  });
});
