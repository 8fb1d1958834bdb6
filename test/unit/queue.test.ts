// The folder queue (docs/queue.md) in-process, on the real filesystem with real chokidar and real
// worker threads: the life of a file, write-finish detection, unique names for repeated
// drops, ignored names, and Retry.

import assert from 'node:assert/strict';
import { open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  describeRoot,
  dropAtomically,
  dropFile,
  expectedTriage,
  listState,
  makeArea,
  numberedLines,
  pathExists,
  placeFile,
  readSummary,
  sleep,
  statePath,
  useQueues,
  useTempDirs,
  waitFor,
  waitForSummaries,
  writeSlowPipeline,
} from './helpers/queueHarness';

describe('folder queue', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs();
  const startQueue = useQueues();

  it('moves a dropped file unprocessed/ → underprocess/ → processed/ and writes its result and summary', async () => {
    const { root } = await makeArea(tempDir);
    const { finished } = await startQueue({ root });
    for (const state of ['unprocessed', 'underprocess', 'processed', 'failed', 'results'] as const) {
      assert.ok((await stat(statePath(root, state))).isDirectory(), `${state}/ should be created on start`);
    }
    const text = '2025-01-01 [INFO] up\n2025-01-01 [ERROR] down\n2025-01-01 [WARN] slow\n';
    await dropFile(root, 'app.log', text);
    await waitForSummaries(root, ['app.log']);
    await waitFor('app.log to reach processed/', () => pathExists(statePath(root, 'processed', 'app.log')), { root });

    assert.equal(await readFile(statePath(root, 'processed', 'app.log'), 'utf8'), text, 'the original is kept as it was');
    assert.equal(await readFile(statePath(root, 'results', 'app.log'), 'utf8'), expectedTriage('app.log', text));
    const summary = await readSummary(root, 'app.log');
    assert.equal(summary.name, 'app.log');
    assert.equal(summary.source, 'unprocessed/app.log');
    assert.equal(summary.status, 'processed');
    assert.equal(summary.pipeline, 'logs');
    assert.equal(summary.attempts, 1);
    assert.equal(summary.linesIn, 3);
    assert.equal(summary.linesOut, 2);
    assert.equal(summary.error, undefined);
    assert.ok(summary.latencyMs >= 0 && summary.durationMs >= 0);
    assert.deepEqual(await listState(root, 'unprocessed'), []);
    assert.deepEqual(await listState(root, 'underprocess'), []);
    assert.deepEqual(await listState(root, 'results'), ['app.log', 'app.log.summary.json']);
    await waitFor('the finished event', () => finished.length === 1);
    assert.equal(finished[0].name, 'app.log');
  });

  it('a restarted queue given the old queue\'s metrics keeps counting from there', async () => {
    const { root } = await makeArea(tempDir);
    const first = await startQueue({ root });
    await dropFile(root, 'one.log', 'a [ERROR] x\n');
    await waitFor('one.log to finish', () => first.finished.length === 1, { root });
    await first.queue.stop();
    const second = await startQueue({ root, metrics: first.queue.metrics });
    await dropFile(root, 'two.log', 'b [ERROR] y\nc [INFO] z\n');
    await waitFor('two.log to finish', () => second.finished.length === 1, { root });
    assert.equal(second.queue.metrics, first.queue.metrics);
    const snapshot = second.queue.metrics.snapshot();
    assert.deepEqual(snapshot.files, { processed: 2, failed: 0, inProgress: 0, queued: 0 });
    assert.equal(snapshot.lines.in, 3);
    // Without the option a queue starts from zero.
    await second.queue.stop();
    const third = await startQueue({ root });
    assert.equal(third.queue.metrics.snapshot().files.processed, 0);
  });

  it('concurrency 1 means one file at a time, also when the file is streamed and its worker already holds the next', async () => {
    // 1.2 MiB in 4 KiB lines, 1 ms per line: streamed (over syncBelowBytes), so the worker's
    // loop turns between chunks, where a second job could start if the worker did not run its
    // jobs one after another.
    const area = await makeArea(tempDir);
    const pipelineFile = await writeSlowPipeline(path.join(area.base, 'pipeline'), 1);
    const { events } = await startQueue({ root: area.root, pipelineFile, concurrency: 1, stabilityMs: 100 });
    const long = 'x'.repeat(4096);
    await dropAtomically(area, 'big.log', Array.from({ length: 300 }, (_, i) => `${i} ${long}\n`).join(''));
    await waitFor('big.log to be claimed', () => events.some((e) => e.type === 'claimed'), { root: area.root });
    for (const name of ['small-1.log', 'small-2.log']) await dropAtomically(area, name, 'a\n');
    await waitForSummaries(area.root, ['big.log', 'small-1.log', 'small-2.log']);
    await waitFor('all three in processed/', async () => (await listState(area.root, 'processed')).length === 3, { root: area.root });
    let running = 0;
    let most = 0;
    for (const event of events) {
      if (event.type === 'claimed') most = Math.max(most, ++running);
      if (event.type === 'finished') running--;
    }
    assert.equal(most, 1, `files in progress at once: ${events.filter((e) => e.type === 'claimed' || e.type === 'finished').map((e) => e.type).join(', ')}`);
  });

  it('stop() leaves a file already handed to a worker, but not started, in unprocessed/', async () => {
    const area = await makeArea(tempDir);
    const pipelineFile = await writeSlowPipeline(path.join(area.base, 'pipeline'), 2);
    const { queue, events } = await startQueue({ root: area.root, pipelineFile, concurrency: 1, stabilityMs: 100 });
    await dropAtomically(area, 'first.log', numberedLines('first', 400)); // ~0.8 s
    await waitFor('first.log to be claimed', () => events.some((e) => e.type === 'claimed'), { root: area.root });
    await dropAtomically(area, 'second.log', 'a\n');
    // Detected means dispatched: the worker holds it behind first.log.
    await waitFor('second.log to be detected', () => events.some((e) => e.type === 'detected' && e.name === 'second.log'), { root: area.root });
    assert.equal(queue.metrics.inProgress, 1);
    await queue.stop();
    assert.deepEqual(await listState(area.root, 'processed'), ['first.log'], await describeRoot(area.root));
    assert.deepEqual(await listState(area.root, 'unprocessed'), ['second.log'], await describeRoot(area.root));
    assert.deepEqual(await listState(area.root, 'underprocess'), []);
    assert.equal(events.filter((e) => e.type === 'claimed').length, 1, 'second.log must not be claimed after stop()');
  });

  it('does not take a file that is still being written (appended every 100 ms for 3 s, stabilityMs 1000)', async () => {
    // A premature take is certain to be caught: the writers keep appending for 3 s after the
    // file appears, never pausing anywhere near stabilityMs, so a file taken before its last
    // line would miss lines in its result (and, for the writer that reopens the file, a
    // second copy would appear in unprocessed/ and be processed as "… (2).log").
    const { root } = await makeArea(tempDir);
    const { claimed } = await startQueue({ root, stabilityMs: 1000 });
    const lines = 30;
    const line = (who: string, n: number) => `2025-01-01 [ERROR] ${who} line ${n} of ${lines}\n`;

    // Like a logger: opens, appends, closes, every time.
    const reopening = (async () => {
      const file = statePath(root, 'unprocessed', 'reopened.log');
      for (let n = 1; n <= lines; n++) {
        await writeFile(file, line('reopened', n), { flag: 'a' });
        await sleep(100);
      }
    })();
    // Like a download: one handle held open throughout.
    const holding = (async () => {
      const handle = await open(statePath(root, 'unprocessed', 'held.log'), 'a');
      try {
        for (let n = 1; n <= lines; n++) {
          await handle.write(line('held', n));
          await sleep(100);
        }
      } finally {
        await handle.close();
      }
    })();
    await Promise.all([reopening, holding]);
    assert.deepEqual(claimed, [], 'a file was claimed while it was still being written');

    await waitForSummaries(root, ['reopened.log', 'held.log']);
    await waitFor('both files in processed/', async () => (await listState(root, 'processed')).length === 2, { root });
    for (const name of ['reopened.log', 'held.log']) {
      const who = name.replace('.log', '');
      let expected = '';
      for (let n = 1; n <= lines; n++) expected += line(who, n);
      assert.equal(await readFile(statePath(root, 'processed', name), 'utf8'), expected, `processed/${name} must be complete`);
      const summary = await readSummary(root, name);
      assert.equal(summary.status, 'processed');
      assert.equal(summary.linesIn, lines, `${name}: every line must have been read`);
      assert.equal(await readFile(statePath(root, 'results', name), 'utf8'), expectedTriage(name, expected));
    }
    assert.deepEqual(await listState(root, 'processed'), ['held.log', 'reopened.log'], await describeRoot(root));
    assert.deepEqual(await listState(root, 'unprocessed'), []);
  });

  it('takes waiting files oldest first (by detection time), one at a time with concurrency 1', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    // 20 lines × 50 ms: the first file holds the only slot for a second while the others
    // arrive, in an order that is neither alphabetical nor reverse alphabetical.
    const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 50);
    const { claimed } = await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100 });
    await dropAtomically(area, 'blocker.log', numberedLines('blocker', 20));
    await waitFor('blocker.log to be claimed', () => claimed.length === 1, { root });
    for (const name of ['m.log', 'z.log', 'a.log', 'q.log']) {
      await dropAtomically(area, name, `${name}\n`);
      await sleep(150);
    }
    await waitForSummaries(root, ['blocker.log', 'm.log', 'z.log', 'a.log', 'q.log']);
    assert.deepEqual(claimed, ['blocker.log', 'm.log', 'z.log', 'a.log', 'q.log']);
  });

  it('keeps every copy of a name dropped many times: name, "stem (2).ext", … "stem (20).ext"', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    await startQueue({ root, stabilityMs: 100 });
    // Three names, each dropped again as soon as the previous copy has been claimed.
    const plan = [
      { name: 'dup.log', copies: 20, expectName: (k: number) => (k === 1 ? 'dup.log' : `dup (${k}).log`) },
      { name: 'deep/er/dup.log', copies: 3, expectName: (k: number) => (k === 1 ? 'deep/er/dup.log' : `deep/er/dup (${k}).log`) },
      { name: 'README', copies: 3, expectName: (k: number) => (k === 1 ? 'README' : `README (${k})`) },
    ];
    const content = (name: string, k: number) => `2025-01-01 [ERROR] ${name} copy ${k}\n`;
    await Promise.all(
      plan.map(async ({ name, copies }) => {
        for (let k = 1; k <= copies; k++) {
          await dropAtomically(area, name, content(name, k));
          await waitFor(`copy ${k} of ${name} to be claimed`, async () => !(await pathExists(statePath(root, 'unprocessed', name))), { root });
        }
      }),
    );
    const expected = plan.flatMap(({ name, copies, expectName }) =>
      Array.from({ length: copies }, (_, i) => ({ dropped: name, claimed: expectName(i + 1), text: content(name, i + 1) })),
    );
    await waitForSummaries(
      root,
      expected.map((e) => e.claimed),
    );
    await waitFor('every copy in processed/', async () => (await listState(root, 'processed')).length === expected.length, { root });
    assert.deepEqual(await listState(root, 'processed'), expected.map((e) => e.claimed).sort());
    for (const { dropped, claimed, text } of expected) {
      assert.equal(await readFile(statePath(root, 'processed', claimed), 'utf8'), text, `processed/${claimed} holds the wrong copy`);
      assert.equal(await readFile(statePath(root, 'results', claimed), 'utf8'), expectedTriage(claimed, text));
      const summary = await readSummary(root, claimed);
      assert.equal(summary.name, claimed);
      assert.equal(summary.source, `unprocessed/${dropped}`);
      assert.equal(summary.status, 'processed');
    }
    assert.deepEqual(await listState(root, 'failed'), []);
    assert.deepEqual(await listState(root, 'underprocess'), []);
  });

  it('never overwrites a result already there: a name taken only in results/ is claimed as "stem (2).ext"', async () => {
    const { root } = await makeArea(tempDir);
    // A result and a summary from some earlier file of that name (the original is gone).
    await placeFile(root, 'results', 'old.log', 'precious earlier result\n');
    await placeFile(root, 'results', 'sub/kept.log.summary.json', '{"precious": true}\n');
    await startQueue({ root, stabilityMs: 100 });
    await dropFile(root, 'old.log', '[WARN] new old.log\n');
    await dropFile(root, 'sub/kept.log', '[WARN] new kept.log\n');
    await waitForSummaries(root, ['old (2).log', 'sub/kept (2).log']);
    assert.equal(await readFile(statePath(root, 'results', 'old.log'), 'utf8'), 'precious earlier result\n');
    assert.equal(await readFile(statePath(root, 'results', 'sub/kept.log.summary.json'), 'utf8'), '{"precious": true}\n');
    await waitFor('both in processed/', async () => (await listState(root, 'processed')).length === 2, { root });
    assert.deepEqual(await listState(root, 'processed'), ['old (2).log', 'sub/kept (2).log']);
    assert.equal(await readFile(statePath(root, 'results', 'old (2).log'), 'utf8'), 'old (2).log:1: [WARN] new old.log\n');
  });

  it("never lets a result overwrite another file's summary (x.log and x.log.summary.json, both orders)", async () => {
    const { root } = await makeArea(tempDir);
    await startQueue({ root, stabilityMs: 100 });
    const drop = async (name: string, expectedName: string) => {
      await dropFile(root, name, `[ERROR] dropped as ${name}\n`);
      await waitForSummaries(root, [expectedName]);
      await waitFor(`${expectedName} in processed/`, () => pathExists(statePath(root, 'processed', expectedName)), { root });
    };
    await drop('x.log', 'x.log');
    await drop('x.log.summary.json', 'x.log.summary (2).json');
    await drop('y.log.summary.json', 'y.log.summary.json');
    await drop('y.log', 'y (2).log');
    assert.equal((await readSummary(root, 'x.log')).name, 'x.log', "x.log's summary survived");
    assert.equal(await readFile(statePath(root, 'results', 'y.log.summary.json'), 'utf8'), 'y.log.summary.json:1: [ERROR] dropped as y.log.summary.json\n');
    assert.deepEqual(await listState(root, 'processed'), ['x.log', 'x.log.summary (2).json', 'y (2).log', 'y.log.summary.json']);
  });

  // When an earlier file was named "a", processed/a and results/a are files, so "a/b.log"
  // cannot live under "a/": the claim makes the folder part unique instead ("a (2)/b.log").
  it('a file in a folder named like an earlier file ("a", then "a/b.log") is claimed as "a (2)/b.log"', async () => {
    const { root } = await makeArea(tempDir);
    const { queue } = await startQueue({ root, stabilityMs: 100 });
    await dropFile(root, 'a', '[ERROR] the file a\n');
    await waitFor('a in processed/', () => pathExists(statePath(root, 'processed', 'a')), { root });
    await dropFile(root, 'a/b.log', '[ERROR] the file a/b.log\n');
    await waitFor('a/b.log to be claimed', async () => (await listState(root, 'unprocessed')).length === 0, { root });
    await queue.drain();
    assert.deepEqual(await listState(root, 'underprocess'), [], await describeRoot(root));
    assert.equal((await listState(root, 'processed')).length + (await listState(root, 'failed')).length, 2, await describeRoot(root));
    assert.deepEqual((await listState(root, 'processed')).sort(), ['a', 'a (2)/b.log'], await describeRoot(root));
    assert.equal((await readSummary(root, 'a (2)/b.log')).source, 'unprocessed/a/b.log');
  });

  it('leaves temporary, hidden and ignored names untouched in unprocessed/, and takes a .part file once renamed', async () => {
    const { root } = await makeArea(tempDir);
    // Each kind is there both when the queue starts (startup scan) and among the arrivals
    // while it watches, since the two paths find files differently.
    const early = ['.hidden', 'x.tmp', 'y.part', 'v~', '.git/config', 'sub/.cache/early.log', 'a.skip', 'keep/c.log'];
    const late = ['.late', 'z.partial', 'z.crdownload', 'w.swp', 'late~', 'sub/.also-hidden', 'sub/q.tmp', '.git/objects/ab', 'sub/.cache/late.log', 'deep/b.skip', 'keep/more/d.log'];
    const ignored = [...early, ...late];
    for (const name of early) await dropFile(root, name, `[ERROR] ${name}\n`);
    const { finished } = await startQueue({ root, stabilityMs: 100, ignore: ['**/*.skip', 'keep/**'] });
    for (const name of late) await dropFile(root, name, `[ERROR] ${name}\n`);
    await dropFile(root, 'normal.log', '[ERROR] normal\n');
    await dropFile(root, 'sub/normal.log', '[ERROR] sub normal\n');
    await waitForSummaries(root, ['normal.log', 'sub/normal.log']);
    // Give the queue ample opportunity to (wrongly) take the others: several stability periods.
    await sleep(1500);

    assert.deepEqual((await listState(root, 'unprocessed')).sort(), [...ignored].sort(), await describeRoot(root));
    for (const name of ignored) {
      assert.equal(await readFile(statePath(root, 'unprocessed', name), 'utf8'), `[ERROR] ${name}\n`, `${name} was modified`);
      assert.equal(await pathExists(statePath(root, 'results', name + '.summary.json')), false, `${name} got a summary`);
    }
    assert.deepEqual(
      finished.map((s) => s.name).sort(),
      ['normal.log', 'sub/normal.log'],
    );

    // rsync-style: the temporary name is renamed to its final name once complete.
    await rename(statePath(root, 'unprocessed', 'y.part'), statePath(root, 'unprocessed', 'y.log'));
    await waitForSummaries(root, ['y.log']);
    assert.equal((await readSummary(root, 'y.log')).status, 'processed');
    assert.equal(await readFile(statePath(root, 'results', 'y.log'), 'utf8'), 'y.log:1: [ERROR] y.part\n');
  });

  it('retryFailed moves a failed file back to unprocessed/ and it is processed under the same name', async () => {
    const { root } = await makeArea(tempDir);
    const { queue, events } = await startQueue({ root, stabilityMs: 100 });
    await dropFile(root, 'bin.log', Buffer.from('[ERROR] looks like text\n\u0000\u0001binary\n'));
    await waitForSummaries(root, ['bin.log']);
    await waitFor('bin.log in failed/', () => pathExists(statePath(root, 'failed', 'bin.log')), { root });
    const failed = await readSummary(root, 'bin.log');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'EBINARY');
    assert.equal(await pathExists(statePath(root, 'results', 'bin.log')), false, 'a failed file has no result');

    // Fix the cause, then retry.
    await writeFile(statePath(root, 'failed', 'bin.log'), '[ERROR] now it is text\n');
    assert.equal(await queue.retryFailed('bin.log'), 'bin.log');
    assert.ok(
      events.some((e) => e.type === 'moved' && e.name === 'bin.log' && e.from === 'failed'),
      'a moved event is emitted',
    );
    await waitFor(
      'bin.log to be processed after the retry',
      async () => (await pathExists(statePath(root, 'processed', 'bin.log'))) && (await readSummary(root, 'bin.log').catch(() => undefined))?.status === 'processed',
      { root },
    );
    assert.equal(await readFile(statePath(root, 'results', 'bin.log'), 'utf8'), 'bin.log:1: [ERROR] now it is text\n');
    const summary = await readSummary(root, 'bin.log');
    assert.equal(summary.name, 'bin.log');
    assert.equal(summary.source, 'unprocessed/bin.log');
    assert.equal(summary.error, undefined);
    assert.deepEqual(await listState(root, 'failed'), []);
    assert.deepEqual(await listState(root, 'processed'), ['bin.log']);
    assert.deepEqual(await listState(root, 'results'), ['bin.log', 'bin.log.summary.json']);
  });

  it('retryAllFailed brings back a nested file that failed on an over-long line', async () => {
    const { root } = await makeArea(tempDir);
    const { queue } = await startQueue({ root, stabilityMs: 100, maxLineBytes: 64 });
    await dropFile(root, 'logs/2025/long.log', `[WARN] short\n[ERROR] ${'x'.repeat(100)}\n`);
    await waitForSummaries(root, ['logs/2025/long.log']);
    await waitFor('long.log in failed/', () => pathExists(statePath(root, 'failed', 'logs/2025/long.log')), { root });
    const failed = await readSummary(root, 'logs/2025/long.log');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'ELINETOOLONG');
    assert.equal(failed.error?.line, 2);

    await writeFile(statePath(root, 'failed', 'logs/2025/long.log'), '[WARN] short\n[ERROR] shorter now\n');
    assert.equal(await queue.retryAllFailed(), 1);
    await waitFor(
      'long.log to be processed after the retry',
      async () => (await readSummary(root, 'logs/2025/long.log').catch(() => undefined))?.status === 'processed',
      { root },
    );
    await waitFor('long.log in processed/', () => pathExists(statePath(root, 'processed', 'logs/2025/long.log')), { root });
    assert.equal(
      await readFile(statePath(root, 'results', 'logs/2025/long.log'), 'utf8'),
      'logs/2025/long.log:1: [WARN] short\nlogs/2025/long.log:2: [ERROR] shorter now\n',
    );
    assert.deepEqual(await listState(root, 'failed'), []);
    assert.deepEqual(await listState(root, 'processed'), ['logs/2025/long.log']);
    await assert.rejects(queue.retryFailed('logs/2025/long.log'), /does not exist/, 'retrying a file that is not in failed/ is an error');
  });
});
