// The per-file time limit (fileTimeoutMs): a file whose processing never ends — a custom
// processor stuck in a loop, a regular expression that backtracks for ever — fails with the
// reason, its worker is ended and replaced, and the queue goes on with the other files. Real
// worker threads on the real filesystem; the limits are short, the waits generous.

import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../src/core/logger';
import type { FolderQueue } from '../../src/core/queue/folderQueue';
import { PoolClosedError, WorkerPool } from '../../src/core/queue/workerPool';
import {
  dropAtomically,
  isInUnderprocess,
  isTempName,
  listState,
  makeArea,
  numberedLines,
  pathExists,
  placeFile,
  readSummary,
  statePath,
  useQueues,
  useTempDirs,
  waitFor,
  waitForSummaries,
} from './helpers/queueHarness';
import { FIXTURES } from './support/harness';

const TIMEOUT_MESSAGE =
  /^processing took longer than 1 s and was stopped \(a processor may be stuck\); raise fileflow\.fileTimeoutSec \/ --file-timeout if files are just big$/;

/** A pipeline whose one node passes lines on and never returns from a line containing "HANG". */
async function writeHangPipeline(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'hang.pipeline.json');
  await writeFile(file, JSON.stringify({ nodes: { start: { use: { module: path.join(FIXTURES, 'hangOn.cjs') } } } }));
  return file;
}

/** A logger that records warnings and can act on them (the pool warns when it ends a worker). */
function recordingLogger(onWarn?: (message: string) => void): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    level: 'warn',
    warnings,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => {
      warnings.push(message);
      onWarn?.(message);
    },
    error: () => undefined,
  };
}

async function waitForState(root: string, state: 'processed' | 'failed', name: string): Promise<void> {
  await waitFor(`${name} in ${state}/`, () => pathExists(statePath(root, state, name)), { root });
}

describe('per-file time limit (fileTimeoutMs)', function () {
  this.timeout(90_000);
  const tempDir = useTempDirs();
  const startQueue = useQueues();

  for (const concurrency of [1, 2]) {
    it(`concurrency ${concurrency}: ${concurrency} stuck file(s) fail with the reason and the queue goes on with the files after them`, async () => {
      const area = await makeArea(tempDir);
      const { root } = area;
      const pipelineFile = await writeHangPipeline(path.join(area.base, 'pipeline'));
      const { queue } = await startQueue({ root, pipelineFile, concurrency, stabilityMs: 100, fileTimeoutMs: 1000 });

      await dropAtomically(area, 'before.log', 'one\ntwo\n');
      await waitForState(root, 'processed', 'before.log');

      // As many stuck files as there are workers: without a limit nothing would move again.
      const stuck = Array.from({ length: concurrency }, (_, i) => `stuck${i + 1}.log`);
      for (const name of stuck) await dropAtomically(area, name, `fine\nHANG on ${name}\nnever reached\n`);
      await waitFor('the stuck file(s) to be taken', async () => (await listState(root, 'underprocess')).length === concurrency, { root });
      await dropAtomically(area, 'after.log', 'three\nfour\n');
      await dropAtomically(area, 'sub/after2.log', 'five\n');

      await waitForSummaries(root, [...stuck, 'after.log', 'sub/after2.log']);
      for (const name of stuck) {
        await waitForState(root, 'failed', name);
        const summary = await readSummary(root, name);
        assert.equal(summary.status, 'failed');
        assert.equal(summary.error?.code, 'EPROCESSOR');
        assert.match(summary.error?.message ?? '', TIMEOUT_MESSAGE);
        assert.equal(summary.source, `unprocessed/${name}`);
        assert.equal(await pathExists(statePath(root, 'results', name)), false, `${name}: a failed file has no result`);
      }
      // The replacement workers took the later files.
      await waitForState(root, 'processed', 'after.log');
      await waitForState(root, 'processed', 'sub/after2.log');
      assert.equal(await readFile(statePath(root, 'results', 'after.log'), 'utf8'), 'three\nfour\n');
      assert.equal(await readFile(statePath(root, 'results', 'sub/after2.log'), 'utf8'), 'five\n');
      assert.equal((await readSummary(root, 'after.log')).status, 'processed');

      assert.deepEqual(await listState(root, 'underprocess'), []);
      assert.deepEqual(await listState(root, 'unprocessed'), []);
      assert.deepEqual((await listState(root, 'results')).filter(isTempName), []);
      assert.deepEqual(await listState(root, 'failed'), stuck);
      assert.equal(queue.metrics.failed, concurrency);
      assert.equal(queue.metrics.processed, 3);
    });
  }

  it('a catastrophic regular expression in a built-in filter is stopped the same way', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = path.join(area.base, 'regex.pipeline.json');
    // (a+)+$ against "aaa…a!" tries every way of splitting the a's: 2^40 of them.
    await writeFile(pipelineFile, JSON.stringify({ nodes: { start: { use: 'filter', with: { pattern: '^(a+)+$' } } } }));
    await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100, fileTimeoutMs: 1000 });
    await dropAtomically(area, 'evil.log', `aaaa\n${'a'.repeat(40)}!\n`);
    await waitForSummaries(root, ['evil.log']);
    await waitForState(root, 'failed', 'evil.log');
    const summary = await readSummary(root, 'evil.log');
    assert.equal(summary.error?.code, 'EPROCESSOR');
    assert.match(summary.error?.message ?? '', TIMEOUT_MESSAGE);

    await dropAtomically(area, 'plain.log', 'aaa\nbbb\n');
    await waitForState(root, 'processed', 'plain.log');
    assert.equal(await readFile(statePath(root, 'results', 'plain.log'), 'utf8'), 'aaa\n');
  });

  it('removes the temporary result a stopped worker had open (a file large enough to be streamed)', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = await writeHangPipeline(path.join(area.base, 'pipeline'));
    // Long enough for the poll below to see the temporary file while the worker is stuck.
    await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100, fileTimeoutMs: 3000 });
    // Over 1 MiB, so it is streamed: the temporary result is created before the first line and
    // has some output in it by the time the HANG line comes.
    const big = numberedLines('a rather long line of log text to make the file big', 25_000) + 'HANG\n';
    assert.ok(big.length > 1024 * 1024);
    await dropAtomically(area, 'big.log', big);
    await waitFor('the stuck worker\'s temporary result in results/', async () => (await listState(root, 'results')).some(isTempName), { root });

    await waitForSummaries(root, ['big.log']);
    await waitForState(root, 'failed', 'big.log');
    assert.match((await readSummary(root, 'big.log')).error?.message ?? '', /^processing took longer than 3 s and was stopped/);
    assert.deepEqual(await listState(root, 'results'), ['big.log.summary.json']);
    assert.deepEqual(await listState(root, 'underprocess'), []);
  });

  it('a stuck file found in underprocess/ at start (recovery) fails the same way', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = await writeHangPipeline(path.join(area.base, 'pipeline'));
    await placeFile(root, 'underprocess', 'left.log', 'HANG again\n');
    await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100, fileTimeoutMs: 1000 });
    await waitForSummaries(root, ['left.log']);
    await waitForState(root, 'failed', 'left.log');
    const summary = await readSummary(root, 'left.log');
    assert.equal(summary.source, 'underprocess/left.log');
    assert.match(summary.error?.message ?? '', TIMEOUT_MESSAGE);
    await dropAtomically(area, 'next.log', 'next\n');
    await waitForState(root, 'processed', 'next.log');
  });

  it('stop() just as a file runs out of time finishes that file as failed and leaves nothing behind', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = await writeHangPipeline(path.join(area.base, 'pipeline'));
    const started: { queue?: FolderQueue } = {};
    let stopping: Promise<unknown> | undefined;
    const logger = recordingLogger((message) => {
      if (message.includes('took longer than')) stopping ??= started.queue?.stop();
    });
    started.queue = (await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100, fileTimeoutMs: 1000, logger })).queue;
    await dropAtomically(area, 'stuck.log', 'HANG\n');
    await waitFor('stop() to be called by the time limit', () => stopping !== undefined, { root });
    await stopping;
    // stop() lets files in flight finish: this one finishes as failed.
    assert.ok(await pathExists(statePath(root, 'failed', 'stuck.log')), 'stuck.log should be in failed/');
    assert.match((await readSummary(root, 'stuck.log')).error?.message ?? '', TIMEOUT_MESSAGE);
    assert.deepEqual(await listState(root, 'underprocess'), []);
    assert.deepEqual((await listState(root, 'results')).filter(isTempName), []);
  });

  it('stop() while a file is stuck, before its limit, leaves it in underprocess/ for the next start', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = await writeHangPipeline(path.join(area.base, 'pipeline'));
    const { queue } = await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100, fileTimeoutMs: 60_000, shutdownTimeoutMs: 200 });
    await dropAtomically(area, 'stuck.log', 'HANG\n');
    await waitFor('stuck.log to be taken', () => isInUnderprocess(root, 'stuck.log'), { root });
    await queue.stop();
    assert.deepEqual(await listState(root, 'underprocess'), ['stuck.log']);
    assert.deepEqual(await listState(root, 'failed'), []);
  });

  it('a custom module stuck while the pipeline loads fails start() with the reason, and nothing moves', async () => {
    const area = await makeArea(tempDir);
    const dir = path.join(area.base, 'pipeline');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'stuckAtLoad.cjs'), 'for (;;) { /* never finishes loading */ }\n');
    const pipelineFile = path.join(dir, 'stuck.pipeline.json');
    await writeFile(pipelineFile, JSON.stringify({ nodes: { start: { use: { module: './stuckAtLoad.cjs' } } } }));
    await dropAtomically(area, 'waiting.log', 'a\n');
    await assert.rejects(startQueue({ root: area.root, pipelineFile, concurrency: 2, fileTimeoutMs: 1000 }), {
      message: 'the pipeline did not load within 1 s (a custom processor module may be stuck while loading)',
    });
    assert.deepEqual(await listState(area.root, 'unprocessed'), ['waiting.log']);
    assert.deepEqual(await listState(area.root, 'underprocess'), []);
  });

  it('fileTimeoutMs 0 means no limit', async () => {
    const area = await makeArea(tempDir);
    const { root } = area;
    const pipelineFile = await writeHangPipeline(path.join(area.base, 'pipeline'));
    const logger = recordingLogger();
    const { queue } = await startQueue({ root, pipelineFile, concurrency: 1, stabilityMs: 100, fileTimeoutMs: 0, shutdownTimeoutMs: 200, logger });
    await dropAtomically(area, 'stuck.log', 'HANG\n');
    await waitFor('stuck.log to be taken', () => isInUnderprocess(root, 'stuck.log'), { root });
    // Not a measurement: with a limit of 1 s this file would have failed long before.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.deepEqual(await listState(root, 'failed'), []);
    assert.deepEqual(logger.warnings.filter((w) => w.includes('took longer than')), []);
    await queue.stop();
  });

  describe('WorkerPool', () => {
    const pools: WorkerPool[] = [];
    afterEach(async () => {
      while (pools.length > 0) await (pools.pop() as WorkerPool).close();
    });

    async function startPool(logger: Logger, size = 1): Promise<WorkerPool> {
      const pipelineFile = await writeHangPipeline(await tempDir());
      const pipeline = { file: pipelineFile, text: await readFile(pipelineFile, 'utf8') };
      const pool = new WorkerPool({ size, settings: { pipeline, allowCustomModules: true, logLevel: 'off' }, logger, fileTimeoutMs: 1000 });
      pools.push(pool);
      await pool.start();
      return pool;
    }

    function textJob(dir: string, name: string, text: string) {
      return { name, source: name, input: { text }, resultPath: path.join(dir, name), summaryPath: path.join(dir, `${name}.summary.json`) };
    }

    it('rejects the stuck job with the reason, another job held by the same worker with its own, and the replacement works', async () => {
      const pool = await startPool(recordingLogger());
      const dir = await tempDir();
      const stuck = pool.process(textJob(dir, 'stuck.log', 'HANG\n'), 1024, true);
      // One worker: this job waits behind the stuck one and goes down with its thread.
      const bystander = pool.process(textJob(dir, 'bystander.log', 'ok\n'), 1024, true);
      await assert.rejects(stuck, (error: Error & { code?: string }) => error.code === 'EPROCESSOR' && TIMEOUT_MESSAGE.test(error.message));
      await assert.rejects(bystander, (error: Error & { code?: string }) => error.code === 'EPROCESSOR' && /another file on it took longer than 1 s/.test(error.message));
      const summary = await pool.process(textJob(dir, 'later.log', 'later\n'), 1024, true);
      assert.equal(summary.status, 'processed');
      assert.equal(await readFile(path.join(dir, 'later.log'), 'utf8'), 'later\n');
    });

    it('close() while a stuck worker is being ended rejects its job with PoolClosedError and resolves', async () => {
      const started: { pool?: WorkerPool } = {};
      let closing: Promise<void> | undefined;
      const pool = await startPool(
        recordingLogger((message) => {
          if (message.includes('took longer than')) closing ??= started.pool?.close();
        }),
        2,
      );
      started.pool = pool;
      const stuck = pool.process(textJob(await tempDir(), 'stuck.log', 'HANG\n'), 1024, true);
      await assert.rejects(stuck, PoolClosedError);
      assert.ok(closing, 'close() was called when the limit was reached');
      await closing;
      await assert.rejects(pool.process(textJob(await tempDir(), 'late.log', 'x\n'), 1024, true), PoolClosedError);
    });
  });
});
