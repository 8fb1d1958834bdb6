// The state model behind the tree, the status bar and the HTTP lists, with real queues (their
// events and their own sets) and real listings of real folders: the counts and lists agree
// with the queue's metrics and with the inbox filter, memory holds a bounded number of names,
// pages past it come from disk, rescans during a burst count each file once, and other
// instances' files show as theirs.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FolderQueue } from '../../src/core/queue/folderQueue';
import { QueueLayout, requeue } from '../../src/core/queue/layout';
import { listState as listFiles, type ListedFile } from '../../src/core/queue/stateListing';
import { StateModel } from '../../src/core/queue/stateModel';
import { inboxFilter } from '../../src/core/queue/inboxRules';
import {
  dropAtomically,
  dropFile,
  makeArea,
  placeFile,
  sleep,
  useQueues,
  useTempDirs,
  waitFor,
  writeSlowPipeline,
} from './helpers/queueHarness';

const names = (files: ListedFile[]): string[] => files.map((file) => file.name);
const sorted = (list: string[]): string[] => [...list].sort();

/** Names a queue root must never show as queued: the inbox leaves them alone. */
const NOT_TAKEN = ['.hidden.log', 'download.log.part', 'copy.log.tmp', 'notes.log~', '.git/config', 'sub/.cache/x.log'];

describe('state model', function () {
  this.timeout(120_000);
  const tempDir = useTempDirs();
  const startQueue = useQueues();

  it('from disk alone (no queue running): counts and lists every state, queued files through the inbox filter', async () => {
    const { root } = await makeArea(tempDir);
    for (const name of ['a.log', 'sub/b.log', 'skip.bak', ...NOT_TAKEN]) await placeFile(root, 'unprocessed', name, 'x\n');
    await placeFile(root, 'processed', 'p1.log', 'x\n');
    await sleep(20);
    await placeFile(root, 'processed', 'p2.log', 'x\n');
    await placeFile(root, 'failed', 'f.log', 'x\n');
    await placeFile(root, 'underprocess', '.ff-other1/2025/c.log', 'x\n');
    await placeFile(root, 'underprocess', '.ff-other1/d.log', 'x\n');
    await placeFile(root, 'underprocess', '.ff-other2/e.log', 'x\n');
    const model = new StateModel(new QueueLayout(root), { accepts: inboxFilter(['**/*.bak']) });
    await model.rescan();

    assert.equal(model.count('queued'), 2);
    assert.deepEqual(sorted(names(model.newest('queued', 10))), ['a.log', 'sub/b.log']);
    assert.equal(model.count('processed'), 2);
    assert.deepEqual(names(model.newest('processed', 10)), ['p2.log', 'p1.log'], 'newest first');
    assert.equal(model.count('failed'), 1);
    assert.equal(model.count('inProgress'), 3);
    assert.deepEqual(sorted(names(model.newest('inProgress', 10))), ['2025/c.log', 'd.log', 'e.log'], 'listed by their names, without the claim folder');
    assert.deepEqual(Object.fromEntries(model.othersInFlight), { other1: 2, other2: 1 });
  });

  it('while a queue runs, queued is the queue\'s own count and list, also for files still being written', async () => {
    const { root } = await makeArea(tempDir);
    // A long stability time: the files stay "being written" (seen, not ready) for the test.
    const { queue } = await startQueue({ root, stabilityMs: 60_000 });
    const model = new StateModel(queue.layout, { accepts: inboxFilter() });
    model.attach(queue);
    await model.rescan();
    for (const name of ['one.log', 'two.log', 'sub/three.log', ...NOT_TAKEN]) await dropFile(root, name, 'still being written\n');
    await waitFor('the queue to see the three files', () => queue.metrics.queued === 3, { root });
    assert.equal(model.count('queued'), 3);
    assert.deepEqual(sorted(names(model.newest('queued', 10))), ['one.log', 'sub/three.log', 'two.log']);
    assert.equal((await model.page('queued', 0, 10)).length, 3);
    // A listing from disk with the same filter says the same.
    assert.deepEqual(sorted(names(await listFiles(queue.layout, 'queued', inboxFilter()))), ['one.log', 'sub/three.log', 'two.log']);
    assert.equal(model.count('inProgress'), 0);
  });

  it('follows a burst through the queue: queued and in progress from the queue, processed counted once per file', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const { queue, finished } = await startQueue({ root });
    queue.pause();
    const model = new StateModel(queue.layout, { accepts: inboxFilter() });
    model.attach(queue);
    queue.on('event', (event) => model.apply(event));
    await model.rescan();
    const count = 20;
    for (let i = 0; i < count; i++) await dropAtomically(area, `f${String(i).padStart(2, '0')}.log`, `[ERROR] ${i}\n`);
    await waitFor('every file to be queued', () => queue.metrics.queued === count, { root });
    assert.equal(model.count('queued'), count);
    assert.equal(model.newest('queued', 5).length, 5, 'a view asks for as many as it shows');
    queue.resume();
    await queue.drain();
    assert.equal(finished.length, count);
    assert.equal(model.count('queued'), 0);
    assert.equal(model.count('inProgress'), 0);
    assert.equal(model.count('processed'), count, 'every finished file counted once');
    assert.deepEqual(sorted(names(model.newest('processed', 100))), sorted(finished.map((summary) => summary.name)));
    await model.rescan();
    assert.equal(model.count('processed'), count, 'a rescan of the disk says the same');
  });

  it('recovered files waiting for a worker are in progress (they are in underprocess/), not queued', async () => {
    const { root } = await makeArea(tempDir);
    for (const name of ['r1.log', 'r2.log', 'sub/r3.log']) await placeFile(root, 'underprocess', name, '[ERROR] left by a crash\n');
    const queue = new FolderQueue({ root, concurrency: 1 });
    queue.pause();
    try {
      await queue.start();
      const model = new StateModel(queue.layout);
      model.attach(queue);
      await model.rescan();
      assert.equal(queue.metrics.queued, 0);
      assert.equal(queue.metrics.inProgress, 3);
      assert.equal(model.count('queued'), 0);
      assert.equal(model.count('inProgress'), 3);
      assert.deepEqual(sorted(names(model.newest('inProgress', 10))), ['r1.log', 'r2.log', 'sub/r3.log']);
      assert.equal(queue.metrics.waiting, 3, 'they still wait for a worker (the stall clock runs)');
    } finally {
      await queue.stop();
    }
  });

  it('keeps at most `keep` names per state in memory; pages past them come from disk, newest first', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = await writeSlowPipeline(path.join(path.dirname(root), 'pipeline'), 2);
    const { queue, finished } = await startQueue({ root, pipelineFile, concurrency: 1 });
    const model = new StateModel(queue.layout, { keep: 5 });
    model.attach(queue);
    queue.on('event', (event) => model.apply(event));
    await model.rescan();
    const count = 12;
    for (let i = 0; i < count; i++) await dropAtomically(area, `n${String(i).padStart(2, '0')}.log`, 'one\ntwo\n');
    await waitFor('every file to finish', () => finished.length === count, { root });

    assert.equal(model.count('processed'), count);
    const inMemory = model.newest('processed', 100);
    assert.equal(inMemory.length, 5, 'no more than `keep` in memory');
    assert.deepEqual(sorted(names(inMemory)), sorted(finished.slice(-5).map((summary) => summary.name)), 'the five that finished last');
    const onDisk = names(await listFiles(queue.layout, 'processed'));
    assert.deepEqual(names(await model.page('processed', 0, count)), onDisk, 'the whole list, from disk');
    assert.deepEqual(names(await model.page('processed', 5, 5)), onDisk.slice(5, 10), 'a page past memory');
    await model.rescan();
    assert.equal(model.newest('processed', 100).length, 5, 'a rescan keeps the bound too');
    assert.equal(model.count('processed'), count);
  });

  it('counts each file once when rescans run while files finish', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    // Files processed earlier make each walk of processed/ long enough for files to finish during
    // it, into folders the walk has read already or has still to read.
    const earlier = 3000;
    await Promise.all(Array.from({ length: earlier }, (_, i) => placeFile(root, 'processed', `earlier/${i % 30}/e${i}.log`, 'x\n')));
    const { queue, finished } = await startQueue({ root, concurrency: 2 });
    queue.pause();
    const model = new StateModel(queue.layout, { keep: 50 });
    model.attach(queue);
    queue.on('event', (event) => model.apply(event));
    const count = 150;
    for (let i = 0; i < count; i++) await dropAtomically(area, `earlier/${i % 30}/b${i}.log`, `[WARN] ${i}\n`);
    await waitFor('every file to be queued', () => queue.metrics.queued === count, { root });
    let rescanning = false;
    let finishedDuringRescans = 0;
    queue.on('event', (event) => {
      if (event.type === 'finished' && rescanning) finishedDuringRescans++;
    });
    queue.resume();
    let rescans = 0;
    while (finished.length < count) {
      rescanning = true;
      await model.rescan();
      rescanning = false;
      rescans++;
    }
    await queue.drain();
    assert.ok(finishedDuringRescans > 0, 'files finished while processed/ was being read');
    assert.equal(model.count('processed'), earlier + count, `after ${rescans} rescans during the burst`);
    assert.equal(model.count('processed'), (await listFiles(queue.layout, 'processed')).length);
  });

  it('Retry: a failed file leaves failed/ and is queued again, running or not', async () => {
    const { root } = await makeArea(tempDir);
    await placeFile(root, 'failed', 'bad.log', '[ERROR] fixed now\n');
    await placeFile(root, 'failed', 'worse.log', '[ERROR] fixed now\n');
    const layout = new QueueLayout(root);
    const model = new StateModel(layout);
    await model.rescan();
    assert.equal(model.count('failed'), 2);
    const to = await requeue(layout, 'failed', 'bad.log');
    assert.equal(model.apply({ type: 'moved', name: 'bad.log', from: 'failed', to }), true);
    assert.equal(model.count('failed'), 1);
    assert.deepEqual(names(model.newest('queued', 10)), ['bad.log']);

    const { queue } = await startQueue({ root });
    const running = new StateModel(queue.layout);
    running.attach(queue);
    queue.on('event', (event) => running.apply(event));
    await running.rescan();
    await queue.drain();
    assert.equal(running.count('failed'), 1);
    await queue.retryFailed('worse.log');
    assert.equal(running.count('failed'), 0);
    await waitFor('both to be processed', () => running.count('processed') === 2, { root });
  });

  it("another instance's files in progress count, carry its id, and leave once it finishes them", async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const { queue: mine } = await startQueue({ root });
    mine.pause(); // this instance takes nothing: the other one does the work
    const model = new StateModel(mine.layout);
    model.attach(mine);
    mine.on('event', (event) => model.apply(event));
    const pipelineFile = await writeSlowPipeline(path.join(path.dirname(root), 'pipeline'), 5);
    const { queue: other, finished } = await startQueue({ root, pipelineFile, concurrency: 1 });
    await dropAtomically(area, 'slow.log', 'line\n'.repeat(400)); // ~2 s
    await waitFor('the other instance to claim it', async () => {
      await model.rescan();
      return model.othersInFlight.get(other.id as string) === 1;
    }, { root });
    assert.equal(model.count('inProgress'), 1);
    assert.deepEqual(model.newest('inProgress', 10).map((file) => [file.name, file.instance]), [['slow.log', other.id]]);
    assert.equal(mine.metrics.inProgress, 0, "this instance's own figures are its own");
    await waitFor('the other instance to finish it', () => finished.length === 1, { root });
    await model.rescan();
    assert.equal(model.count('inProgress'), 0);
    assert.equal(model.othersInFlight.size, 0);
    assert.equal(model.count('processed'), 1);
  });
});
