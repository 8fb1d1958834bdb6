// maxFanOut (docs/pipelines.md, "Limits"): one input line, or one node's end-of-file flush,
// that makes more than maxFanOut lines fails its file with the reason, so that a processor
// that emits without end cannot exhaust memory.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { compilePipelineObject, DEFAULT_MAX_FAN_OUT } from '../../src/core/config/pipelineConfig';
import { assertFailedWith, configIssues, FIXTURES, runPipeline, useTempDirs, type RunResult } from './support/harness';

const emitter = (options: Record<string, unknown> = {}, then?: string) => ({
  use: { module: path.join(FIXTURES, 'emitter.cjs') },
  with: options,
  ...(then ? { then } : {}),
});

describe('maxFanOut', () => {
  const tempDir = useTempDirs('fileflow-fanout-');

  async function run(pipeline: unknown, text: string | Buffer): Promise<RunResult> {
    return runPipeline(pipeline, await tempDir(), text);
  }

  it('defaults to 100000', async () => {
    const config = await compilePipelineObject({ nodes: { start: { use: 'trim' } } }, 'p.json');
    assert.equal(DEFAULT_MAX_FAN_OUT, 100_000);
    assert.equal(config.pipelines.get('default')?.maxFanOut, 100_000);
  });

  it('a processor that emits without end fails its file with the reason, the node and the line', async () => {
    const result = await run({ nodes: { start: emitter() } }, 'one\ngo now\nthree\n');
    assertFailedWith(result, {
      message:
        'line 2 fanned out into more than maxFanOut (100000) lines, the last emitted by node "start" ' +
        '(a processor may be emitting without end; raise "maxFanOut" if the pipeline really makes that many)',
      code: 'EPROCESSOR',
      node: 'start',
      line: 2,
    });
  });

  it('also when the processor catches the error its emit threw and goes on', async () => {
    const result = await run({ nodes: { start: emitter({ swallow: true }) } }, 'go\n');
    assert.equal(result.summary.status, 'failed');
    assert.match(result.summary.error?.message ?? '', /^line 1 fanned out into more than maxFanOut \(100000\) lines/);
  });

  it('exactly maxFanOut lines from one input line are fine; one more fails', async () => {
    const pipeline = { maxFanOut: 3, nodes: { start: { use: 'split' } } };
    const ok = await run(pipeline, 'a,b,c\nd,e,f\n');
    assert.equal(ok.summary.status, 'processed', JSON.stringify(ok.summary.error));
    assert.deepEqual(ok.lines, ['a', 'b', 'c', 'd', 'e', 'f']);
    const failed = await run(pipeline, 'a,b,c\nd,e,f,g\n');
    assert.equal(failed.summary.status, 'failed');
    assert.equal(failed.summary.error?.line, 2);
    assert.equal(failed.summary.error?.node, 'start');
  });

  it('counts every line emitted at every hop for the input line', async () => {
    // "a,b" makes 2 lines at split and 2 more at the template: 4.
    const pipeline = { maxFanOut: 4, nodes: { start: { use: 'split', then: 'fmt' }, fmt: { use: 'template', with: { format: '[{line}]' } } } };
    assert.equal((await run(pipeline, 'a,b\n')).summary.status, 'processed');
    // Depth first: a, [a], b, [b], then c is the fifth.
    const failed = await run(pipeline, 'a,b,c\n');
    assert.equal(failed.summary.status, 'failed');
    assert.equal(failed.summary.error?.node, 'start');
  });

  it('counts afresh for every input line', async () => {
    const pipeline = { maxFanOut: 2, nodes: { start: { use: 'split' } } };
    const result = await run(pipeline, 'a,b\n'.repeat(50));
    assert.equal(result.summary.status, 'processed');
    assert.equal(result.summary.linesOut, 100);
  });

  it('counts each end-of-file flush call on its own', async () => {
    const ok = await run({ maxFanOut: 5, nodes: { start: emitter({ inFlush: true, count: 5 }) } }, 'x\ny\n');
    assert.equal(ok.summary.status, 'processed', JSON.stringify(ok.summary.error));
    assert.deepEqual(ok.lines, ['x', 'y', 'flush#1', 'flush#2', 'flush#3', 'flush#4', 'flush#5']);
    const failed = await run({ maxFanOut: 5, nodes: { start: emitter({ inFlush: true, count: 6 }) } }, 'x\n');
    assert.equal(failed.summary.status, 'failed');
    assert.match(failed.summary.error?.message ?? '', /^the end-of-file flush of node "start" fanned out into more than maxFanOut \(5\) lines, the last emitted by node "start"/);
  });

  it('an endless flush fails the file too', async () => {
    const result = await run({ nodes: { start: emitter({ inFlush: true }) } }, 'x\n');
    assert.equal(result.summary.status, 'failed');
    assert.equal(result.summary.error?.code, 'EPROCESSOR');
  });

  it('a result too large to keep in memory is written as it comes, the same whether the input is streamed or read whole', async () => {
    // About 6 MB of output from a 20-byte file: past the point where reading pauses for writing.
    const result = await run({ nodes: { start: emitter({ count: 3000, width: 1000 }) } }, Buffer.from('go 1\nplain\ngo 2\n'));
    assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
    assert.equal(result.summary.linesOut, 6001);
    assert.equal(result.lines[3000], 'plain');
    assert.equal(result.lines[6000], `go 2#3000${'x'.repeat(1000)}`);
    assert.equal(result.summary.bytesOut, Buffer.byteLength(result.output));
  });

  it('is set per pipeline, and must be a whole number of at least 1', async () => {
    const config = await compilePipelineObject(
      { routes: [{ pipeline: 'a' }], pipelines: { a: { maxFanOut: 7, nodes: { start: { use: 'trim' } } }, b: { nodes: { start: { use: 'trim' } } } } },
      'p.json',
    );
    assert.equal(config.pipelines.get('a')?.maxFanOut, 7);
    assert.equal(config.pipelines.get('b')?.maxFanOut, 100_000);
    const issues = await configIssues(compilePipelineObject({ maxFanOut: 0, nodes: { start: { use: 'trim' } } }, 'p.json'));
    assert.deepEqual(issues.map((i) => i.path), ['/maxFanOut']);
    const misplaced = await configIssues(compilePipelineObject({ maxFanOut: 5, pipelines: { a: { nodes: { start: { use: 'trim' } } } } }, 'p.json'));
    assert.deepEqual(misplaced, [{ path: '/maxFanOut', message: '"maxFanOut" belongs inside a pipeline (or use top-level "nodes")' }]);
  });
});
