// Bad input for the folder queue (docs/queue.md; docs/pipelines.md, "Text"): every odd file ends in a
// stated place (processed/, failed/, or gone) with a stated reason, and the queue keeps
// running afterwards. Real filesystem, real chokidar, real worker threads.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, readdir, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { QueueEvent } from '../../src/core/queue/folderQueue';
import type { FileSummary } from '../../src/core/summary';
import { chownTree, isRoot, NOBODY } from './helpers/cliProcess';
import {
  describeRoot,
  dropAtomically,
  dropFile,
  expectedTriage,
  listState,
  makeArea,
  pathExists,
  readSummary,
  sleep,
  statePath,
  useCli,
  useNodeProcesses,
  useQueues,
  useTempDirs,
  waitFor,
  waitForExit,
  waitForSummaries,
  type Area,
} from './helpers/queueHarness';

const execFileAsync = promisify(execFile);

type Place = 'processed' | 'failed';

interface Case {
  name: string;
  /** Creates the file in unprocessed/ (default: writes `content`). */
  make?: (area: Area, file: string) => Promise<void>;
  content?: string | Buffer;
  place: Place;
  /** For processed files: the exact result. */
  result?: string;
  check?: (summary: FileSummary, area: Area) => void | Promise<void>;
}

describe('folder queue with bad input', function () {
  this.timeout(120_000);
  const tempDir = useTempDirs();
  const startQueue = useQueues();
  const cli = useCli();
  const node = useNodeProcesses();
  /** Runs the queue (until drained) in a child process as user "nobody"; see helpers/queueRunner. */
  const runAsNobody = (options: object) =>
    node(path.join(__dirname, 'helpers', 'queueRunner.js'), [JSON.stringify(options)], { uid: NOBODY, gid: NOBODY });
  let socketServer: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (socketServer ? socketServer.close(() => resolve()) : resolve()));
    socketServer = undefined;
  });

  it('puts every file of a bad-input corpus in its stated place with its stated reason, and keeps running', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.log'), '[ERROR] outside the root\n');
    const longOk = '[ERROR] ' + 'y'.repeat(1_000_000); // under the default 1 MiB

    const cases: Case[] = [
      { name: 'empty.log', content: '', place: 'processed', result: '', check: (s) => assert.equal(s.linesIn, 0) },
      { name: 'no-newline.log', content: '[INFO] a\n[ERROR] last line without newline', place: 'processed' },
      { name: 'crlf.log', content: '[ERROR] one\r\n[INFO] two\r\n[WARN] three\r\n', place: 'processed', result: 'crlf.log:1: [ERROR] one\r\ncrlf.log:3: [WARN] three\r\n' },
      { name: 'bom.log', content: '\uFEFF[ERROR] after the BOM\n', place: 'processed', result: 'bom.log:1: [ERROR] after the BOM\n' },
      {
        name: 'invalid-utf8.log',
        content: Buffer.concat([Buffer.from('[ERROR] caf'), Buffer.from([0xff, 0xfe]), Buffer.from('!\n[WARN] \xe9\n', 'latin1')]),
        place: 'processed',
        result: 'invalid-utf8.log:1: [ERROR] caf\uFFFD\uFFFD!\ninvalid-utf8.log:2: [WARN] \uFFFD\n',
      },
      {
        name: 'nul.log',
        content: '[ERROR] text at first\n\u0000 then a NUL byte\n',
        place: 'failed',
        check: (s) => {
          assert.equal(s.error?.code, 'EBINARY');
          assert.match(s.error?.message ?? '', /binary/);
        },
      },
      {
        name: 'huge-line.log',
        content: '[ERROR] ' + 'x'.repeat(5 * 1024 * 1024),
        place: 'failed',
        check: (s) => {
          assert.equal(s.error?.code, 'ELINETOOLONG');
          assert.equal(s.error?.line, 1);
          assert.match(s.error?.message ?? '', /maxLineBytes \(1048576 bytes\)/);
        },
      },
      { name: 'long-but-allowed.log', content: longOk + '\n', place: 'processed', result: `long-but-allowed.log:1: ${longOk}\n` },
      { name: 'with space.log', content: '[WARN] spaced\n', place: 'processed' },
      { name: 'ünïcödé 日本語 ✓.log', content: '[WARN] unicode\n', place: 'processed' },
      { name: '-rf --help.log', content: '[WARN] dashes\n', place: 'processed' },
      { name: 'new\nline.log', content: '[WARN] newline in the name\n', place: 'processed' },
      { name: 'quote"s \'and\' $(x).log', content: '[WARN] shell characters\n', place: 'processed' },
      { name: '2025/01/02/app.log', content: '[CRIT] nested\n', place: 'processed' },
      { name: 'deep/é/ü/b.log', content: '[ALERT] nested unicode\n', place: 'processed' },
      {
        name: 'link-outside.log',
        make: (_a, file) => symlink(path.join(outside, 'secret.log'), file),
        place: 'failed',
        check: async (s) => {
          assert.equal(s.error?.code, 'ENOTFILE');
          assert.match(s.error?.message ?? '', /symbolic link/);
          assert.ok((await lstat(statePath(root, 'failed', 'link-outside.log'))).isSymbolicLink(), 'the link itself is moved, not its target');
          assert.equal(await readFile(path.join(outside, 'secret.log'), 'utf8'), '[ERROR] outside the root\n', 'the target is untouched');
        },
      },
      {
        name: 'dangling.log',
        make: (_a, file) => symlink(path.join(outside, 'nothing-here.log'), file),
        place: 'failed',
        check: (s) => assert.equal(s.error?.code, 'ENOTFILE'),
      },
      {
        name: 'dir-link',
        make: (_a, file) => symlink(outside, file),
        place: 'failed',
        check: async (s) => {
          assert.equal(s.error?.code, 'ENOTFILE');
          assert.deepEqual(await readdir(outside), ['secret.log'], 'nothing is moved out of a linked folder');
        },
      },
      {
        name: 'fifo',
        make: async (_a, file) => {
          await execFileAsync('mkfifo', [file]);
        },
        place: 'failed',
        check: async (s) => {
          assert.equal(s.error?.code, 'ENOTFILE');
          assert.match(s.error?.message ?? '', /FIFO/);
          assert.ok((await lstat(statePath(root, 'failed', 'fifo'))).isFIFO());
        },
      },
      {
        name: 'socket',
        make: async (_a, file) => {
          socketServer = createServer();
          const server = socketServer;
          await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, () => resolve()));
        },
        place: 'failed',
        check: (s) => {
          assert.equal(s.error?.code, 'ENOTFILE');
          assert.match(s.error?.message ?? '', /socket/);
        },
      },
      {
        // chmod 000. Root reads any file regardless of its mode, so as root this file is
        // simply processed; as any other user the open fails with EACCES, which is retried
        // (retry.maxAttempts, default 3) and then fails the file. The non-root behaviour is
        // also checked, as another user, by the next test.
        name: 'unreadable.log',
        make: async (_a, file) => {
          await writeFile(file, '[ERROR] mode 000\n');
          await chmod(file, 0o000);
        },
        place: isRoot ? 'processed' : 'failed',
        result: 'unreadable.log:1: [ERROR] mode 000\n',
        check: (s) => {
          if (isRoot) {
            assert.equal(s.status, 'processed');
          } else {
            assert.equal(s.error?.code, 'EIO');
            assert.match(s.error?.message ?? '', /EACCES/);
            assert.equal(s.attempts, 3);
          }
        },
      },
    ];

    const create = async (c: Case) => {
      const file = statePath(root, 'unprocessed', c.name);
      await mkdir(path.dirname(file), { recursive: true });
      if (c.make) await c.make(area, file);
      else await writeFile(file, c.content ?? '');
    };
    // Half are there when the queue starts (startup scan), half arrive while it watches.
    const early = cases.filter((_, i) => i % 2 === 0);
    const late = cases.filter((_, i) => i % 2 === 1);
    for (const c of early) await create(c);
    const { queue, events } = await startQueue({ root, stabilityMs: 200, retry: { baseDelayMs: 20 } });
    for (const c of late) await create(c);
    // A file deleted right after it appears is simply gone.
    await dropFile(root, 'vanishing.log', '[ERROR] here and gone\n');
    await sleep(20);
    await unlink(statePath(root, 'unprocessed', 'vanishing.log'));

    await waitForSummaries(
      root,
      cases.map((c) => c.name),
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'every corpus file in processed/ or failed/',
      async () => (await listState(root, 'processed')).length + (await listState(root, 'failed')).length === cases.length,
      { root, timeoutMs: 30_000 },
    );

    for (const c of cases) {
      const summary = await readSummary(root, c.name);
      const where = `${JSON.stringify(c.name)} (summary: ${JSON.stringify({ ...summary, nodes: undefined })})`;
      assert.equal(summary.name, c.name, where);
      assert.equal(summary.source, `unprocessed/${c.name}`, where);
      assert.equal(summary.status, c.place, where);
      assert.ok(await pathExists(statePath(root, c.place, c.name)), `${where} should be in ${c.place}/\n${await describeRoot(root)}`);
      const other: Place = c.place === 'processed' ? 'failed' : 'processed';
      assert.equal(await pathExists(statePath(root, other, c.name)), false, `${where} is also in ${other}/`);
      const resultFile = statePath(root, 'results', c.name);
      if (c.place === 'processed') {
        assert.equal(summary.error, undefined, where);
        let expected = c.result;
        if (expected === undefined) expected = expectedTriage(c.name, Buffer.isBuffer(c.content) ? c.content.toString('utf8') : (c.content ?? ''));
        const actual = await readFile(resultFile, 'utf8');
        assert.ok(actual === expected, `${where}: result differs (${actual.length} vs ${expected.length} characters): ${JSON.stringify(actual.slice(0, 200))}`);
      } else {
        assert.ok(summary.error, `${where}: a failed file's summary holds an error`);
        assert.equal(await pathExists(resultFile), false, `${where}: a failed file has no result`);
      }
      await c.check?.(summary, area);
    }
    // The vanished file left no trace anywhere.
    for (const state of ['processed', 'failed', 'underprocess', 'unprocessed'] as const) {
      assert.equal(await pathExists(statePath(root, state, 'vanishing.log')), false, `vanishing.log in ${state}/`);
    }
    assert.equal(await pathExists(statePath(root, 'results', 'vanishing.log.summary.json')), false);
    assert.deepEqual(await listState(root, 'unprocessed'), [], 'nothing is left behind in the inbox');
    assert.deepEqual(await listState(root, 'underprocess'), []);
    const processedCount = cases.filter((c) => c.place === 'processed').length;
    assert.equal(queue.metrics.processed, processedCount);
    assert.equal(queue.metrics.failed, cases.length - processedCount);
    if (isRoot) assert.ok(!events.some((e: QueueEvent) => e.type === 'retrying'), 'nothing needed a retry');

    // The queue keeps running.
    await dropAtomically(area, 'after.log', '[ERROR] still alive\n');
    await waitForSummaries(root, ['after.log']);
    assert.equal((await readSummary(root, 'after.log')).status, 'processed');
    await waitFor('after.log in processed/', () => pathExists(statePath(root, 'processed', 'after.log')), { root });
    assert.equal(await readFile(statePath(root, 'results', 'after.log'), 'utf8'), 'after.log:1: [ERROR] still alive\n');
  });

  it('a file that kills its worker thread fails with the reason, the worker is replaced, and a retry of it works', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const pipelineDir = path.join(base, 'pipeline');
    await mkdir(pipelineDir);
    await writeFile(
      path.join(pipelineDir, 'exiter.cjs'),
      "module.exports.createProcessor = () => ({ process(line, ctx) { if (line === 'exit now') process.exit(7); ctx.emit(line); } });\n",
    );
    const pipelineFile = path.join(pipelineDir, 'exiter.pipeline.json');
    await writeFile(pipelineFile, JSON.stringify({ nodes: { start: { use: { module: './exiter.cjs' } } } }));
    const { queue } = await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100 });
    await dropFile(root, 'killer.log', 'first\nexit now\nlast\n');
    await waitForSummaries(root, ['killer.log']);
    await waitFor('killer.log in failed/', () => pathExists(statePath(root, 'failed', 'killer.log')), { root });
    const failed = await readSummary(root, 'killer.log');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'EPROCESSOR');
    assert.match(failed.error?.message ?? '', /worker stopped unexpectedly \(exit code 7\)/);

    // The replacement worker processes the same file again, once fixed: the dead worker's
    // temporary result file must not get in the way of the new one's.
    await writeFile(statePath(root, 'failed', 'killer.log'), 'first\nfixed\n');
    await queue.retryFailed('killer.log');
    await waitFor(
      'killer.log to finish again after the retry',
      async () => (await pathExists(statePath(root, 'processed', 'killer.log'))) || (await pathExists(statePath(root, 'failed', 'killer.log'))),
      { root },
    );
    const retried = await readSummary(root, 'killer.log');
    assert.equal(retried.status, 'processed', `the retry failed: ${JSON.stringify(retried.error)}`);
    assert.equal(await readFile(statePath(root, 'results', 'killer.log'), 'utf8'), 'first\nfixed\n');
    // And the queue carries on.
    await dropFile(root, 'next.log', 'next\n');
    await waitForSummaries(root, ['next.log']);
    assert.equal((await readSummary(root, 'next.log')).status, 'processed');
  });

  it('fails an unreadable (chmod 000) file after retrying EACCES retry.maxAttempts times, when not run as root', async function () {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    await dropFile(root, 'unreadable.log', '[ERROR] mode 000\n');
    await dropFile(root, 'readable.log', '[ERROR] fine\n');
    await chmod(statePath(root, 'unprocessed', 'unreadable.log'), 0o000);
    const options = { root, concurrency: 1, stabilityMs: 0, watch: false, retry: { maxAttempts: 3, baseDelayMs: 20 } };
    let events: QueueEvent[];
    if (!isRoot) {
      const test = await startQueue(options);
      await test.queue.drain();
      events = test.events;
    } else {
      // Root can read anything, so run the queue as "nobody" in a child process.
      await chownTree(base, NOBODY);
      const child = runAsNobody(options);
      const { code } = await waitForExit(child, 60_000, root);
      if (code !== 0 && /EACCES|EPERM/.test(child.stderr()) && !child.stdout()) this.skip(); // no usable unprivileged user here
      assert.equal(code, 0, `the runner failed:\n${child.stderr()}`);
      const out = child.stdout();
      events = JSON.parse(out) as QueueEvent[];
    }
    const summary = await readSummary(root, 'unreadable.log');
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'EIO');
    assert.match(summary.error?.message ?? '', /EACCES/);
    assert.equal(summary.attempts, 3, 'tried retry.maxAttempts times');
    const retries = events.filter((e): e is Extract<QueueEvent, { type: 'retrying' }> => e.type === 'retrying' && e.name === 'unreadable.log');
    assert.deepEqual(
      retries.map((e) => [e.attempt, e.delayMs]),
      [
        [1, 20],
        [2, 40],
      ],
      'exponential backoff from baseDelayMs',
    );
    assert.ok(await pathExists(statePath(root, 'failed', 'unreadable.log')), await describeRoot(root));
    assert.equal((await stat(statePath(root, 'failed', 'unreadable.log'))).mode & 0o777, 0, 'the file is moved as it is');
    assert.equal((await readSummary(root, 'readable.log')).status, 'processed', 'other files are not held up');
  });

  it('a subfolder of the inbox that cannot be read does not stop the queue from starting', async function () {
    const { root, base } = await makeArea(tempDir);
    await dropFile(root, 'locked/inside.log', '[ERROR] locked in\n');
    await dropFile(root, 'ok.log', '[ERROR] fine\n');
    const locked = statePath(root, 'unprocessed', 'locked');
    const options = { root, concurrency: 1, stabilityMs: 0, watch: false };
    try {
      if (!isRoot) {
        await chmod(locked, 0o000);
        const test = await startQueue(options);
        await test.queue.drain();
      } else {
        // Root reads every folder, so run the queue as "nobody" in a child process.
        await chownTree(base, NOBODY);
        await chmod(locked, 0o000);
        const child = runAsNobody(options);
        const { code } = await waitForExit(child, 60_000, root);
        if (code !== 0 && !child.stdout() && !/locked/.test(child.stderr())) this.skip(); // no usable unprivileged user here
        assert.equal(code, 0, `the queue did not start or drain:\n${child.stderr()}`);
      }
    } finally {
      await chmod(locked, 0o755);
    }
    assert.equal((await readSummary(root, 'ok.log')).status, 'processed');
    assert.deepEqual(await listState(root, 'processed'), ['ok.log']);
    assert.deepEqual(await listState(root, 'unprocessed'), ['locked/inside.log'], 'what cannot be seen stays where it is');
  });

  it('drains a folder of 10,000 files with `watch --once`', async function () {
    this.timeout(300_000);
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const count = 10_000;
    // Prepared next door and moved in with one rename, as a user would drop a folder.
    const bulk = path.join(area.staging, 'bulk');
    await mkdir(bulk);
    const nameOf = (i: number) => `f${String(i).padStart(5, '0')}.log`;
    const textOf = (i: number) => `[INFO] file ${i}\n[ERROR] file ${i} failed\n`;
    for (let i = 0; i < count; i++) await writeFile(path.join(bulk, nameOf(i)), textOf(i));
    await rename(bulk, statePath(root, 'unprocessed', 'bulk'));

    const child = cli(['watch', root, '--once', '--json'], { cwd: base });
    const { code } = await waitForExit(child, 280_000, root);
    assert.equal(code, 0, `exit code\nstderr:\n${child.stderr().slice(-2000)}`);
    // `--json` is an NDJSON stream whose last line is the metrics snapshot.
    const lines = child.stdout().trimEnd().split('\n');
    const metrics = JSON.parse(lines[lines.length - 1]) as { event: string; files: { processed: number; failed: number } };
    assert.equal(metrics.event, 'snapshot');
    assert.equal(metrics.files.processed, count);
    assert.equal(metrics.files.failed, 0);

    const processed = await readdir(statePath(root, 'processed', 'bulk'));
    assert.equal(processed.length, count, await describeRoot(root));
    assert.deepEqual(await listState(root, 'unprocessed'), []);
    assert.deepEqual(await listState(root, 'underprocess'), []);
    assert.equal((await readdir(statePath(root, 'results', 'bulk'))).length, 2 * count);
    for (let i = 0; i < count; i++) {
      const name = `bulk/${nameOf(i)}`;
      const result = await readFile(statePath(root, 'results', name), 'utf8');
      if (result !== `${name}:2: [ERROR] file ${i} failed\n`) assert.fail(`results/${name} is ${JSON.stringify(result)}`);
    }
  });

  // A directory of 10,000 files dropped while `watch` runs. With chokidar this took many
  // minutes (it re-read the whole folder on every claim: O(n²)); with one fs.watch per folder
  // it takes about 30 s here.
  it('processes a folder of 10,000 files dropped while watching', async function () {
    this.timeout(600_000);
    const area = await makeArea(tempDir);
    const { root } = area;
    const count = 10_000;
    const bulk = path.join(area.staging, 'bulk');
    await mkdir(bulk);
    for (let i = 0; i < count; i++) await writeFile(path.join(bulk, `f${i}.log`), `[ERROR] ${i}\n`);
    await startQueue({ root, stabilityMs: 200 });
    await rename(bulk, statePath(root, 'unprocessed', 'bulk'));
    await waitFor('10,000 files in processed/', async () => (await listState(root, 'processed')).length === count, {
      root,
      timeoutMs: 580_000,
      intervalMs: 1000,
    });
  });
});
