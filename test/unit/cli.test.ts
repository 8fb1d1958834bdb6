// The built `fileflow` command (docs/cli.md), run as a child process: exit codes, --json, validate,
// samples, the seed-compatible aliases, pipeline discovery, result naming and replacement; and
// the parsing of `watch --file-timeout`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseCommandLine, UsageError } from '../../src/cli/args';
import type { FileSummary } from '../../src/core/summary';
import { exists, FIXTURES, REPO_ROOT, useTempDirs } from './support/harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function fileflow(cwd: string, ...args: string[]): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Asserts the exit code, showing the output when it is wrong. */
function expectCode(result: CliResult, code: number): CliResult {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

async function readSummary(file: string): Promise<FileSummary> {
  return JSON.parse(await readFile(file, 'utf8')) as FileSummary;
}

const LOG = ['2026-11-30 10:00:00 [INFO] Api: started', '2026-11-30 10:00:01 [ERROR] Db: down', '2026-11-30 10:00:02 [DEBUG] Api: x', ''].join('\n');

describe('fileflow CLI (built dist/cli.js)', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs('fileflow-cli-');

  before(function () {
    assert.ok(existsSync(CLI), `${CLI} is missing: run "npm run build" first`);
  });

  /** A temp folder holding the given files. */
  async function workspace(files: Record<string, string | Buffer> = {}): Promise<string> {
    const dir = await tempDir();
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    return dir;
  }

  describe('help and version', () => {
    it('--help, -h, "help" and no arguments print the usage and exit 0', async () => {
      const dir = await workspace();
      for (const args of [['--help'], ['-h'], ['help'], []]) {
        const result = expectCode(fileflow(dir, ...args), 0);
        assert.match(result.stdout, /Usage:/, args.join(' '));
        for (const command of ['fileflow run FILE...', 'fileflow watch ROOT', 'fileflow validate PIPELINE', 'fileflow samples DIR']) {
          assert.ok(result.stdout.includes(command), `${args.join(' ')}: ${command}`);
        }
        assert.equal(result.stderr, '');
      }
    });

    it('--version and -v print the package version', async () => {
      const { version } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      const dir = await workspace();
      assert.equal(expectCode(fileflow(dir, '--version'), 0).stdout, `${version}\n`);
      assert.equal(expectCode(fileflow(dir, '-v'), 0).stdout, `${version}\n`);
    });
  });

  describe('usage errors exit 2 with a message on stderr', () => {
    it('an unknown command', async () => {
      const result = expectCode(fileflow(await workspace(), 'frobnicate'), 2);
      assert.match(result.stderr, /unknown command "frobnicate"/);
      assert.equal(result.stdout, '');
    });

    it('an unknown flag', async () => {
      const result = expectCode(fileflow(await workspace({ 'a.log': LOG }), 'run', 'a.log', '--frob'), 2);
      assert.match(result.stderr, /--frob/);
    });

    it('a missing input file, before anything is written', async () => {
      const dir = await workspace({ 'a.log': LOG });
      const result = expectCode(fileflow(dir, 'run', 'a.log', 'nope.log'), 2);
      assert.match(result.stderr, /no such file: nope\.log/);
      assert.equal(await exists(path.join(dir, 'results')), false);
    });

    it('a folder given to run', async () => {
      const dir = await workspace({ 'logs/a.log': LOG });
      const result = expectCode(fileflow(dir, 'run', 'logs'), 2);
      assert.match(result.stderr, /logs is a folder/);
    });

    it('run without files', async () => {
      expectCode(fileflow(await workspace(), 'run'), 2);
    });

    it('a bad --log-level', async () => {
      const result = expectCode(fileflow(await workspace({ 'a.log': LOG }), 'run', 'a.log', '--log-level', 'loud'), 2);
      assert.match(result.stderr, /--log-level must be one of trace, debug, info, warn, error \(got "loud"\)/);
    });

    it('bad numbers for samples', async () => {
      const result = expectCode(fileflow(await workspace(), 'samples', 'out', '--count', 'many'), 2);
      assert.match(result.stderr, /--count must be a whole number/);
    });

    it('--pipeline and --config together', async () => {
      expectCode(fileflow(await workspace({ 'a.log': LOG }), 'run', 'a.log', '--pipeline', 'x.json', '--config', 'y.json'), 2);
    });
  });

  describe('configuration errors exit 2 and process nothing', () => {
    it('names the JSON path of every problem', async () => {
      const dir = await workspace({
        'a.log': LOG,
        'bad.json': JSON.stringify({ nodes: { start: { use: 'trimm', then: 'next' } }, extra: 1 }),
      });
      const result = expectCode(fileflow(dir, 'run', 'a.log', '--pipeline', 'bad.json'), 2);
      assert.match(result.stderr, /bad\.json: 2 problems/);
      assert.match(result.stderr, /\/extra: unknown property "extra"/);
      assert.match(result.stderr, /\/nodes\/start\/use: unknown processor "trimm" \(did you mean "trim"\?\)/);
      assert.equal(await exists(path.join(dir, 'results')), false);
    });

    it('reports invalid JSON with line and column', async () => {
      const dir = await workspace({ 'a.log': LOG, 'bad.json': '{\n  "nodes": \n}' });
      const result = expectCode(fileflow(dir, 'run', 'a.log', '--pipeline', 'bad.json'), 2);
      assert.match(result.stderr, /invalid JSON at line 3, column 1/);
    });

    it('a missing pipeline file', async () => {
      const result = expectCode(fileflow(await workspace({ 'a.log': LOG }), 'run', 'a.log', '--pipeline', 'missing.json'), 2);
      assert.match(result.stderr, /cannot read the pipeline file/);
    });

    it('a broken fileflow.pipeline.json in the working folder is an error too (not silently replaced by the default)', async () => {
      const dir = await workspace({ 'a.log': LOG, 'fileflow.pipeline.json': '{ "nodes": { "start": { "use": "nope" } } }' });
      const result = expectCode(fileflow(dir, 'run', 'a.log'), 2);
      assert.match(result.stderr, /\/nodes\/start\/use: unknown processor "nope"/);
    });
  });

  describe('validate', () => {
    it('prints ok and exits 0 for a good file', async () => {
      const pipeline = {
        routes: [{ match: '*.csv', pipeline: 'csv' }, { pipeline: 'logs' }],
        pipelines: { csv: { nodes: { start: { use: 'trim' } } }, logs: { nodes: { start: { use: 'trim', then: 'up' }, up: { use: 'uppercase' } } } },
      };
      const dir = await workspace({ 'p.json': JSON.stringify(pipeline) });
      const result = expectCode(fileflow(dir, 'validate', 'p.json'), 0);
      assert.equal(result.stdout, 'p.json: ok — pipelines: csv (1 nodes), logs (2 nodes); 2 route(s)\n');
    });

    it('lists every problem with its JSON path and exits 2 for a bad file', async () => {
      const dir = await workspace({ 'p.json': JSON.stringify({ version: 2, nodes: { start: { use: 'filter', with: {} } } }) });
      const result = expectCode(fileflow(dir, 'validate', 'p.json'), 2);
      assert.match(result.stderr, /\/version: must be 1/);
      assert.match(result.stderr, /\/nodes\/start\/with: missing required property "pattern"/);
      assert.equal(result.stdout, '');
    });

    it('needs a file', async () => {
      expectCode(fileflow(await workspace(), 'validate'), 2);
    });
  });

  describe('run', () => {
    it('exits 0 when every file was processed and writes DIR/<name> and its summary (default DIR "results")', async () => {
      const dir = await workspace({ 'logs/app.log': LOG });
      const result = expectCode(fileflow(dir, 'run', 'logs/app.log'), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'app.log'), 'utf8'), 'app.log:2: 2026-11-30 10:00:01 [ERROR] Db: down\n');
      const summary = await readSummary(path.join(dir, 'results', 'app.log.summary.json'));
      assert.equal(summary.status, 'processed');
      assert.equal(summary.name, 'app.log');
      assert.equal(summary.source, 'logs/app.log');
      assert.equal(summary.pipeline, 'logs');
      assert.equal(summary.linesIn, 3);
      assert.equal(summary.linesOut, 1);
      assert.equal(summary.tags.end, summary.linesOut);
      assert.match(result.stdout, /app\.log/);
    });

    it('processes files in place: the input is neither moved nor changed', async () => {
      const dir = await workspace({ 'app.log': LOG });
      expectCode(fileflow(dir, 'run', 'app.log'), 0);
      assert.equal(await readFile(path.join(dir, 'app.log'), 'utf8'), LOG);
    });

    it('exits 1 when any file failed; the failed file has a summary but no result', async () => {
      const dir = await workspace({ 'good.log': LOG, 'bin.log': Buffer.from([0x61, 0x00, 0x0a]) });
      const result = expectCode(fileflow(dir, 'run', 'good.log', 'bin.log'), 1);
      assert.equal(await exists(path.join(dir, 'results', 'good.log')), true);
      assert.equal(await exists(path.join(dir, 'results', 'bin.log')), false);
      const summary = await readSummary(path.join(dir, 'results', 'bin.log.summary.json'));
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'EBINARY');
      assert.match(summary.error?.message ?? '', /binary file/);
      assert.match(result.stdout, /bin\.log: binary file/);
    });

    it('--out chooses the results folder', async () => {
      const dir = await workspace({ 'app.log': LOG });
      expectCode(fileflow(dir, 'run', 'app.log', '--out', 'elsewhere/out'), 0);
      assert.equal(await exists(path.join(dir, 'elsewhere', 'out', 'app.log')), true);
      assert.equal(await exists(path.join(dir, 'elsewhere', 'out', 'app.log.summary.json')), true);
      assert.equal(await exists(path.join(dir, 'results')), false);
    });

    it('two inputs of one run with the same base name get "name (2).ext"', async () => {
      const dir = await workspace({ 'a/app.log': 'ERROR from a\n', 'b/app.log': 'ERROR from b\n', 'c/app.log': 'ERROR from c\n' });
      expectCode(fileflow(dir, 'run', 'a/app.log', 'b/app.log', 'c/app.log'), 0);
      assert.deepEqual((await readdir(path.join(dir, 'results'))).sort(), [
        'app (2).log',
        'app (2).log.summary.json',
        'app (3).log',
        'app (3).log.summary.json',
        'app.log',
        'app.log.summary.json',
      ]);
      assert.equal(await readFile(path.join(dir, 'results', 'app.log'), 'utf8'), 'app.log:1: ERROR from a\n');
      assert.equal(await readFile(path.join(dir, 'results', 'app (2).log'), 'utf8'), 'app (2).log:1: ERROR from b\n');
      const second = await readSummary(path.join(dir, 'results', 'app (2).log.summary.json'));
      assert.equal(second.name, 'app (2).log');
      assert.equal(second.source, 'b/app.log');
    });

    it('a later run of the same file replaces its result', async () => {
      const dir = await workspace({ 'app.log': 'ERROR first\n' });
      expectCode(fileflow(dir, 'run', 'app.log'), 0);
      await writeFile(path.join(dir, 'app.log'), 'WARN second\nERROR third\n');
      expectCode(fileflow(dir, 'run', 'app.log'), 0);
      assert.deepEqual((await readdir(path.join(dir, 'results'))).sort(), ['app.log', 'app.log.summary.json']);
      assert.equal(await readFile(path.join(dir, 'results', 'app.log'), 'utf8'), 'app.log:1: WARN second\napp.log:2: ERROR third\n');
      assert.equal((await readSummary(path.join(dir, 'results', 'app.log.summary.json'))).linesIn, 2);
    });

    it('a later failed run removes the earlier result, leaving only the failed summary', async () => {
      const dir = await workspace({ 'app.log': 'ERROR first\n' });
      expectCode(fileflow(dir, 'run', 'app.log'), 0);
      await writeFile(path.join(dir, 'app.log'), Buffer.from([0x00]));
      expectCode(fileflow(dir, 'run', 'app.log'), 1);
      assert.deepEqual(await readdir(path.join(dir, 'results')), ['app.log.summary.json']);
      assert.equal((await readSummary(path.join(dir, 'results', 'app.log.summary.json'))).status, 'failed');
    });

    it('leaves no temporary files behind in the results folder', async () => {
      const dir = await workspace({ 'ok.log': LOG, 'bad.log': Buffer.from([0]) });
      expectCode(fileflow(dir, 'run', 'ok.log', 'bad.log'), 1);
      const names = await readdir(path.join(dir, 'results'));
      assert.deepEqual(names.filter((n) => n.startsWith('.') || n.endsWith('.tmp')), []);
    });

    it('--json prints the summaries and the metrics snapshot', async () => {
      const dir = await workspace({ 'good.log': LOG, 'bad.log': Buffer.from([0x00]) });
      const result = expectCode(fileflow(dir, 'run', 'good.log', 'bad.log', '--json'), 1);
      const parsed = JSON.parse(result.stdout) as { summaries: FileSummary[]; metrics: Record<string, unknown> };
      assert.deepEqual(Object.keys(parsed).sort(), ['metrics', 'summaries']);
      assert.deepEqual(
        parsed.summaries.map((s) => [s.name, s.status]),
        [
          ['good.log', 'processed'],
          ['bad.log', 'failed'],
        ],
      );
      const m = parsed.metrics as {
        files: Record<string, number>;
        successRate: number;
        lines: Record<string, number>;
        bytes: Record<string, number>;
        throughput: { lastMinute: Record<string, number>; sinceStart: Record<string, number> };
        latencyMs: Record<string, number>;
        nodes: Record<string, Record<string, { in: number; out: number; errors: number; ms: number }>>;
        recentErrors: { file: string; message: string }[];
        uptimeSec: number;
        process: Record<string, number>;
      };
      for (const key of ['files', 'successRate', 'lines', 'bytes', 'throughput', 'latencyMs', 'nodes', 'recentErrors', 'uptimeSec', 'process']) {
        assert.ok(key in m, `metrics.${key}`);
      }
      assert.deepEqual(m.files, { processed: 1, failed: 1, inProgress: 0, queued: 0 });
      assert.equal(m.successRate, 0.5);
      assert.deepEqual(m.lines, { in: 3, out: 1 });
      assert.equal(parsed.summaries[0].bytesIn, Buffer.byteLength(LOG));
      assert.equal(m.bytes.in, parsed.summaries[0].bytesIn + parsed.summaries[1].bytesIn);
      assert.equal(m.bytes.out, Buffer.byteLength('good.log:2: 2026-11-30 10:00:01 [ERROR] Db: down\n'));
      for (const rates of [m.throughput.lastMinute, m.throughput.sinceStart]) {
        assert.deepEqual(Object.keys(rates).sort(), ['bytesPerSec', 'filesPerSec', 'linesPerSec']);
      }
      for (const p of ['p50', 'p95', 'p99', 'max']) assert.equal(typeof m.latencyMs[p], 'number', p);
      assert.deepEqual(
        { in: m.nodes.logs.start.in, out: m.nodes.logs.start.out, errors: m.nodes.logs.start.errors },
        { in: 3, out: 3, errors: 0 },
      );
      assert.equal(m.recentErrors.length, 1);
      assert.equal(m.recentErrors[0].file, 'bad.log');
      assert.match(m.recentErrors[0].message, /binary file/);
      assert.equal(typeof m.uptimeSec, 'number');
      assert.equal(typeof m.process.rssBytes, 'number');
      assert.equal(typeof m.process.cpuPercent, 'number');
    });
  });

  describe('choosing the pipeline', () => {
    const upper = JSON.stringify({ nodes: { start: { use: 'uppercase' } } });

    it('uses fileflow.pipeline.json in the working folder by default', async () => {
      const dir = await workspace({ 'a.log': 'hello\n', 'fileflow.pipeline.json': upper });
      expectCode(fileflow(dir, 'run', 'a.log'), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'a.log'), 'utf8'), 'HELLO\n');
    });

    it('uses the built-in default when there is none', async () => {
      const dir = await workspace({ 'a.log': 'hello\nERROR x\n' });
      expectCode(fileflow(dir, 'run', 'a.log'), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'a.log'), 'utf8'), 'a.log:2: ERROR x\n');
    });

    it('--pipeline wins over fileflow.pipeline.json', async () => {
      const dir = await workspace({ 'a.log': 'Hello\n', 'fileflow.pipeline.json': upper, 'lower.json': JSON.stringify({ nodes: { start: { use: 'lowercase' } } }) });
      expectCode(fileflow(dir, 'run', 'a.log', '--pipeline', 'lower.json'), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'a.log'), 'utf8'), 'hello\n');
    });

    it('loads custom processor modules (CommonJS and ES) relative to the pipeline file', async () => {
      const dir = await workspace({ 'a.log': 'one\n#two\n' });
      await mkdir(path.join(dir, 'conf'));
      await copyFile(path.join(FIXTURES, 'tagger.mjs'), path.join(dir, 'conf', 'tagger.mjs'));
      await copyFile(path.join(FIXTURES, 'ctxEcho.cjs'), path.join(dir, 'conf', 'echo.cjs'));
      await writeFile(
        path.join(dir, 'conf', 'p.json'),
        JSON.stringify({ nodes: { start: { use: { module: './tagger.mjs' }, with: { tag: 'echo' } }, echo: { use: { module: './echo.cjs' } } } }),
      );
      expectCode(fileflow(dir, 'run', 'a.log', '--pipeline', 'conf/p.json'), 0);
      assert.equal(
        await readFile(path.join(dir, 'results', 'a.log'), 'utf8'),
        'one\ntwo n=2 file=a.log tag=echo\nfooter: 2 line(s), n=2, tag=start\n',
      );
    });
  });

  describe('watch --file-timeout', () => {
    it('parses seconds (0 = no limit) for watch and its --watch alias; absent leaves the default to the queue', () => {
      const watch = (...args: string[]) => parseCommandLine(args) as Extract<ReturnType<typeof parseCommandLine>, { kind: 'watch' }>;
      assert.equal(watch('watch', 'root', '--file-timeout', '30').fileTimeoutSec, 30);
      assert.equal(watch('watch', 'root', '--file-timeout=0').fileTimeoutSec, 0);
      assert.equal(watch('--watch', 'root', '--file-timeout', '5').fileTimeoutSec, 5);
      assert.equal(watch('watch', 'root').fileTimeoutSec, undefined);
    });

    it('refuses what is not a whole number of seconds', () => {
      for (const value of ['-1', '1.5', 'ten', '']) {
        assert.throws(() => parseCommandLine(['watch', 'root', `--file-timeout=${value}`]), (error: Error) => {
          return error instanceof UsageError && error.message === `--file-timeout must be a whole number of at least 0 (got "${value}")`;
        });
      }
    });

    it('is refused by run, saying why, rather than silently ignored', () => {
      for (const args of [['run', 'a.log', '--file-timeout', '5'], ['--input', 'a.log', '--file-timeout', '5']]) {
        assert.throws(() => parseCommandLine(args), (error: Error) => error instanceof UsageError && /--file-timeout works only with watch/.test(error.message));
      }
    });

    it('is in --help', async () => {
      const result = expectCode(fileflow(await workspace(), '--help'), 0);
      assert.match(result.stdout, /\[--file-timeout S\]/);
      assert.match(result.stdout, /default 600; 0 = no\s+limit/);
    });

    it('`watch --once --file-timeout 1` fails a stuck file with the reason, processes the rest and exits 1', async () => {
      const dir = await workspace({
        'q/unprocessed/a.log': 'one\n',
        'q/unprocessed/stuck.log': 'HANG\n',
        'q/unprocessed/z.log': 'two\n',
        'p.json': JSON.stringify({ nodes: { start: { use: { module: path.join(FIXTURES, 'hangOn.cjs') } } } }),
      });
      const result = expectCode(fileflow(dir, 'watch', 'q', '--once', '--concurrency', '1', '--pipeline', 'p.json', '--file-timeout', '1'), 1);
      assert.match(result.stdout, /✗ stuck\.log -> failed\/: processing took longer than 1 s and was stopped \(a processor may be stuck\)/);
      const summary = await readSummary(path.join(dir, 'q', 'results', 'stuck.log.summary.json'));
      assert.equal(summary.error?.code, 'EPROCESSOR');
      assert.deepEqual((await readdir(path.join(dir, 'q', 'processed'))).sort(), ['a.log', 'z.log']);
      assert.deepEqual(await readdir(path.join(dir, 'q', 'failed')), ['stuck.log']);
      assert.deepEqual(await readdir(path.join(dir, 'q', 'underprocess')), []);
    });
  });

  describe('seed-compatible aliases', () => {
    it('--input FILE is run FILE (and may be repeated)', async () => {
      const dir = await workspace({ 'a.log': 'ERROR a\n', 'b.log': 'ERROR b\n' });
      expectCode(fileflow(dir, '--input', 'a.log', '--input', 'b.log'), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'a.log'), 'utf8'), 'a.log:1: ERROR a\n');
      assert.equal(await readFile(path.join(dir, 'results', 'b.log'), 'utf8'), 'b.log:1: ERROR b\n');
    });

    it('--input cannot be combined with a command', async () => {
      expectCode(fileflow(await workspace({ 'a.log': LOG }), 'run', '--input', 'a.log'), 2);
    });

    it('--config P is --pipeline P', async () => {
      const dir = await workspace({ 'a.log': 'hello\n', 'p.json': JSON.stringify({ nodes: { start: { use: 'uppercase' } } }) });
      expectCode(fileflow(dir, '--input', 'a.log', '--config', 'p.json'), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'a.log'), 'utf8'), 'HELLO\n');
      const bad = expectCode(fileflow(dir, 'validate', '--config', 'missing.json'), 2);
      assert.match(bad.stderr, /missing\.json/);
    });

    it('--debug logs at debug level on stderr', async () => {
      const dir = await workspace({ 'a.log': LOG });
      const quiet = expectCode(fileflow(dir, 'run', 'a.log'), 0);
      assert.doesNotMatch(quiet.stderr, /DEBUG/);
      const result = expectCode(fileflow(dir, 'run', 'a.log', '--debug'), 0);
      assert.match(result.stderr, /DEBUG .*pipeline/);
      assert.doesNotMatch(result.stderr, / -> /, 'routing hops are trace only');
    });

    it('--trace logs every routing hop on stderr', async () => {
      const dir = await workspace({ 'a.log': LOG });
      const result = expectCode(fileflow(dir, 'run', 'a.log', '--trace'), 0);
      assert.match(result.stderr, /TRACE a\.log:1 start -> info: 2026-11-30 10:00:00 \[INFO\] Api: started/);
      assert.match(result.stderr, /TRACE a\.log:2 start -> error: /);
      assert.match(result.stderr, /TRACE a\.log:2 error -> end: a\.log:2: 2026-11-30 10:00:01 \[ERROR\] Db: down/);
      const same = expectCode(fileflow(dir, 'run', 'a.log', '--log-level', 'trace'), 0);
      assert.match(same.stderr, /TRACE a\.log:2 error -> end: /);
    });
  });

  describe('samples', () => {
    const STANDARD = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[[A-Z]+\] [A-Za-z]+: .+$/;
    const PIPE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\|[A-Z]+\|[A-Za-z]+\|.+$/;

    async function readAll(dir: string): Promise<Map<string, Buffer>> {
      const files = new Map<string, Buffer>();
      for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(path.join(dir, name)));
      return files;
    }

    it('writes --count files of --lines lines (default 10 x 100)', async () => {
      const dir = await workspace();
      const result = expectCode(fileflow(dir, 'samples', 'out', '--count', '3', '--lines', '25'), 0);
      assert.match(result.stdout, /wrote 3 sample log file/);
      const files = await readAll(path.join(dir, 'out'));
      assert.deepEqual([...files.keys()], ['sample-001.log', 'sample-002.log', 'sample-003.log']);
      for (const content of files.values()) assert.equal(content.toString('utf8').split('\n').length, 26);
      expectCode(fileflow(dir, 'samples', 'defaults'), 0);
      const defaults = await readAll(path.join(dir, 'defaults'));
      assert.equal(defaults.size, 10);
      for (const content of defaults.values()) assert.equal(content.toString('utf8').split('\n').length, 101);
    });

    it('is deterministic: the same seed gives identical bytes, another seed different ones', async () => {
      const dir = await workspace();
      expectCode(fileflow(dir, 'samples', 'a', '--count', '2', '--lines', '50', '--seed', '7'), 0);
      expectCode(fileflow(dir, 'samples', 'b', '--count', '2', '--lines', '50', '--seed', '7'), 0);
      expectCode(fileflow(dir, 'samples', 'c', '--count', '2', '--lines', '50', '--seed', '8'), 0);
      const a = await readAll(path.join(dir, 'a'));
      const b = await readAll(path.join(dir, 'b'));
      const c = await readAll(path.join(dir, 'c'));
      assert.deepEqual(a, b);
      for (const [name, content] of a) assert.notDeepEqual(content, c.get(name), name);
    });

    it('the default seed is 42', async () => {
      const dir = await workspace();
      expectCode(fileflow(dir, 'samples', 'a', '--count', '1', '--lines', '20'), 0);
      expectCode(fileflow(dir, 'samples', 'b', '--count', '1', '--lines', '20', '--seed', '42'), 0);
      assert.deepEqual(await readAll(path.join(dir, 'a')), await readAll(path.join(dir, 'b')));
    });

    it('writes the seed\'s line formats, about 20 % of them pipe-separated', async () => {
      const dir = await workspace();
      expectCode(fileflow(dir, 'samples', 'out', '--count', '4', '--lines', '1000', '--seed', '3'), 0);
      let pipe = 0;
      let total = 0;
      for (const content of (await readAll(path.join(dir, 'out'))).values()) {
        const lines = content.toString('utf8').split('\n');
        assert.equal(lines.pop(), '', 'each file ends with a newline');
        for (const line of lines) {
          total++;
          if (PIPE.test(line)) pipe++;
          else assert.match(line, STANDARD);
        }
      }
      assert.equal(total, 4000);
      const share = pipe / total;
      assert.ok(share > 0.15 && share < 0.25, `pipe share ${share}`);
    });

    it('the samples are triaged by the built-in default pipeline', async () => {
      const dir = await workspace();
      expectCode(fileflow(dir, 'samples', 'in', '--count', '1', '--lines', '200'), 0);
      expectCode(fileflow(dir, 'run', 'in/sample-001.log'), 0);
      const summary = await readSummary(path.join(dir, 'results', 'sample-001.log.summary.json'));
      assert.equal(summary.linesIn, 200);
      assert.ok(summary.linesOut > 0);
      assert.equal(summary.linesOut, (summary.tags.warn ?? 0) + (summary.tags.error ?? 0) + (summary.tags.critical ?? 0));
      assert.equal(summary.tags.other, undefined, 'every sample line has a level');
    });
  });
});
