// Crash safety of the folder queue (docs/queue.md): `fileflow watch` is killed with
// SIGKILL at random moments while hundreds of files are being processed, and restarted, again
// and again. In the end every file must be in processed/ exactly once, with the result the
// built-in default pipeline must produce and a "processed" summary; nothing may be left in
// underprocess/, no temporary file in results/, and no file may have been processed twice
// under a second name.
//
// The run is random but repeatable: the seed is printed, and FILEFLOW_CRASH_SEED=<seed>
// replays it.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  describeRoot,
  dropAtomically,
  expectedTriage,
  generateLog,
  isTempName,
  listState,
  makeArea,
  placeFile,
  prng,
  readSummary,
  sleep,
  statePath,
  useCli,
  useTempDirs,
  waitFor,
  waitForExit,
} from './helpers/queueHarness';

interface Snapshot {
  cycle: number;
  killAfterMs: number;
  from: 'startup' | 'watching' | 'recovery';
  unprocessed: number;
  underprocess: number;
  processed: number;
  tempResults: number;
}

describe('folder queue crash safety', function () {
  this.timeout(240_000);
  const tempDir = useTempDirs('fileflow-crash-');
  const cli = useCli();

  it('loses nothing and duplicates nothing when `watch` is SIGKILLed at random moments, 12 times over 300 files', async () => {
    const seed = Number(process.env.FILEFLOW_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = prng(seed);
    const context = `(seed ${seed}; replay with FILEFLOW_CRASH_SEED=${seed})`;
    const area = await makeArea(tempDir);
    const { root, base } = area;

    // 300 files with distinct contents; a few large ones keep a worker busy for a while, so
    // that kills also land in the middle of writing a result.
    const files = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const id = String(i).padStart(3, '0');
      const name = i % 10 === 0 ? `batch-${i % 3}/f${id}.log` : `f${id}.log`;
      const lines = i % 100 === 7 ? 20_000 : 20 + Math.floor(random() * 180);
      files.set(name, generateLog(id, lines, random));
    }
    const names = [...files.keys()];
    // 250 are waiting when the first run starts; 50 more arrive during the runs.
    for (const name of names.slice(0, 250)) await placeFile(root, 'unprocessed', name, files.get(name) as string);
    const arrivals = names.slice(250);

    const snapshots: Snapshot[] = [];
    const cycles = 12;
    for (let cycle = 1; cycle <= cycles; cycle++) {
      // Kill while it boots (50–400 ms after spawn), right after it reported recovering what
      // the previous kill left (0–150 ms later), or while it works (50–400 ms after it
      // reported watching).
      const from = (['startup', 'watching', 'recovery'] as const)[cycle % 3];
      const child = cli(['watch', root, '--concurrency', '2', '--stability-ms', '50', '--log-level', 'info'], { cwd: base });
      if (from !== 'startup') {
        const mark = from === 'watching' ? /fileflow: watching/ : /recovering \d+ file|fileflow: watching/;
        await waitFor(`fileflow to report ${mark}`, () => mark.test(child.stderr()) || !child.running(), {
          timeoutMs: 60_000,
          root,
          context: () => `stderr:\n${child.stderr()}`,
        });
        assert.ok(child.running(), `fileflow exited early (cycle ${cycle}) ${context}\nstderr:\n${child.stderr()}`);
      }
      const killAfterMs = from === 'recovery' ? Math.floor(random() * 150) : 50 + Math.floor(random() * 350);
      const killAt = Date.now() + killAfterMs;
      // A few new files arrive while it runs.
      for (const name of arrivals.splice(0, 5)) {
        await dropAtomically(area, name, files.get(name) as string);
        await sleep(Math.floor(random() * 20));
      }
      await sleep(Math.max(0, killAt - Date.now()));
      // One kill at least must land on a file in flight, however fast this machine is today:
      // the first cycle's waits until there is one.
      if (cycle === 1) await waitFor('a file in flight', async () => (await listState(root, 'underprocess')).length > 0 || !child.running(), { root, intervalMs: 5 });
      if (child.running()) process.kill(child.pid, 'SIGKILL');
      const { signal } = await waitForExit(child, 30_000, root);
      assert.equal(signal, 'SIGKILL', `cycle ${cycle}: fileflow should still have been running ${context}\nstderr:\n${child.stderr()}`);
      snapshots.push({
        cycle,
        killAfterMs,
        from,
        unprocessed: (await listState(root, 'unprocessed')).length,
        underprocess: (await listState(root, 'underprocess')).length,
        processed: (await listState(root, 'processed')).length,
        tempResults: (await listState(root, 'results')).filter(isTempName).length,
      });
    }
    for (const name of arrivals.splice(0)) await dropAtomically(area, name, files.get(name) as string);

    // Finally: recover, drain what is there, and exit.
    const last = cli(['watch', root, '--once', '--concurrency', '2', '--log-level', 'error'], { cwd: base });
    const { code } = await waitForExit(last, 120_000, root);
    const report = `${context}\nkills: ${JSON.stringify(snapshots)}`;
    assert.equal(code, 0, `final watch --once exit code ${report}\nstderr:\n${last.stderr()}`);

    const state = `${await describeRoot(root)}\n${report}`;
    assert.deepEqual(await listState(root, 'underprocess'), [], `nothing may be left in underprocess/\n${state}`);
    assert.deepEqual(await listState(root, 'unprocessed'), [], state);
    assert.deepEqual(await listState(root, 'failed'), [], state);
    assert.deepEqual(await listState(root, 'processed'), [...names].sort(), `every file exactly once in processed/, under its own name\n${state}`);
    const results = await listState(root, 'results');
    assert.deepEqual(results.filter(isTempName), [], `no temporary files in results/\n${state}`);
    assert.deepEqual(results, names.flatMap((n) => [n, `${n}.summary.json`]).sort(), `exactly one result and one summary per file\n${state}`);

    let recovered = 0;
    for (const [name, text] of files) {
      assert.ok((await readFile(statePath(root, 'processed', name), 'utf8')) === text, `processed/${name} is not the original ${report}`);
      const result = await readFile(statePath(root, 'results', name), 'utf8');
      if (result !== expectedTriage(name, text)) {
        assert.equal(result, expectedTriage(name, text), `results/${name} is wrong ${report}`);
      }
      const summary = await readSummary(root, name);
      assert.equal(summary.status, 'processed', `${name} ${report}`);
      assert.equal(summary.name, name);
      assert.ok([`unprocessed/${name}`, `underprocess/${name}`].includes(summary.source), `${name}: source ${summary.source}`);
      if (summary.source.startsWith('underprocess/')) recovered++;
    }
    // The kills must really have hit the queue at work, or this test proves little.
    assert.ok(
      snapshots.some((s) => s.underprocess > 0),
      `no kill left a file in underprocess/, so none interrupted processing ${report}`,
    );
    assert.ok(recovered > 0, `no file was recovered from underprocess/ ${report}`);
    console.log(`      crash test: seed ${seed}, ${recovered} file(s) recovered after kills; kills: ${JSON.stringify(snapshots.map((s) => [s.from, s.killAfterMs, s.underprocess, s.processed, s.tempResults]))}`);
  });
});
