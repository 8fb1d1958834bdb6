// `fileflow watch`: every queue setting of the extension as a flag, what it says when it
// starts, and `--json` as an NDJSON event stream with the metrics snapshot last (docs/cli.md).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { parseCommandLine, UsageError, type Command } from '../../src/cli/args';
import { eventLine, snapshotLine } from '../../src/cli/events';
import type { QueueEvent } from '../../src/core/queue/folderQueue';
import { MetricsCollector } from '../../src/core/metrics';
import type { FileSummary } from '../../src/core/summary';
import { useTempDirs } from './support/harness';
import { CLI, expectCode, expectUsageError, fileflow, isRoot, NOBODY } from './helpers/cliProcess';
import { useCli, waitFor, waitForExit } from './helpers/queueHarness';

type Watch = Extract<Command, { kind: 'watch' }>;
const watch = (...args: string[]): Watch => parseCommandLine(['watch', 'root', ...args]) as Watch;

function refused(args: string[], message: RegExp): void {
  assert.throws(() => parseCommandLine(args), (error: Error) => error instanceof UsageError && message.test(error.message), args.join(' '));
}

interface EventRecord {
  event: string;
  time: string;
  [key: string]: unknown;
}

function parseNdjson(stdout: string): EventRecord[] {
  assert.ok(stdout.endsWith('\n'), 'every line ends with a newline');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      assert.doesNotMatch(line, /^\s|\s$/, `line ${i + 1} is one compact object`);
      const record = JSON.parse(line) as EventRecord;
      assert.equal(typeof record.event, 'string', `line ${i + 1} has an event`);
      assert.ok(!Number.isNaN(Date.parse(record.time)), `line ${i + 1} has a time`);
      return record;
    });
}

describe('fileflow watch: flags', () => {
  describe('parsing', () => {
    it('defaults leave every setting to the queue', () => {
      const command = watch();
      assert.equal(command.concurrency, undefined);
      assert.equal(command.maxLineBytes, undefined);
      assert.equal(command.retries, undefined);
      assert.deepEqual(command.ignore, []);
      assert.equal(command.poll, false);
      assert.equal(command.create, false);
    });

    it('reads --max-line-bytes, --ignore (repeatable, in order), --retries, --poll, --create and --concurrency 0', () => {
      const command = watch('--max-line-bytes', '4096', '--ignore', '**/*.bak', '--ignore=keep/**', '--retries', '5', '--poll', '--create', '--concurrency', '0');
      assert.equal(command.maxLineBytes, 4096);
      assert.deepEqual(command.ignore, ['**/*.bak', 'keep/**']);
      assert.equal(command.retries, 5);
      assert.equal(command.poll, true);
      assert.equal(command.create, true);
      assert.equal(command.concurrency, 0);
      assert.equal((parseCommandLine(['--watch', 'root', '--retries', '2']) as Watch).retries, 2);
    });

    it('refuses values that are not whole numbers in range, and an empty glob', () => {
      refused(['watch', 'r', '--max-line-bytes', '0'], /^--max-line-bytes must be a whole number of at least 1 \(got "0"\)$/);
      refused(['watch', 'r', '--max-line-bytes', '1M'], /--max-line-bytes must be a whole number/);
      refused(['watch', 'r', '--retries', '0'], /^--retries must be a whole number of at least 1 \(got "0"\)$/);
      refused(['watch', 'r', '--concurrency=-1'], /^--concurrency must be a whole number of at least 0/);
      refused(['watch', 'r', '--concurrency', '-1'], /^Option '--concurrency' argument is ambiguous\. [^\n]*'--concurrency=-XYZ'/);
      refused(['watch', 'r', '--ignore', ''], /^--ignore needs a glob/);
      refused(['watch', 'r', '--ignore'], /--ignore/);
    });

    it('refuses a flag of one command given to another, rather than ignoring it', () => {
      for (const flag of ['--once', '--poll', '--create']) refused(['run', 'a.log', flag], new RegExp(`^run: ${flag} works only with watch$`));
      for (const flag of ['--concurrency', '--stability-ms', '--ignore', '--retries']) refused(['run', 'a.log', flag, '1'], new RegExp(`^run: ${flag} works only with watch$`));
      refused(['--input', 'a.log', '--once'], /^run: --once works only with watch$/);
      refused(['watch', 'root', '--out', 'x'], /^watch: --out works only with run$/);
      refused(['samples', 'dir', '--once'], /^samples: --once works only with watch$/);
      refused(['watch', 'root', '--count', '3'], /^watch: --count works only with samples$/);
      assert.equal((parseCommandLine(['run', 'a.log', '--max-line-bytes', '10']) as Extract<Command, { kind: 'run' }>).maxLineBytes, 10);
    });
  });

  describe('in a real queue', function () {
    this.timeout(60_000);
    const tempDir = useTempDirs('fileflow-cli-watch-');
    const cli = useCli();

    before(function () {
      assert.ok(existsSync(CLI), `${CLI} is missing: run "npm run build" first`);
    });

    async function queue(files: Record<string, string | Buffer>): Promise<{ dir: string; root: string }> {
      const dir = await tempDir();
      const root = path.join(dir, 'q');
      await mkdir(path.join(root, 'unprocessed'), { recursive: true });
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(root, 'unprocessed', name);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
      return { dir, root };
    }

    const list = async (root: string, state: string): Promise<string[]> => {
      const names: string[] = [];
      const walk = async (dir: string, prefix: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
          else names.push(`${prefix}${entry.name}`);
        }
      };
      await walk(path.join(root, state), '');
      return names.sort();
    };

    it('--help names every watch flag, the ROOT rule and what a closed pipe does', async () => {
      const { dir } = await queue({});
      const help = expectCode(fileflow(dir, ['--help']), 0).stdout;
      for (const flag of ['--create', '--concurrency N', '--stability-ms MS', '--file-timeout S', '--max-line-bytes N', '--ignore GLOB', '--retries N', '--poll', '--once', '--json']) {
        assert.ok(help.includes(flag), flag);
      }
      assert.match(help, /default and 0: one per CPU/);
      assert.match(help, /A ROOT named "unprocessed" means its parent/);
      assert.match(help, /unless --create is given/);
      assert.match(help, /NDJSON/);
      assert.match(help, /closed pipe/);
      assert.match(help, /is refused before anything is written/);
    });

    it('flag mistakes are one line on stderr and exit 2, and take nothing', async () => {
      const { dir, root } = await queue({ 'a.log': '[ERROR] a\n' });
      for (const [args, message] of [
        [['watch', 'q', '--once', '--concurrency', '-1'], /^fileflow: Option '--concurrency' argument is ambiguous\. .* \(see "fileflow --help"\)$/],
        [['watch', 'q', '--once', '--retries', '0'], /^fileflow: --retries must be a whole number of at least 1 \(got "0"\) \(see "fileflow --help"\)$/],
        [['watch', 'q', '--once', '--ignore'], /^fileflow: Option '--ignore <value>' argument missing/],
        [['run', 'q/unprocessed/a.log', '--once'], /^fileflow: run: --once works only with watch/],
        [['watch', 'q', '--frob'], /^fileflow: Unknown option '--frob' \(see "fileflow --help"\)$/],
      ] as const) {
        expectUsageError(fileflow(dir, [...args]), message);
      }
      assert.deepEqual(await list(root, 'unprocessed'), ['a.log']);
    });

    it('--ignore GLOB (repeatable) leaves matching inbox files alone', async () => {
      const { dir, root } = await queue({ 'a.log': '[ERROR] a\n', 'b.bak': '[ERROR] b\n', 'sub/c.bak': '[ERROR] c\n', 'keep/d.log': '[ERROR] d\n', 'sub/e.log': '[ERROR] e\n' });
      expectCode(fileflow(dir, ['watch', 'q', '--once', '--stability-ms', '0', '--ignore', '**/*.bak', '--ignore', 'keep/**']), 0);
      assert.deepEqual(await list(root, 'processed'), ['a.log', 'sub/e.log']);
      assert.deepEqual(await list(root, 'unprocessed'), ['b.bak', 'keep/d.log', 'sub/c.bak']);
    });

    it('--max-line-bytes N fails a file with a longer line (watch and run)', async () => {
      const long = `[ERROR] ${'x'.repeat(40)}\n`;
      const { dir, root } = await queue({ 'short.log': '[ERROR] ok\n', 'long.log': long });
      expectCode(fileflow(dir, ['watch', 'q', '--once', '--stability-ms', '0', '--max-line-bytes', '32']), 1);
      assert.deepEqual(await list(root, 'processed'), ['short.log']);
      assert.deepEqual(await list(root, 'failed'), ['long.log']);
      const summary = JSON.parse(await readFile(path.join(root, 'results', 'long.log.summary.json'), 'utf8')) as FileSummary;
      assert.equal(summary.error?.code, 'ELINETOOLONG');
      // The same file passes without the flag (the default is 1 MiB), and run takes the flag too.
      await writeFile(path.join(dir, 'long.log'), long);
      expectCode(fileflow(dir, ['run', 'long.log', '--out', 'r1']), 0);
      expectCode(fileflow(dir, ['run', 'long.log', '--out', 'r2', '--max-line-bytes', '32']), 1);
    });

    it('--retries N is the number of attempts for a transient filesystem error (an unreadable file)', async function () {
      const { dir, root } = await queue({ 'locked.log': '[ERROR] locked\n' });
      await chmod(path.join(root, 'unprocessed', 'locked.log'), 0o000);
      let options = {};
      if (isRoot) {
        // Root reads anything: run as "nobody", who owns the queue but not the file.
        const chownTree = async (at: string): Promise<void> => {
          await chown(at, NOBODY, NOBODY);
          for (const entry of await readdir(at, { withFileTypes: true })) if (entry.isDirectory()) await chownTree(path.join(at, entry.name));
        };
        await chownTree(dir);
        options = { uid: NOBODY, gid: NOBODY };
      }
      const result = fileflow(dir, ['watch', 'q', '--once', '--stability-ms', '0', '--retries', '2', '--json'], options);
      // No usable unprivileged user here (node itself could not start as "nobody").
      if (isRoot && result.code !== 2 && result.stdout === '' && /EACCES|cannot find module/i.test(result.stderr)) this.skip();
      expectCode(result, 1);
      const events = parseNdjson(result.stdout);
      assert.deepEqual(
        events.filter((e) => e.event === 'retrying').map((e) => [e.name, e.attempt]),
        [['locked.log', 1]],
      );
      const summary = JSON.parse(await readFile(path.join(root, 'results', 'locked.log.summary.json'), 'utf8')) as FileSummary;
      assert.equal(summary.attempts, 2);
      assert.match(summary.error?.message ?? '', /EACCES/);
    });

    it('--concurrency 0 means one worker per CPU; start names the root, the pipeline and the workers', async () => {
      const { dir, root } = await queue({ 'a.log': '[ERROR] a\n' });
      const cpus = availableParallelism();
      const result = expectCode(fileflow(dir, ['watch', 'q', '--once', '--concurrency', '0', '--stability-ms', '0']), 0);
      const workers = `${cpus} worker${cpus === 1 ? '' : 's'}`;
      assert.equal(
        result.stderr,
        [
          `fileflow: queue root ${root}`,
          `fileflow: pipeline: the built-in default (log triage; no fileflow.pipeline.json in ${dir})`,
          `fileflow: draining ${path.join(root, 'unprocessed')} (${workers})`,
          '',
        ].join('\n'),
      );
      const json = expectCode(fileflow(dir, ['watch', 'q', '--once', '--concurrency', '0', '--json']), 0);
      assert.equal(parseNdjson(json.stdout)[0].concurrency, cpus);
    });

    it('start names the pipeline file it uses', async () => {
      const { dir } = await queue({ 'a.log': 'hello\n' });
      await writeFile(path.join(dir, 'fileflow.pipeline.json'), JSON.stringify({ nodes: { start: { use: 'uppercase' } } }));
      await writeFile(path.join(dir, 'lower.json'), JSON.stringify({ nodes: { start: { use: 'lowercase' } } }));
      const local = expectCode(fileflow(dir, ['watch', 'q', '--once']), 0);
      assert.match(local.stderr, new RegExp(`^fileflow: pipeline ${escape(path.join(dir, 'fileflow.pipeline.json'))}$`, 'm'));
      const given = expectCode(fileflow(dir, ['watch', 'q', '--once', '--pipeline', 'lower.json']), 0);
      assert.match(given.stderr, new RegExp(`^fileflow: pipeline ${escape(path.join(dir, 'lower.json'))}$`, 'm'));
    });

    it('--poll watches by polling: it says so, and a file dropped while watching is processed', async () => {
      const { dir, root } = await queue({});
      const child = cli(['watch', 'q', '--poll', '--stability-ms', '0', '--concurrency', '1'], { cwd: dir });
      await waitFor('the watcher to start', () => /fileflow: watching /.test(child.stderr()), { root, context: () => child.stderr() });
      assert.match(child.stderr(), /fileflow: watching .*unprocessed \(1 worker, polling; Ctrl\+C to stop\)/);
      await writeFile(path.join(dir, 'new.log'), '[ERROR] new\n');
      await rename(path.join(dir, 'new.log'), path.join(root, 'unprocessed', 'new.log'));
      await waitFor('new.log processed', () => existsSync(path.join(root, 'processed', 'new.log')), { root, context: () => child.stderr() });
      process.kill(child.pid, 'SIGTERM');
      assert.equal((await waitForExit(child, 30_000, root)).code, 0, child.stderr());
    });
  });
});

describe('fileflow watch --json (NDJSON)', () => {
  describe('the lines', () => {
    const now = new Date('2026-11-30T10:00:00.000Z');

    it('every queue event is {"event": type, "time": …, …its fields} on one line', () => {
      const line = eventLine({ type: 'claimed', name: 'a.log', source: 'unprocessed/a.log', recovered: false }, now);
      assert.equal(line, '{"event":"claimed","time":"2026-11-30T10:00:00.000Z","name":"a.log","source":"unprocessed/a.log","recovered":false}\n');
      assert.equal(eventLine({ type: 'idle' }, now), '{"event":"idle","time":"2026-11-30T10:00:00.000Z"}\n');
    });

    it('a finished file has its summary inlined', () => {
      const summary = { name: 'a.log', source: 'unprocessed/a.log', status: 'processed', linesIn: 3, linesOut: 1 } as unknown as FileSummary;
      const record = JSON.parse(eventLine({ type: 'finished', summary }, now)) as Record<string, unknown>;
      assert.deepEqual(record, { event: 'finished', time: '2026-11-30T10:00:00.000Z', name: 'a.log', source: 'unprocessed/a.log', status: 'processed', linesIn: 3, linesOut: 1 });
    });

    it('an event type added to the engine later comes through unchanged, with values JSON cannot hold made readable', () => {
      const future = { type: 'pipelineRejected', file: 'p.json', error: Object.assign(new Error('bad'), { code: 'ECONFIG' }), seen: new Set(['a']), big: BigInt(7) };
      const record = JSON.parse(eventLine(future as unknown as QueueEvent, now)) as Record<string, unknown>;
      assert.deepEqual(record, {
        event: 'pipelineRejected',
        time: '2026-11-30T10:00:00.000Z',
        file: 'p.json',
        error: { name: 'Error', message: 'bad', code: 'ECONFIG' },
        seen: ['a'],
        big: '7',
      });
      // `event` always names the type, whatever fields the event carries.
      const clash = JSON.parse(eventLine({ type: 'x', event: 'y' } as unknown as QueueEvent, now)) as Record<string, unknown>;
      assert.equal(clash.event, 'x');
    });

    it('the snapshot line is {"event":"snapshot", …the metrics snapshot}', () => {
      const snapshot = new MetricsCollector().snapshot();
      const record = JSON.parse(snapshotLine(snapshot)) as Record<string, unknown>;
      assert.deepEqual(record, { event: 'snapshot', ...JSON.parse(JSON.stringify(snapshot)) });
    });
  });

  describe('from the built CLI', function () {
    this.timeout(60_000);
    const tempDir = useTempDirs('fileflow-cli-ndjson-');
    const cli = useCli();

    it('`watch --once --json`: started first, each file detected → claimed → finished as it happens, the snapshot last', async () => {
      const dir = await tempDir();
      const root = path.join(dir, 'q');
      await mkdir(path.join(root, 'unprocessed', 'sub'), { recursive: true });
      await writeFile(path.join(root, 'unprocessed', 'a.log'), '[INFO] a\n[ERROR] a\n');
      await writeFile(path.join(root, 'unprocessed', 'sub', 'b.log'), '[WARN] b\n');
      await writeFile(path.join(root, 'unprocessed', 'bin.log'), Buffer.from([0x00, 0x0a]));
      const result = expectCode(fileflow(dir, ['watch', 'q', '--once', '--json', '--stability-ms', '0']), 1);
      const events = parseNdjson(result.stdout);

      assert.deepEqual(events[0], {
        event: 'started',
        time: events[0].time,
        root,
        inbox: path.join(root, 'unprocessed'),
        pipeline: null,
        concurrency: availableParallelism(),
        once: true,
        polling: false,
      });
      const last = events[events.length - 1];
      assert.equal(last.event, 'snapshot');
      assert.deepEqual(last.files, { processed: 2, failed: 1, inProgress: 0, queued: 0 });
      assert.deepEqual(last.lines, { in: 3, out: 2 });
      assert.equal(events.filter((e) => e.event === 'snapshot').length, 1);

      for (const name of ['a.log', 'sub/b.log', 'bin.log']) {
        const mine = events.filter((e) => e.name === name).map((e) => e.event);
        assert.deepEqual(mine, ['detected', 'claimed', 'finished'], name);
      }
      const finished = new Map(events.filter((e) => e.event === 'finished').map((e) => [e.name, e]));
      const a = finished.get('a.log') as EventRecord;
      assert.equal(a.status, 'processed');
      assert.equal(a.source, 'unprocessed/a.log');
      assert.equal(a.linesIn, 2);
      assert.equal(a.linesOut, 1);
      assert.equal(a.pipeline, 'logs');
      assert.equal('summary' in a, false, 'the summary is inlined');
      const bin = finished.get('bin.log') as EventRecord;
      assert.equal(bin.status, 'failed');
      assert.equal((bin.error as { code: string }).code, 'EBINARY');
      // The lines agree with the summaries on disk.
      const onDisk = JSON.parse(await readFile(path.join(root, 'results', 'sub', 'b.log.summary.json'), 'utf8')) as Record<string, unknown>;
      const b: Record<string, unknown> = { ...(finished.get('sub/b.log') as EventRecord) };
      delete b.event;
      delete b.time;
      assert.deepEqual(b, onDisk);
      assert.ok(events.some((e) => e.event === 'idle'));
      assert.doesNotMatch(result.stderr, /[{}]/, 'stderr holds no JSON');
    });

    it('`watch --json` while watching: one line per event as it happens, "stopping" on SIGTERM, then the snapshot', async () => {
      const dir = await tempDir();
      const root = path.join(dir, 'q');
      await mkdir(path.join(root, 'unprocessed'), { recursive: true });
      const child = cli(['watch', 'q', '--json', '--stability-ms', '0'], { cwd: dir });
      await waitFor('the watcher to start', () => /fileflow: watching /.test(child.stderr()), { root, context: () => child.stderr() });
      assert.deepEqual(
        parseNdjson(child.stdout()).map((e) => e.event),
        ['started'],
      );
      await writeFile(path.join(dir, 'x.log'), '[ERROR] x\n');
      await rename(path.join(dir, 'x.log'), path.join(root, 'unprocessed', 'x.log'));
      await waitFor('the finished line of x.log', () => child.stdout().includes('"event":"finished"'), { root, context: () => child.stdout() });
      const soFar = parseNdjson(child.stdout());
      assert.deepEqual(
        soFar.filter((e) => e.name === 'x.log').map((e) => e.event),
        ['detected', 'claimed', 'finished'],
      );
      process.kill(child.pid, 'SIGTERM');
      assert.equal((await waitForExit(child, 30_000, root)).code, 0, child.stderr());
      const events = parseNdjson(child.stdout());
      const tail = events.slice(-2);
      assert.equal(tail[0].event, 'stopping');
      assert.equal(tail[0].signal, 'SIGTERM');
      assert.equal(tail[1].event, 'snapshot');
      assert.deepEqual((tail[1].files as Record<string, number>).processed, 1);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
