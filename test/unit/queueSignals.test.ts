// Shutdown of `fileflow watch` (docs/queue.md, "Stopping"; docs/cli.md): on SIGTERM or SIGINT it stops taking
// files, lets the files in flight finish, leaves the rest where they are, and exits 0.

import assert from 'node:assert/strict';
import { readFile, utimes } from 'node:fs/promises';
import * as path from 'node:path';
import { watchCommand } from '../../src/cli/watchCommand';
import {
  describeRoot,
  dropAtomically,
  listState,
  makeArea,
  pathExists,
  numberedLines,
  placeFile,
  readSummary,
  statePath,
  useCli,
  useTempDirs,
  waitFor,
  waitForExit,
  writeSlowPipeline,
} from './helpers/queueHarness';

describe('fileflow watch shutdown', function () {
  this.timeout(90_000);
  const tempDir = useTempDirs();
  const cli = useCli();

  it('a signal that arrives while the queue is still starting: nothing is taken, exit 0', async () => {
    const { root, base } = await makeArea(tempDir);
    const past = new Date(Date.now() - 60_000);
    for (const name of ['a.log', 'b.log', 'c.log']) {
      await placeFile(root, 'unprocessed', name, `[ERROR] ${name}\n`);
      await utimes(statePath(root, 'unprocessed', name), past, past);
    }
    await placeFile(root, 'underprocess', 'crashed.log', '[ERROR] crashed\n');
    let stderr = '';
    // The signal handler runs as soon as it is installed, i.e. before start() has recovered
    // or scanned anything (a Ctrl+C right after launching).
    const code = await watchCommand(
      { kind: 'watch', root, once: false, concurrency: 2, logLevel: 'warn', json: true },
      undefined,
      {
        cwd: base,
        out: () => undefined,
        err: (text) => (stderr += text),
        onSignal(handler) {
          handler('SIGTERM');
          return () => undefined;
        },
      },
    );
    assert.equal(code, 0, stderr);
    assert.match(stderr, /SIGTERM: finishing the files in flight/);
    const state = await describeRoot(root);
    assert.deepEqual(await listState(root, 'unprocessed'), ['a.log', 'b.log', 'c.log'], `nothing may be taken after the signal\n${state}`);
    assert.deepEqual(await listState(root, 'underprocess'), ['crashed.log'], `the rest stays where it is\n${state}`);
    assert.deepEqual(await listState(root, 'processed'), [], state);
    assert.equal(await pathExists(statePath(root, 'results', 'a.log.summary.json')), false);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} with files in flight: finishes them, takes nothing new, exits 0`, async () => {
      const area = await makeArea(tempDir);
      const { root, base } = area;
      // 25 lines × 100 ms: each file keeps its worker busy for 2.5 s, far longer than it
      // takes to notice it in underprocess/ and send the signal.
      const pipeline = await writeSlowPipeline(path.join(base, 'pipeline'), 100);
      const lines = 25;
      const queued = ['q1.log', 'q2.log', 'q3.log', 'q4.log', 'q5.log', 'sub/q6.log'];
      const past = new Date(Date.now() - 60_000);
      for (const name of queued) {
        await placeFile(root, 'unprocessed', name, numberedLines(`[ERROR] ${name}`, lines));
        await utimes(statePath(root, 'unprocessed', name), past, past);
      }
      const child = cli(['watch', root, '--pipeline', pipeline, '--concurrency', '2'], { cwd: base });
      await waitFor('two files in flight', async () => (await listState(root, 'underprocess')).length === 2, {
        root,
        timeoutMs: 30_000,
        context: () => `stderr:\n${child.stderr()}`,
      });
      const inFlight = await listState(root, 'underprocess');
      process.kill(child.pid, signal);
      // Files that arrive after the signal must not be taken.
      const late = ['late1.log', 'later/late2.log'];
      for (const name of late) await dropAtomically(area, name, `[ERROR] ${name}\n`);

      const { code, signal: killedBy } = await waitForExit(child, 30_000, root);
      assert.equal(killedBy, null, `fileflow was killed by ${killedBy}\nstderr:\n${child.stderr()}`);
      assert.equal(code, 0, `exit code\nstderr:\n${child.stderr()}\nstdout:\n${child.stdout()}`);
      assert.match(child.stderr(), new RegExp(`${signal}: finishing the files in flight`));

      const state = await describeRoot(root);
      assert.deepEqual(await listState(root, 'processed'), [...inFlight].sort(), `the files in flight finish\n${state}`);
      for (const name of inFlight) {
        const summary = await readSummary(root, name);
        assert.equal(summary.status, 'processed');
        assert.equal(summary.linesOut, lines, `${name} was finished completely`);
        assert.equal(await readFile(statePath(root, 'results', name), 'utf8'), numberedLines(`[ERROR] ${name}`, lines));
      }
      assert.deepEqual(await listState(root, 'underprocess'), [], state);
      assert.deepEqual(await listState(root, 'failed'), [], state);
      const notTaken = [...queued.filter((n) => !inFlight.includes(n)), ...late].sort();
      assert.deepEqual(await listState(root, 'unprocessed'), notTaken, `everything else stays in unprocessed/\n${state}`);
      assert.deepEqual(
        await listState(root, 'results'),
        inFlight.flatMap((n) => [n, `${n}.summary.json`]).sort(),
        'no results for files that were not taken',
      );
    });
  }
});
