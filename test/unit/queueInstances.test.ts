// Several instances on one queue root: real `fileflow watch` processes (each its own process
// group), the real filesystem, SIGKILL / SIGSTOP / SIGCONT at moments of the test's choosing.
// What must hold: every file ends in processed/ once with a correct result and summary,
// nothing is left in flight, a live instance's claims are never touched by another, a gone
// instance's are finished by the others, and a paused one that lost its lease throws its
// work away instead of writing over the taker's.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  dropAtomically,
  generateLog,
  isInUnderprocess,
  isTempName,
  listFiles,
  listState,
  makeArea,
  pathExists,
  prng,
  readSummary,
  sleep,
  statePath,
  useCli,
  useTempDirs,
  waitFor,
  waitForExit,
  writeSlowPipeline,
  type CliChild,
} from './helpers/queueHarness';

interface NdjsonEvent {
  event: string;
  name?: string;
  names?: string[];
  [key: string]: unknown;
}

/** The NDJSON lines a `watch --json` child printed so far. */
function eventsOf(child: CliChild): NdjsonEvent[] {
  return child
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as NdjsonEvent);
}

/** Names of the files a child finished (its `finished` events carry the summary's fields). */
function finishedNames(child: CliChild): string[] {
  return eventsOf(child).flatMap((e) => (e.event === 'finished' && typeof e.name === 'string' ? [e.name] : []));
}

describe('several instances on one queue root', function () {
  this.timeout(300_000);
  const cli = useCli();
  const tempDir = useTempDirs();

  /** `fileflow watch ROOT --json` with a short lease, in a process group of its own. */
  function startInstance(root: string, cwd: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): CliChild {
    return cli(['watch', root, '--json', '--lease-sec', '2', '--stability-ms', '100', ...extra], { cwd, detached: true, env: { ...process.env, ...env } });
  }

  async function stopInstance(child: CliChild, root: string, expectedCode = 0): Promise<void> {
    if (!child.running()) return;
    process.kill(child.pid, 'SIGTERM');
    const { code } = await waitForExit(child, 30_000, root);
    assert.equal(code, expectedCode, `instance ${child.pid} exited with ${code}\n${child.stderr()}`);
  }

  it('three instances, files in waves, one instance SIGKILLed and replaced at random moments: each file processed once, correctly', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const random = prng(20261201);
    // 1 ms a line: each file takes 20-200 ms, so the kills land on files in flight.
    const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 1);
    const args = ['--concurrency', '2', '--pipeline', pipelineFile];
    const everyInstance: CliChild[] = [];
    const start = async (): Promise<CliChild> => {
      const child = startInstance(root, base, args);
      everyInstance.push(child);
      await waitFor('an instance to start', () => /watching/.test(child.stderr()), { root, context: () => child.stderr() });
      return child;
    };
    const instances = [await start(), await start(), await start()];
    const contents = new Map<string, string>();
    const waves = 10;
    for (let wave = 0; wave < waves; wave++) {
      const names: string[] = [];
      for (let i = 0; i < 30; i++) {
        const name = `w${wave}/f${String(i).padStart(2, '0')}.log`;
        contents.set(name, generateLog(`${wave}-${i}`, 20 + Math.floor(random() * 180), random));
        names.push(name);
      }
      await Promise.all(names.map((name) => dropAtomically(area, name, contents.get(name) as string)));
      // Kill one at a random moment while the wave is being worked, and start a replacement.
      await sleep(100 + Math.floor(random() * 700));
      const victim = Math.floor(random() * instances.length);
      process.kill(instances[victim].pid, 'SIGKILL');
      await instances[victim].exited;
      instances[victim] = await start();
    }
    await waitFor(
      `all ${contents.size} files in processed/`,
      async () => (await listState(root, 'processed')).length >= contents.size && (await listState(root, 'underprocess')).length === 0,
      { root, timeoutMs: 180_000 },
    );
    for (const child of instances) await stopInstance(child, root);

    assert.deepEqual(await listState(root, 'processed'), [...contents.keys()].sort(), 'each file exactly once, under its own name');
    assert.deepEqual(await listState(root, 'failed'), []);
    assert.deepEqual(await listState(root, 'underprocess'), [], 'nothing left in flight');
    assert.deepEqual(await listState(root, 'unprocessed'), []);
    const results = await listState(root, 'results');
    assert.deepEqual(results.filter(isTempName), [], 'no temporary files');
    for (const [name, content] of contents) {
      assert.equal(await readFile(statePath(root, 'results', name), 'utf8'), content, `${name}'s result (the slow pipeline passes every line on)`);
      const summary = await readSummary(root, name);
      assert.equal(summary.status, 'processed');
      assert.equal(summary.name, name);
      assert.equal(summary.linesOut, content.split('\n').length - 1);
      assert.equal(await readFile(statePath(root, 'processed', name), 'utf8'), content);
    }
    assert.equal(results.length, 2 * contents.size, 'a result and a summary per file, nothing else');
    assert.deepEqual(await listFiles(path.join(root, '.fileflow', 'instances')), [], 'every lease is gone (stopped, or taken over)');
    const takenOver = everyInstance.flatMap((child) => eventsOf(child).filter((e) => e.event === 'takenOver').flatMap((e) => e.names ?? []));
    assert.ok(takenOver.length > 0, 'some kills caught files in flight, and other instances finished them');
  });

  it('a second instance started while the first streams a big file leaves it alone', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 1);
    // ~4,000 lines at 1 ms each: a few seconds, longer than the lease.
    await dropAtomically(area, 'big.log', generateLog('big', 4000, prng(7)));
    const first = startInstance(root, base, ['--pipeline', pipelineFile, '--concurrency', '1']);
    await waitFor('big.log to be claimed', () => isInUnderprocess(root, 'big.log'), { root });
    const second = startInstance(root, base, ['--pipeline', pipelineFile, '--concurrency', '1']);
    await waitFor('the second instance to start', () => /watching/.test(second.stderr()), { root, context: () => second.stderr() });
    await waitFor('big.log to be processed', () => pathExists(statePath(root, 'processed', 'big.log')), { root, timeoutMs: 120_000 });
    await stopInstance(first, root);
    await stopInstance(second, root);
    assert.deepEqual(finishedNames(first), ['big.log'], 'the first instance finished it');
    assert.deepEqual(finishedNames(second), [], 'the second never touched it');
    assert.ok(!eventsOf(second).some((e) => e.event === 'takenOver' || e.event === 'claimed'), second.stdout());
    assert.equal((await readSummary(root, 'big.log')).source, 'unprocessed/big.log', 'processed once, from the inbox');
  });

  it('an instance frozen past its lease: another takes its file over; after SIGCONT the frozen one throws its work away', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 2);
    const content = generateLog('slow', 3000, prng(3)); // ~6 s of processing
    const frozen = startInstance(root, base, ['--pipeline', pipelineFile, '--concurrency', '1']);
    await waitFor('the first instance to start', () => /watching/.test(frozen.stderr()), { root, context: () => frozen.stderr() });
    await dropAtomically(area, 'slow.log', content);
    await waitFor('slow.log to be claimed by the first', () => eventsOf(frozen).some((e) => e.event === 'claimed' && e.name === 'slow.log'), { root });
    process.kill(-frozen.pid, 'SIGSTOP'); // its whole process group: main thread and workers
    try {
      const taker = startInstance(root, base, ['--pipeline', pipelineFile, '--concurrency', '1']);
      await waitFor('the taker to take slow.log over', () => eventsOf(taker).some((e) => e.event === 'takenOver' && e.names?.includes('slow.log')), {
        root,
        context: () => taker.stderr(),
      });
      await waitFor('the taker to finish slow.log', () => finishedNames(taker).includes('slow.log'), { root, timeoutMs: 60_000 });
      const takersResult = await readFile(statePath(root, 'results', 'slow.log'), 'utf8');
      const takersSummary = await readFile(statePath(root, 'results', 'slow.log.summary.json'), 'utf8');
      process.kill(-frozen.pid, 'SIGCONT');
      await waitFor('the frozen one to notice it lost its lease', () => eventsOf(frozen).some((e) => e.event === 'leaseLost'), {
        root,
        context: () => frozen.stderr(),
      });
      // Give its worker the time to reach the end of the file it was processing.
      await waitFor(
        'the frozen one to throw its work away',
        () => eventsOf(frozen).some((e) => e.event === 'skipped' && e.name === 'slow.log' && /another instance took it over/.test(String(e.reason))),
        { root, timeoutMs: 60_000, context: () => frozen.stdout() },
      );
      assert.deepEqual(finishedNames(frozen), [], 'the frozen instance finished nothing');
      assert.equal(await readFile(statePath(root, 'results', 'slow.log'), 'utf8'), takersResult, "the taker's result stands");
      assert.equal(await readFile(statePath(root, 'results', 'slow.log.summary.json'), 'utf8'), takersSummary, "the taker's summary stands");
      assert.equal(takersResult, content, 'the slow pipeline passes every line on');
      assert.deepEqual(await listState(root, 'processed'), ['slow.log']);
      assert.deepEqual((await listState(root, 'results')).filter(isTempName), []);
      await stopInstance(taker, root);
    } finally {
      if (frozen.running()) process.kill(-frozen.pid, 'SIGCONT');
    }
    await stopInstance(frozen, root);
    assert.deepEqual(await listState(root, 'underprocess'), []);
  });

  it('"another machine": an instance whose process cannot be checked is taken over only once its lease expired', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 5);
    const leaseSec = 5;
    const remote = cli(['watch', root, '--json', '--lease-sec', String(leaseSec), '--pipeline', pipelineFile, '--concurrency', '1'], {
      cwd: base,
      detached: true,
      env: { ...process.env, FILEFLOW_HOST_ID: 'another-machine' },
    });
    await waitFor('the remote instance to start', () => /watching/.test(remote.stderr()), { root, context: () => remote.stderr() });
    await dropAtomically(area, 'far.log', generateLog('far', 2000, prng(5))); // ~10 s
    await waitFor('far.log to be claimed', () => eventsOf(remote).some((e) => e.event === 'claimed' && e.name === 'far.log'), { root });
    const local = cli(['watch', root, '--json', '--lease-sec', String(leaseSec), '--pipeline', pipelineFile, '--concurrency', '1'], { cwd: base, detached: true });
    await waitFor('the local instance to start', () => /watching/.test(local.stderr()), { root, context: () => local.stderr() });
    process.kill(remote.pid, 'SIGKILL');
    const killedAt = Date.now();
    await remote.exited;
    // Its pid cannot be checked from "this machine": well within the lease, it is left alone.
    await sleep(1500);
    assert.ok(Date.now() - killedAt < leaseSec * 1000, 'the check ran before the lease could expire');
    assert.ok(!eventsOf(local).some((e) => e.event === 'takenOver'), 'not taken over before the lease expired');
    assert.ok(await isInUnderprocess(root, 'far.log'));
    await waitFor('the local instance to take far.log over', () => eventsOf(local).some((e) => e.event === 'takenOver' && e.names?.includes('far.log')), {
      root,
      timeoutMs: 60_000,
      context: () => local.stderr(),
    });
    assert.ok(Date.now() - killedAt >= (leaseSec - 1) * 1000, 'taken over only after the lease had (about) expired');
    await waitFor('far.log to be processed', () => pathExists(statePath(root, 'processed', 'far.log')), { root, timeoutMs: 90_000 });
    await stopInstance(local, root);
    assert.equal((await readSummary(root, 'far.log')).status, 'processed');
  });

  it('`fileflow status` lists the instances, their files in flight, the counts and why files failed', async () => {
    const area = await makeArea(tempDir);
    const { root, base } = area;
    const pipelineFile = await writeSlowPipeline(path.join(base, 'pipeline'), 5);
    await dropAtomically(area, 'bad.log', 'text\u0000binary\n');
    const one = startInstance(root, base, ['--pipeline', pipelineFile, '--concurrency', '1']);
    await waitFor('bad.log to fail', () => pathExists(statePath(root, 'failed', 'bad.log')), { root, context: () => one.stderr() });
    await dropAtomically(area, 'slow.log', generateLog('s', 2000, prng(2)));
    await waitFor('slow.log to be claimed', () => isInUnderprocess(root, 'slow.log'), { root });
    const two = startInstance(root, base, ['--concurrency', '1']);
    await waitFor('the second instance to start', () => /watching/.test(two.stderr()), { root, context: () => two.stderr() });
    await sleep(500); // one renewal of each lease
    const status = cli(['status', root, '--json'], { cwd: base });
    assert.equal((await waitForExit(status, 30_000, root)).code, 0, status.stderr());
    const report = JSON.parse(status.stdout()) as {
      instances: { pid: number; host: string; state: string; inFlight: string[]; heartbeatAt: number; startedAt: string }[];
      counts: Record<string, number>;
      failed: { name: string; code?: string; message: string }[];
    };
    const pids = report.instances.map((i) => i.pid).sort();
    assert.deepEqual(pids, [one.pid, two.pid].sort());
    assert.ok(report.instances.every((i) => i.state === 'alive'));
    assert.deepEqual(report.instances.find((i) => i.pid === one.pid)?.inFlight, ['slow.log']);
    assert.equal(report.counts.inProgress, 1);
    assert.equal(report.counts.failed, 1);
    assert.deepEqual(report.failed.map((f) => [f.name, f.code]), [['bad.log', 'EBINARY']]);
    const text = cli(['status', root], { cwd: base });
    assert.equal((await waitForExit(text, 30_000, root)).code, 0);
    assert.match(text.stdout(), new RegExp(`instances \\(2\\):[\\s\\S]*:${one.pid} \\(cli[^\\n]*1 file\\(s\\) in flight: slow\\.log`));
    assert.match(text.stdout(), /bad\.log: EBINARY/);
    await stopInstance(two, root);
    await stopInstance(one, root, 1); // bad.log failed
  });
});
