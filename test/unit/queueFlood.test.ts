// A flood (docs/queue.md): thousands of files dropped into a watched inbox in one burst are all
// processed, none lost, none twice. (The 100,000-file flood with memory checks is a
// benchmark, not a unit test.)
//
// 2,000 files by default (FILEFLOW_FLOOD_COUNT=<n> for more): while the inbox is watched,
// chokidar re-reads the whole folder (readdir + lstat of every entry) after every change in
// it, and every claim is such a change, so a flood costs about the square of its size:
// 3,000 files take 50-80 s on a 2-core machine, against ~12 s without the watcher.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import {
  describeRoot,
  listState,
  makeArea,
  readSummary,
  statePath,
  useQueues,
  useTempDirs,
  waitFor,
} from './helpers/queueHarness';

describe('folder queue flood', function () {
  this.timeout(300_000);
  const tempDir = useTempDirs('fileflow-flood-');
  const startQueue = useQueues();

  const count = Number(process.env.FILEFLOW_FLOOD_COUNT ?? 2000);

  it(`processes ${count} files dropped in a burst while watching, losing none`, async () => {
    const { root } = await makeArea(tempDir);
    const { queue, finished } = await startQueue({ root, stabilityMs: 200 });
    const nameOf = (i: number) => `flood-${String(i).padStart(6, '0')}.log`;
    const textOf = (i: number) => `[DEBUG] ${i}\n[ERROR] flood file ${i}\n`;
    // Written straight into the inbox, 50 at a time, as fast as the filesystem takes them.
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => writeFile(statePath(root, 'unprocessed', nameOf(i + k)), textOf(i + k))));
    }
    await waitFor(`${count} files in processed/`, async () => (await listState(root, 'processed')).length >= count, {
      root,
      timeoutMs: 280_000,
      intervalMs: 500,
      context: () => `finished events: ${finished.length}`,
    });
    await waitFor('the queue to be idle', () => finished.length >= count && queue.metrics.inProgress === 0, { root });

    const expected = Array.from({ length: count }, (_, i) => nameOf(i));
    assert.deepEqual(await listState(root, 'processed'), expected, await describeRoot(root));
    assert.deepEqual(await listState(root, 'unprocessed'), []);
    assert.deepEqual(await listState(root, 'underprocess'), []);
    assert.deepEqual(await listState(root, 'failed'), []);
    assert.equal((await listState(root, 'results')).length, 2 * count, 'one result and one summary each, nothing else');
    assert.equal(finished.length, count, 'one finished event per file');
    assert.equal(new Set(finished.map((s) => s.name)).size, count, 'no file finished twice');
    assert.equal(queue.metrics.processed, count);
    for (let i = 0; i < count; i++) {
      const name = nameOf(i);
      const result = await readFile(statePath(root, 'results', name), 'utf8');
      if (result !== `${name}:2: [ERROR] flood file ${i}\n`) assert.fail(`results/${name} is ${JSON.stringify(result)}`);
    }
    const sample = await readSummary(root, nameOf(count - 1));
    assert.equal(sample.status, 'processed');
    assert.equal(sample.linesIn, 2);
  });
});
