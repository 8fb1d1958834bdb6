// Recovery (docs/queue.md): what a crash leaves in underprocess/ is processed first, under its
// claimed name, with its results overwritten atomically; temporary files in results/ are
// removed; a stop that runs out of time leaves files for the next start; and a broken
// pipeline file stops `fileflow watch` before it moves anything.

import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  describeRoot,
  expectedTriage,
  isInUnderprocess,
  isTempName,
  listState,
  makeArea,
  numberedLines,
  pathExists,
  placeFile,
  readSummary,
  statePath,
  useCli,
  useQueues,
  useTempDirs,
  waitFor,
  waitForExit,
  waitForSummaries,
  writeSlowPipeline,
} from './helpers/queueHarness';

/** Makes a file look long finished, so the inbox takes it without a stability wait. */
async function age(file: string): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  await utimes(file, past, past);
}

describe('folder queue recovery', function () {
  this.timeout(90_000);
  const tempDir = useTempDirs();
  const startQueue = useQueues();
  const cli = useCli();

  it('`watch --once` processes underprocess/ first, overwrites old results atomically and removes temporary files', async () => {
    const { base, root } = await makeArea(tempDir);
    const recovered = { 'rec1.log': '[ERROR] recovered one\n[INFO] x\n', 'sub/rec2.log': '[CRIT] recovered two\n' };
    const inbox = { 'new1.log': '[WARN] new one\n', 'deeper/new2.log': '[FATAL] new two\n' };
    for (const [name, text] of Object.entries(recovered)) await placeFile(root, 'underprocess', name, text);
    for (const [name, text] of Object.entries(inbox)) {
      await placeFile(root, 'unprocessed', name, text);
      await age(statePath(root, 'unprocessed', name));
    }
    // What an interrupted run left: a stale result and summary for rec1.log, and temp files.
    await placeFile(root, 'results', 'rec1.log', 'STALE half-written result\n');
    await placeFile(root, 'results', 'rec1.log.summary.json', '{"stale": true}\n');
    const temps = ['.rec1.log.4242-1.tmp', 'sub/.rec2.log.summary.json.4242-2.tmp', '.other.log.1-1.tmp'];
    for (const name of temps) await placeFile(root, 'results', name, 'partial');
    const staleInode = (await stat(statePath(root, 'results', 'rec1.log'))).ino;

    const child = cli(['watch', root, '--once', '--concurrency', '1'], { cwd: base });
    const { code } = await waitForExit(child, 60_000, root);
    assert.equal(code, 0, `exit code\nstderr:\n${child.stderr()}\nstdout:\n${child.stdout()}`);

    const all = { ...recovered, ...inbox };
    assert.deepEqual(await listState(root, 'processed'), Object.keys(all).sort(), await describeRoot(root));
    assert.deepEqual(await listState(root, 'underprocess'), []);
    assert.deepEqual(await listState(root, 'unprocessed'), []);
    const results = await listState(root, 'results');
    assert.deepEqual(results.filter(isTempName), [], 'temporary files must be removed from results/');
    assert.deepEqual(results, Object.keys(all).flatMap((n) => [n, n + '.summary.json']).sort());

    for (const [name, text] of Object.entries(all)) {
      assert.equal(await readFile(statePath(root, 'results', name), 'utf8'), expectedTriage(name, text), `results/${name}`);
      const summary = await readSummary(root, name);
      assert.equal(summary.status, 'processed');
      assert.equal(summary.name, name);
      assert.equal(summary.source, name in recovered ? `underprocess/${name}` : `unprocessed/${name}`);
    }
    // Replaced by a rename (a new file), not rewritten in place.
    assert.notEqual((await stat(statePath(root, 'results', 'rec1.log'))).ino, staleInode, 'the stale result should be replaced by a rename');

    // With one file at a time, every recovered file finished before any inbox file started.
    const times = async (names: string[]) => Promise.all(names.map(async (n) => readSummary(root, n)));
    const lastRecovered = Math.max(...(await times(Object.keys(recovered))).map((s) => Date.parse(s.finishedAt)));
    const firstNew = Math.min(...(await times(Object.keys(inbox))).map((s) => Date.parse(s.startedAt)));
    assert.ok(lastRecovered <= firstNew, `a new file started (${firstNew}) before recovery finished (${lastRecovered})`);
  });

  it('claims recovered files before inbox files, keeps their names, and never gives an inbox file a recovered name', async () => {
    const { root } = await makeArea(tempDir);
    const recovered = ['a.log', 'nested/b.log', 'c (2).log'];
    for (const name of recovered) await placeFile(root, 'underprocess', name, `[ERROR] recovered ${name}\n`);
    // The same names arrive again in the inbox: they must become "(2)"/"(3)", not collide.
    const inbox = ['a.log', 'nested/b.log', 'c.log', 'c (2).log', 'fresh.log'];
    for (const name of inbox) {
      await placeFile(root, 'unprocessed', name, `[ERROR] inbox ${name}\n`);
      await age(statePath(root, 'unprocessed', name));
    }
    const { claimed, events } = await startQueue({ root, concurrency: 2 });
    const expectedInboxNames = ['a (2).log', 'nested/b (2).log', 'c.log', 'c (2) (2).log', 'fresh.log'];
    await waitForSummaries(root, [...recovered, ...expectedInboxNames]);
    await waitFor('everything in processed/', async () => (await listState(root, 'processed')).length === 8, { root });

    assert.deepEqual(claimed.slice(0, 3).sort(), [...recovered].sort(), `claim order: ${JSON.stringify(claimed)}`);
    for (const event of events) {
      if (event.type === 'claimed') assert.equal(event.recovered, recovered.includes(event.name) && event.source.startsWith('underprocess/'));
    }
    assert.deepEqual(await listState(root, 'processed'), [...recovered, ...expectedInboxNames].sort());
    for (const name of recovered) {
      assert.equal(await readFile(statePath(root, 'processed', name), 'utf8'), `[ERROR] recovered ${name}\n`);
    }
    // Each inbox file under its unique name, with its own content.
    const byContent = new Map<string, string>();
    for (const name of expectedInboxNames) byContent.set(await readFile(statePath(root, 'processed', name), 'utf8'), name);
    for (const name of inbox) assert.ok(byContent.has(`[ERROR] inbox ${name}\n`), `the inbox copy of ${name} was lost`);
    assert.deepEqual(await listState(root, 'underprocess'), []);
  });

  it('a stop that runs out of time leaves the file in underprocess/, and the next start finishes it', async () => {
    const { base, root } = await makeArea(tempDir);
    const slowPipeline = await writeSlowPipeline(path.join(base, 'pipeline'), 100);
    const text = numberedLines('[ERROR] slow', 40); // 4 s of work
    await placeFile(root, 'unprocessed', 'slow.log', text);
    await age(statePath(root, 'unprocessed', 'slow.log'));
    const first = await startQueue({ root, pipelineFile: slowPipeline, shutdownTimeoutMs: 200 });
    await waitFor('slow.log to be claimed', () => isInUnderprocess(root, 'slow.log'), { root });
    await first.queue.stop();
    assert.deepEqual(await listState(root, 'underprocess'), ['slow.log'], 'the unfinished file stays in underprocess/');
    assert.deepEqual(await listState(root, 'processed'), []);
    assert.equal(await pathExists(statePath(root, 'results', 'slow.log')), false, 'no result may appear for an unfinished file');

    // A new arrival while nothing runs, then a restart with the (fast) default pipeline.
    await placeFile(root, 'unprocessed', 'later.log', '[WARN] later\n');
    await age(statePath(root, 'unprocessed', 'later.log'));
    const second = await startQueue({ root });
    assert.equal(second.claimed[0], 'slow.log', `claim order: ${JSON.stringify(second.claimed)}`);
    await waitForSummaries(root, ['slow.log', 'later.log']);
    await waitFor('both in processed/', async () => (await listState(root, 'processed')).length === 2, { root });
    assert.equal(await readFile(statePath(root, 'results', 'slow.log'), 'utf8'), expectedTriage('slow.log', text));
    assert.equal((await readSummary(root, 'slow.log')).source, 'underprocess/slow.log');
    assert.deepEqual((await listState(root, 'results')).filter(isTempName), [], 'temporary files left by the stopped worker are removed');
    assert.deepEqual(await listState(root, 'underprocess'), []);
  });

  for (const variant of ['invalid JSON', 'schema and semantic errors'] as const) {
    it(`\`watch\` with a pipeline file with ${variant} exits 2, says why, and moves nothing`, async () => {
      const { base, root } = await makeArea(tempDir);
      const pipeline = path.join(base, 'bad.pipeline.json');
      await writeFile(
        pipeline,
        variant === 'invalid JSON'
          ? '{ "nodes": { "start": { "use": "trim" } '
          : JSON.stringify({ nodes: { start: { use: 'trimm' }, other: { use: 'template', with: {} } } }),
      );
      await placeFile(root, 'unprocessed', 'waiting.log', '[ERROR] waiting\n');
      await age(statePath(root, 'unprocessed', 'waiting.log'));
      await placeFile(root, 'underprocess', 'crashed.log', '[ERROR] crashed\n');
      await placeFile(root, 'results', '.crashed.log.1-1.tmp', 'partial');
      const before = await describeRoot(root);

      for (const extra of [[], ['--once']]) {
        const child = cli(['watch', root, '--pipeline', pipeline, ...extra], { cwd: base });
        const { code } = await waitForExit(child, 30_000, root);
        assert.equal(code, 2, `exit code of watch ${extra.join(' ')}\nstderr:\n${child.stderr()}`);
        assert.match(child.stderr(), /bad\.pipeline\.json/, 'the message names the pipeline file');
        if (variant === 'invalid JSON') assert.match(child.stderr(), /invalid JSON/);
        else assert.match(child.stderr(), /\/nodes\/start\/use/, 'the message names the JSON path');
        assert.equal(await describeRoot(root), before, 'nothing may be moved, created or removed');
      }
    });
  }
});
