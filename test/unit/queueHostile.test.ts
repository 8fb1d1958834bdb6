// Hostile input for the folder queue: names whose results would collide, names at the
// filesystem's length limit, names that are not UTF-8, folders swapped for symbolic links,
// unwritable and full state folders, emptied folders, and pipeline edits while watching.
// Every case ends with each file somewhere sensible, nothing overwritten, nothing read from
// outside the root. Real filesystem, real watchers, real worker threads and processes.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { QueueEvent } from '../../src/core/queue/folderQueue';
import type { FileSummary } from '../../src/core/summary';
import { chownTree, isRoot, NOBODY } from './helpers/cliProcess';
import {
  describeRoot,
  dropAtomically,
  expectedTriage,
  isTempName,
  listFiles,
  listState,
  makeArea,
  numberedLines,
  pathExists,
  sleep,
  statePath,
  useCli,
  useQueues,
  useTempDirs,
  waitFor,
  waitForExit,
  writeSlowPipeline,
} from './helpers/queueHarness';


/** Every summary below results/, by the source it names. */
async function summariesBySource(root: string): Promise<Map<string, FileSummary[]>> {
  const bySource = new Map<string, FileSummary[]>();
  for (const name of await listState(root, 'results')) {
    if (!name.endsWith('.summary.json')) continue;
    const text = await readFile(statePath(root, 'results', name), 'utf8');
    if (!text.startsWith('{')) continue; // the result of a file that is itself named like a summary
    const summary = JSON.parse(text) as FileSummary;
    assert.equal(`${summary.name}.summary.json`, name, `the summary at results/${name} belongs to ${summary.name}`);
    bySource.set(summary.source, [...(bySource.get(summary.source) ?? []), summary]);
  }
  return bySource;
}

/** Counts this process's inotify watches (Linux), or undefined where that cannot be read. */
function inotifyWatches(pid: number | 'self' = 'self'): number | undefined {
  const fdDir = `/proc/${pid}/fd`;
  if (!existsSync(fdDir)) return undefined;
  let watches = 0;
  for (const fd of readdirSync(fdDir)) {
    let target;
    try {
      target = readlinkSync(path.join(fdDir, fd));
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    watches += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
  }
  return watches;
}

describe('folder queue with hostile input', function () {
  this.timeout(180_000);
  // In this order, so that children and queues are stopped before their folders are removed.
  const cli = useCli();
  const startQueue = useQueues();
  const tempDir = useTempDirs();

  describe('names whose results could coincide', () => {
    // Each pair and triple of these, dropped together, could share a result, summary or
    // folder path: `x.log`'s summary is `x.log.summary.json`'s result, `a`'s summary is the
    // folder of `a.summary.json/c.log`'s result, `a (2)/b.log` is what `a/b.log` becomes
    // when `a` is taken, and so on.
    const POOL = [
      'x.log',
      'x.log.summary.json',
      'x.log.summary.json.summary.json',
      'x (2).log',
      'a',
      'a/b.log',
      'a.summary.json',
      'a.summary.json/c.log',
      'a (2)/b.log',
      'a (2).summary.json',
    ];
    /** Sets of names that can all be files at once (no name is a folder of another). */
    function possible(names: string[]): boolean {
      return names.every((a) => names.every((b) => a === b || !b.startsWith(`${a}/`)));
    }
    function combinations(size: number, from = 0, prefix: string[] = []): string[][] {
      if (prefix.length === size) return [prefix];
      const out: string[][] = [];
      for (let i = from; i < POOL.length; i++) out.push(...combinations(size, i + 1, [...prefix, POOL[i]]));
      return out;
    }

    it('every pair and triple dropped at once keeps its own result and summary', async () => {
      const area = await makeArea(tempDir);
      const { root } = area;
      const cases = [...combinations(2), ...combinations(3)].filter(possible);
      // Built next door and moved in with one rename, so that each case's files are ready,
      // and claimed, together.
      const bulk = path.join(area.staging, 'bulk');
      const dropped: { source: string; content: string }[] = [];
      for (const [i, names] of cases.entries()) {
        const folder = `case-${String(i).padStart(3, '0')}`;
        for (const name of names) {
          const content = `[ERROR] ${folder} ${name}\n[INFO] filler\n`;
          const file = path.join(bulk, folder, ...name.split('/'));
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, content);
          dropped.push({ source: `unprocessed/${folder}/${name}`, content });
        }
      }
      await rm(statePath(root, 'unprocessed'), { recursive: true });
      await rename(bulk, statePath(root, 'unprocessed'));
      await startQueue({ root, concurrency: 4, watch: false }).then((q) => q.queue.drain());

      const bySource = await summariesBySource(root);
      for (const { source, content } of dropped) {
        const summaries = bySource.get(source) ?? [];
        assert.equal(summaries.length, 1, `${source} has exactly one summary\n${await describeRoot(root)}`);
        const [summary] = summaries;
        assert.equal(summary.status, 'processed', `${source}: ${summary.error?.message}`);
        assert.equal(await readFile(statePath(root, 'results', summary.name), 'utf8'), expectedTriage(summary.name, content), `${source}'s result`);
        assert.equal(await readFile(statePath(root, 'processed', summary.name), 'utf8'), content, `${source}'s original`);
      }
      assert.equal([...bySource.values()].flat().length, dropped.length, 'no summary for anything else');
      assert.deepEqual(await listState(root, 'underprocess'), []);
      assert.deepEqual((await listState(root, 'results')).filter(isTempName), []);
    });
  });

  describe('names at the length limit', () => {
    const ascii = (bytes: number, ext = '.log'): string => 'n'.repeat(bytes - ext.length) + ext;

    it('names of 228 to 255 bytes (and multi-byte ones) are claimed under names that fit, and --once ends', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const names = [
        ascii(228),
        ascii(235),
        ascii(242),
        ascii(243),
        ascii(250),
        ascii(255),
        'é'.repeat(125) + '.log', // 254 bytes, 129 characters
        '日'.repeat(83) + '.log', // 253 bytes
        ascii(255, ''), // no extension at all
        ascii(255, '.' + 'e'.repeat(40)), // an "extension" too long to keep
      ];
      // Four files of the full length used to hold every claim slot for ever.
      const extra = [1, 2, 3].map((i) => `${String(i).repeat(250)}.log`);
      const all = [...names, ...extra, 'short.log'];
      for (const name of all) await dropAtomically(area, name, `[ERROR] ${name.length} ${name.slice(0, 8)}\n`);

      const child = cli(['watch', root, '--once', '--json', '--concurrency', '4'], { cwd: base });
      const { code } = await waitForExit(child, 120_000, root);
      assert.equal(code, 0, `exit code\n${child.stderr()}`);
      const bySource = await summariesBySource(root);
      for (const name of all) {
        const summaries = bySource.get(`unprocessed/${name}`) ?? [];
        assert.equal(summaries.length, 1, `${name.length}-character name has one summary\n${await describeRoot(root)}`);
        const [summary] = summaries;
        assert.equal(summary.status, 'processed');
        assert.ok(Buffer.byteLength(summary.name) + '.summary.json'.length <= 255, `${summary.name} leaves room for its summary`);
        if (Buffer.byteLength(name) + '.summary.json'.length > 255) assert.match(summary.name, /…/, 'a shortened name shows where it was cut');
        else assert.equal(summary.name, name, 'a name that fits is kept');
        assert.ok(await pathExists(statePath(root, 'processed', summary.name)));
        assert.ok(await pathExists(statePath(root, 'results', summary.name)));
      }
      const claimed = [...bySource.values()].flat().map((s) => s.name);
      assert.equal(new Set(claimed).size, claimed.length, 'shortened names are unique');
      assert.deepEqual(await listState(root, 'unprocessed'), []);
      assert.deepEqual(await listState(root, 'underprocess'), []);
    });

    it('a long name found in underprocess/ (left by an older version) is renamed so that it can finish', async () => {
      const area = await makeArea(tempDir);
      const { root } = area;
      const name = ascii(250);
      await mkdir(statePath(root, 'underprocess'), { recursive: true });
      await writeFile(statePath(root, 'underprocess', name), '[WARN] stuck since then\n');
      await startQueue({ root, watch: false }).then((q) => q.queue.drain());
      assert.deepEqual(await listState(root, 'underprocess'), []);
      const [summary] = [...(await summariesBySource(root)).values()].flat();
      assert.equal(summary.status, 'processed');
      assert.equal(await readFile(statePath(root, 'processed', summary.name), 'utf8'), '[WARN] stuck since then\n');
    });
  });

  describe('names that are not UTF-8', () => {
    /** A path below unprocessed/ with raw bytes (Latin-1 "é" = 0xE9, 0xFF never valid). */
    function rawPath(root: string, ...parts: (string | Buffer)[]): Buffer {
      return Buffer.concat([Buffer.from(statePath(root, 'unprocessed')), ...parts.flatMap((part) => [Buffer.from('/'), Buffer.from(part)])]);
    }
    const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

    for (const mode of ['found at start', 'arriving while watching'] as const) {
      it(`are processed under %XY names, ${mode}`, async () => {
        const area = await makeArea(tempDir);
        const { root } = area;
        const drop = async (): Promise<void> => {
          await writeFile(rawPath(root, latin1('café.log')), '[ERROR] latin-1 name\n');
          await mkdir(rawPath(root, Buffer.from([0x64, 0xff])));
          await writeFile(rawPath(root, Buffer.from([0x64, 0xff]), 'inner.log'), '[WARN] folder not UTF-8\n');
          await writeFile(rawPath(root, latin1('caf\u00e8.log')), '[ERROR] another byte, another file\n');
        };
        if (mode === 'found at start') await drop();
        const { queue } = await startQueue({ root, watch: mode !== 'found at start' });
        if (mode !== 'found at start') await drop();
        await waitFor('three summaries', async () => (await listState(root, 'results')).filter((n) => n.endsWith('.summary.json')).length === 3, { root });
        await queue.drain();
        const bySource = await summariesBySource(root);
        assert.deepEqual([...bySource.keys()].sort(), ['unprocessed/caf%E8.log', 'unprocessed/caf%E9.log', 'unprocessed/d%FF/inner.log']);
        assert.equal(await readFile(statePath(root, 'results', 'caf%E9.log'), 'utf8'), 'caf%E9.log:1: [ERROR] latin-1 name\n');
        assert.equal(await readFile(statePath(root, 'processed', 'd%FF/inner.log'), 'utf8'), '[WARN] folder not UTF-8\n');
        assert.deepEqual(await listState(root, 'underprocess'), []);
      });
    }
  });

  describe('symbolic links swapped in', () => {
    it('a folder of the inbox replaced by a link to outside the root after the file was seen: nothing outside is moved or read', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const outside = path.join(base, 'outside');
      await mkdir(outside);
      await writeFile(path.join(outside, 'secret.log'), '[ERROR] the secret outside the root\n');
      const { queue, events } = await startQueue({ root, concurrency: 1 });
      queue.pause(); // the file is seen and found complete, but not claimed yet
      await dropAtomically(area, 'sub/secret.log', '[ERROR] harmless\n');
      await waitFor('the file to be ready', () => events.some((e) => e.type === 'detected' && e.name === 'sub/secret.log'), { root });
      // The attacker swaps the folder for a link to a folder holding a file of the same name.
      await rename(statePath(root, 'unprocessed', 'sub'), path.join(base, 'moved-away'));
      await symlink(outside, statePath(root, 'unprocessed', 'sub'));
      queue.resume();
      await waitFor('the link to end in failed/', async () => (await listState(root, 'failed')).length === 1, { root });
      await queue.drain();
      assert.equal(await readFile(path.join(outside, 'secret.log'), 'utf8'), '[ERROR] the secret outside the root\n', 'the file outside is where it was');
      const [link] = await listState(root, 'failed');
      assert.match(link, /^sub/);
      assert.ok((await lstat(statePath(root, 'failed', link))).isSymbolicLink(), 'the link itself went to failed/');
      for (const name of await listState(root, 'results')) {
        assert.doesNotMatch(await readFile(statePath(root, 'results', name), 'utf8'), /secret outside/, `results/${name} holds nothing from outside`);
      }
      assert.ok(events.some((e) => e.type === 'skipped' && e.name === 'sub/secret.log' && /no longer a folder/.test(e.reason)), 'the refused claim is reported');
    });

    it('a file replaced by another after it was seen is not claimed until the new one is complete', async () => {
      const area = await makeArea(tempDir);
      const { root } = area;
      const { queue } = await startQueue({ root, concurrency: 1 });
      queue.pause();
      await dropAtomically(area, 'app.log', '[ERROR] first version\n');
      await waitFor('the file to be ready', () => queue.metrics.queued === 1, { root });
      await dropAtomically(area, 'app.log', '[ERROR] second version\n'); // a new inode at the same path
      queue.resume();
      await waitFor('app.log to be processed', () => pathExists(statePath(root, 'processed', 'app.log')), { root });
      await queue.drain();
      assert.equal(await readFile(statePath(root, 'results', 'app.log'), 'utf8'), 'app.log:1: [ERROR] second version\n');
      assert.deepEqual(await listState(root, 'processed'), ['app.log']);
    });

    it('a state folder that is a symbolic link is refused at start (exit 2), and one swapped in while running stops all claims', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const outside = path.join(base, 'elsewhere');
      await mkdir(outside);
      await symlink(outside, statePath(root, 'results'));
      await dropAtomically(area, 'a.log', '[ERROR] a\n');
      const child = cli(['watch', root, '--once'], { cwd: base });
      const { code } = await waitForExit(child, 30_000, root);
      assert.equal(code, 2, child.stderr());
      assert.match(child.stderr(), /results is a symbolic link/);
      assert.doesNotMatch(child.stderr(), /\n\s+at /, 'no stack trace');
      assert.deepEqual(await listState(root, 'unprocessed'), ['a.log'], 'nothing moved');
      assert.deepEqual(await readdir(outside), []);

      await rm(statePath(root, 'results'));
      const { queue, events } = await startQueue({ root, checkIntervalMs: 100 });
      await waitFor('a.log to be processed', () => pathExists(statePath(root, 'processed', 'a.log')), { root });
      await rename(statePath(root, 'processed'), path.join(base, 'processed-moved'));
      await symlink(outside, statePath(root, 'processed'));
      await waitFor('the problem to be reported', () => events.some((e) => e.type === 'problem' && /processed is a symbolic link/.test(e.message ?? '')), { root });
      await dropAtomically(area, 'b.log', '[ERROR] b\n');
      await sleep(800);
      assert.deepEqual(await listState(root, 'unprocessed'), ['b.log'], 'nothing is claimed while a state folder is a link');
      assert.deepEqual(await readdir(outside), []);
      await rm(statePath(root, 'processed'));
      await rename(path.join(base, 'processed-moved'), statePath(root, 'processed'));
      await waitFor('b.log to be processed once put right', () => pathExists(statePath(root, 'processed', 'b.log')), { root });
      await queue.drain();
    });
  });

  describe('state folders that refuse writes', () => {
    // A subfolder that refuses writes: `watch` checks the state folders themselves up front
    // (a one-line exit 2), so this is how one turns out to be unwritable while files move.
    it('results/ not writable: the file is retried with backoff, then fails to failed/ with the reason (not left in underprocess/)', async function () {
      if (!isRoot) this.skip(); // needs another user: root may write anywhere
      const area = await makeArea(tempDir);
      const { root, base } = area;
      await dropAtomically(area, 'sub/a.log', '[ERROR] a\n');
      for (const state of ['underprocess', 'processed', 'failed', 'results'] as const) await mkdir(statePath(root, state), { recursive: true });
      await mkdir(statePath(root, 'results', 'sub'));
      await chownTree(base, NOBODY);
      await chown(statePath(root, 'results', 'sub'), 0, 0); // results/sub belongs to root: nobody cannot write there
      await chmod(statePath(root, 'results', 'sub'), 0o755);
      const run = cli(['watch', root, '--once', '--log-level', 'warn'], { cwd: base, uid: NOBODY, gid: NOBODY });
      const { code } = await waitForExit(run, 60_000, root);
      assert.equal(code, 1, run.stderr());
      assert.deepEqual(await listState(root, 'failed'), ['sub/a.log'], await describeRoot(root));
      assert.deepEqual(await listState(root, 'underprocess'), []);
      assert.match(run.stderr(), /retrying in/, 'retried first');
      assert.match(run.stderr(), /summary could not be written/, 'the reason is told');
    });

    it('processed/ not writable: --once exits 1 and says which file stays in underprocess/', async function () {
      if (!isRoot) this.skip();
      const area = await makeArea(tempDir);
      const { root, base } = area;
      await dropAtomically(area, 'sub/a.log', '[ERROR] a\n');
      for (const state of ['underprocess', 'processed', 'failed', 'results'] as const) await mkdir(statePath(root, state), { recursive: true });
      await mkdir(statePath(root, 'processed', 'sub'));
      await chownTree(base, NOBODY);
      await chown(statePath(root, 'processed', 'sub'), 0, 0);
      await chmod(statePath(root, 'processed', 'sub'), 0o755);
      const run = cli(['watch', root, '--once'], { cwd: base, uid: NOBODY, gid: NOBODY });
      const { code } = await waitForExit(run, 60_000, root);
      assert.equal(code, 1, run.stderr());
      assert.match(run.stderr(), /1 file\(s\) unfinished stay in underprocess\/[^\n]*\n\s+underprocess\/sub\/a\.log: moving it to processed\/ failed/);
      assert.deepEqual(await listState(root, 'underprocess'), ['sub/a.log']);
    });

    it('a full disk: every file ends in processed/ or failed/, none is left in flight, and --once exits 1', async function () {
      if (!isRoot || process.platform !== 'linux') this.skip(); // mounts a small tmpfs
      const base = await tempDir();
      const mount = path.join(base, 'small');
      await mkdir(mount);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mount]);
      } catch {
        this.skip(); // no mount permission in this container
      }
      try {
        const root = path.join(mount, 'root');
        await mkdir(path.join(root, 'unprocessed'), { recursive: true });
        // 40 files of ~4 KiB, each with a result larger than itself: not all results fit.
        for (let i = 0; i < 40; i++) await writeFile(statePath(root, 'unprocessed', `f${i}.log`), numberedLines(`[ERROR] f${i}`, 200));
        const run = cli(['watch', root, '--once', '--concurrency', '2'], { cwd: base });
        const { code } = await waitForExit(run, 120_000, root);
        assert.equal(code, 1, run.stderr());
        const processed = await listState(root, 'processed');
        const failed = await listState(root, 'failed');
        assert.equal(processed.length + failed.length, 40, await describeRoot(root));
        assert.ok(failed.length > 0, 'the disk filled up');
        assert.deepEqual(await listState(root, 'underprocess'), []);
        assert.deepEqual(await listState(root, 'unprocessed'), []);
        assert.deepEqual((await listState(root, 'results')).filter(isTempName), [], 'no half-written result is left');
      } finally {
        execFileSync('umount', [mount]);
      }
    });
  });

  describe('emptied folders', () => {
    it('folders the queue made in underprocess/, and inbox folders left empty, are removed with their watches', async function () {
      const watchesBefore = inotifyWatches();
      if (watchesBefore === undefined) this.skip(); // inotify is Linux's
      const area = await makeArea(tempDir);
      const { root } = area;
      const { queue } = await startQueue({ root, concurrency: 2, emptyFolderMs: 300, checkIntervalMs: 200, watchPipeline: false });
      const bulk = path.join(area.staging, 'tree');
      for (let i = 0; i < 300; i++) {
        const file = path.join(bulk, `d${i}`, `e${i % 7}`, 'app.log');
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, `[ERROR] ${i}\n`);
      }
      await rename(bulk, statePath(root, 'unprocessed', 'tree'));
      await waitFor('300 processed files', async () => (await listFiles(statePath(root, 'processed'))).length === 300, { root, timeoutMs: 60_000 });
      await queue.drain();
      const watchesWhileBusy = inotifyWatches() as number;
      await waitFor(
        'the emptied inbox folders to be removed',
        async () => (await readdir(statePath(root, 'unprocessed'))).length === 0,
        { root, timeoutMs: 30_000 },
      );
      await waitFor('their watches to be released', () => (inotifyWatches() as number) <= watchesBefore + 1, {
        root,
        context: () => `watches: before ${watchesBefore}, busy ${watchesWhileBusy}, now ${inotifyWatches()}`,
      });
      // Only the running queue's own claim folder, empty.
      const left = await readdir(statePath(root, 'underprocess'));
      assert.equal(left.length, 1, `underprocess/ holds ${left.join(', ')}`);
      assert.deepEqual(await readdir(statePath(root, 'underprocess', left[0])), [], 'no empty folder is left in underprocess/');
      assert.equal((await listFiles(statePath(root, 'results'))).length, 600, 'results keep their folders');
    });
  });

  describe('stopping', () => {
    it('a clean stop leaves no temporary file in results/ (a big file was being streamed)', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 2);
      const { queue } = await startQueue({ root, pipelineFile, concurrency: 1, shutdownTimeoutMs: 300 });
      // Over 1 MiB, so it streams with its temporary result open.
      await dropAtomically(area, 'big.log', numberedLines('[ERROR] big', 60_000));
      await waitFor('the temporary result to appear', async () => (await listState(root, 'results')).some(isTempName), { root });
      const report = await queue.stop();
      assert.deepEqual(report.inUnderprocess, ['big.log']);
      assert.deepEqual((await listState(root, 'results')).filter(isTempName), []);
    });

    it('Ctrl-C says exactly what stayed where, and a second Ctrl-C stops at once', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 1000);
      for (const name of ['a.log', 'b.log', 'c.log']) await dropAtomically(area, name, '[ERROR] slow\n'.repeat(60));
      const child = cli(['watch', root, '--pipeline', pipelineFile, '--concurrency', '1'], { cwd: base });
      await waitFor('a file in underprocess/', async () => (await listState(root, 'underprocess')).length === 1, { root });
      process.kill(child.pid, 'SIGINT');
      await waitFor('the first Ctrl-C to be acknowledged', () => /again to stop at once/.test(child.stderr()), { root, context: () => child.stderr() });
      process.kill(child.pid, 'SIGINT');
      const { code } = await waitForExit(child, 20_000, root);
      assert.equal(code, 0, child.stderr());
      const inFlight = await listState(root, 'underprocess');
      assert.equal(inFlight.length, 1, 'the file in flight stays for recovery');
      const waiting = (await listState(root, 'unprocessed')).sort();
      assert.equal(waiting.length, 2);
      assert.match(child.stderr(), new RegExp(`1 file\\(s\\) unfinished stay in underprocess/[^\\n]*\\n\\s+underprocess/${inFlight[0].replace('.', '\\.')}\\n`));
      assert.match(child.stderr(), new RegExp(`2 file\\(s\\) not taken stay in unprocessed/:\\n\\s+unprocessed/${waiting[0].replace('.', '\\.')}\\n\\s+unprocessed/${waiting[1].replace('.', '\\.')}\\n`));
    });
  });

  describe('changing the pipeline while watching', () => {
    const upper = JSON.stringify({ version: 1, nodes: { start: { use: 'uppercase' } } });
    const lower = JSON.stringify({ version: 1, nodes: { start: { use: 'lowercase' } } });

    it('a valid edit is used for files claimed after it, an invalid one is reported and changes nothing', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const pipelineFile = path.join(base, 'fileflow.pipeline.json');
      await writeFile(pipelineFile, upper);
      const { queue, events } = await startQueue({ root, pipelineFile, checkIntervalMs: 500 });
      const processedText = async (name: string): Promise<string> => {
        await dropAtomically(area, name, 'Mixed Case\n');
        await waitFor(`${name} to be processed`, () => pathExists(statePath(root, 'processed', name)), { root });
        return readFile(statePath(root, 'results', name), 'utf8');
      };
      assert.equal(await processedText('one.log'), 'MIXED CASE\n');
      await writeFile(pipelineFile, lower);
      await waitFor('the reload', () => events.some((e) => e.type === 'pipelineReloaded'), { root });
      assert.equal(await processedText('two.log'), 'mixed case\n');
      await writeFile(pipelineFile, '{ "version": 1, "nodes": { "start": { "use": "lowercsae" } } }');
      await waitFor('the rejection', () => events.some((e) => e.type === 'pipelineRejected'), { root });
      const rejected = events.find((e): e is Extract<QueueEvent, { type: 'pipelineRejected' }> => e.type === 'pipelineRejected');
      assert.match(rejected?.message ?? '', /unknown processor "lowercsae".*did you mean "lowercase"/s);
      assert.equal(await processedText('three.log'), 'mixed case\n', 'the last valid pipeline stays in use');
      assert.deepEqual(await listState(root, 'failed'), [], 'nothing failed because of the broken edit');
      await queue.stop();
    });

    it('a replacement worker runs the pipeline the queue loaded, not what the file says now', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const dir = path.join(base, 'pipeline');
      await mkdir(dir);
      await writeFile(path.join(dir, 'hang.cjs'), 'module.exports.createProcessor = () => ({ process(line, ctx) { if (line === "HANG") for (;;) {} ctx.emit(line.toUpperCase()); } });\n');
      const pipelineFile = path.join(dir, 'p.json');
      await writeFile(pipelineFile, JSON.stringify({ version: 1, nodes: { start: { use: { module: './hang.cjs' } } } }));
      // Not watching the pipeline file: only the replacement worker could pick up the edit.
      const { queue } = await startQueue({ root, pipelineFile, concurrency: 1, fileTimeoutMs: 800, watchPipeline: false });
      await writeFile(pipelineFile, 'not json at all');
      await dropAtomically(area, 'stuck.log', 'HANG\n');
      await waitFor('the stuck file to fail', () => pathExists(statePath(root, 'failed', 'stuck.log')), { root });
      await dropAtomically(area, 'good.log', 'fine\n');
      await waitFor('good.log to be processed', () => pathExists(statePath(root, 'processed', 'good.log')), { root });
      assert.equal(await readFile(statePath(root, 'results', 'good.log'), 'utf8'), 'FINE\n');
      await queue.drain();
    });

    it('`fileflow watch` reloads an edited pipeline file and says so', async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      const pipelineFile = path.join(base, 'p.json');
      await writeFile(pipelineFile, upper);
      const child = cli(['watch', root, '--pipeline', pipelineFile], { cwd: base });
      await waitFor('the watch to start', () => /watching/.test(child.stderr()), { root, context: () => child.stderr() });
      await writeFile(pipelineFile, lower);
      await waitFor('the reload message', () => /reloaded the pipeline from/.test(child.stderr()), { root, context: () => child.stderr() });
      await dropAtomically(area, 'x.log', 'Mixed\n');
      await waitFor('x.log to be processed', () => pathExists(statePath(root, 'processed', 'x.log')), { root });
      assert.equal(await readFile(statePath(root, 'results', 'x.log'), 'utf8'), 'mixed\n');
      process.kill(child.pid, 'SIGTERM');
      assert.equal((await waitForExit(child, 20_000, root)).code, 0);
    });
  });
});
