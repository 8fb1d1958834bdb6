// The engine side of pipeline authoring (docs/authoring.md): `tests` in the pipeline file and
// their checks, processInMemory (the same run as processFile, writing nothing), line traces,
// and the sample worker's time limit.

import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTests, type PipelineTest } from '../../src/core/authoring/pipelineTests';
import { SampleRunner, traceAt } from '../../src/core/authoring/sampleRunner';
import { lineDiff } from '../../src/core/authoring/testReport';
import { runPipelineTest } from '../../src/core/authoring/testRunner';
import { compilePipelineObject, compilePipelineText } from '../../src/core/config/pipelineConfig';
import { processInMemory, processStream } from '../../src/core/processFile';
import type { FileSummary } from '../../src/core/summary';
import { configIssues, FIXTURES, runConfig, useTempDirs } from './support/harness';

const TRIAGE = {
  version: 1,
  nodes: {
    start: { use: 'tagByLevel' },
    warn: { use: 'template', with: { format: '{file}:{n}: {line}' } },
    debug: { use: 'drop' },
    info: { use: 'drop' },
    other: { use: 'drop' },
    error: { use: 'template', with: { format: 'E {line}' }, then: 'shout' },
    shout: { use: 'uppercase' },
    critical: { use: 'drop' },
  },
};

describe('pipeline authoring: engine', () => {
  const tempDir = useTempDirs('fileflow-authoring-');

  describe('tests in the pipeline file', () => {
    it('are accepted by the schema and read with their defaults', async () => {
      const dir = await tempDir();
      const raw = { ...TRIAGE, tests: [{ input: ['a'] }, { name: 'named', file: 'x/app.log', input: 'a\r\nb', expect: { error: 'binary' } }] };
      await compilePipelineObject(raw, path.join(dir, 'p.json'), { checkTests: true });
      const { tests, issues } = readTests(raw, path.join(dir, 'p.json'));
      assert.deepEqual(issues, []);
      assert.deepEqual(
        tests.map((t) => [t.name, t.file, t.path, t.expect.status]),
        [
          ['test 1', 'test.log', '/tests/0', 'processed'],
          ['named', 'x/app.log', '/tests/1', 'failed'],
        ],
      );
    });

    it('refuse unknown keys, in a test and in its expect, at their JSON paths', async () => {
      const dir = await tempDir();
      const raw = { ...TRIAGE, tests: [{ input: ['a'], inptu: 1 }, { input: ['a'], expect: { outptu: [] } }] };
      const issues = await configIssues(compilePipelineObject(raw, path.join(dir, 'p.json')));
      assert.deepEqual(
        issues.map((i) => i.path),
        ['/tests/0/inptu', '/tests/1/expect/outptu'],
      );
      assert.match(issues[1].message, /unknown property "outptu" \(did you mean "output"\?\)/);
    });

    it('with checkTests: an inputFile that does not exist, a missing input, both inputs, duplicate names', async () => {
      const dir = await tempDir();
      await mkdir(path.join(dir, 'fixtures'));
      await writeFile(path.join(dir, 'fixtures', 'ok.log'), 'a\n');
      const raw = {
        ...TRIAGE,
        tests: [
          { name: 'a', inputFile: './fixtures/ok.log' },
          { name: 'b', inputFile: './fixtures/missing.log' },
          { name: 'c' },
          { name: 'd', input: ['x'], inputFile: './fixtures/ok.log' },
          { name: 'a', input: ['x'] },
          { name: 'e', inputFile: './fixtures' },
        ],
      };
      const issues = await configIssues(compilePipelineObject(raw, path.join(dir, 'p.json'), { checkTests: true }));
      assert.deepEqual(
        issues.map((i) => i.path),
        ['/tests/2', '/tests/3/inputFile', '/tests/4/name', '/tests/1/inputFile', '/tests/5/inputFile'],
      );
      assert.match(issues[3].message, /the input file "\.\/fixtures\/missing\.log" does not exist/);
      // Processing files does not need the tests: a queue never refuses the pipeline for them.
      await compilePipelineObject(raw, path.join(dir, 'p.json'));
    });
  });

  describe('processInMemory', () => {
    it('gives the same lines and summary as processFile, and writes nothing', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(TRIAGE, path.join(dir, 'p.json'));
      const text = '\uFEFFa [WARN] w\r\nb [ERROR] e\r\nc [INFO] i\r\nd';
      const memory = await processInMemory(config, { name: 'app.log', source: 'app.log' }, { bytes: Buffer.from(text) });
      assert.deepEqual(await readdir(dir), []);
      const onDisk = await runConfig(config, dir, Buffer.from(text), { name: 'app.log' });
      assert.deepEqual(memory.lines, onDisk.lines);
      assert.deepEqual(memory.lines, ['app.log:1: a [WARN] w', 'E B [ERROR] E']);
      const strip = (s: typeof memory.summary): unknown => ({ ...s, startedAt: 0, finishedAt: 0, durationMs: 0, latencyMs: 0, nodes: Object.keys(s.nodes) });
      assert.deepEqual(strip(memory.summary), strip(onDisk.summary));
      assert.equal(memory.summary.bytesOut, onDisk.summary.bytesOut, 'bytesOut counts the \\r\\n line ends, as on disk');
    });

    it('fails as a real file would (binary input, no route), with no lines', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject({ ...TRIAGE }, path.join(dir, 'p.json'));
      const binary = await processInMemory(config, { name: 'x', source: 'x' }, { bytes: Buffer.from('a\u0000b') });
      assert.equal(binary.summary.status, 'failed');
      assert.equal(binary.summary.error?.code, 'EBINARY');
      const routed = await compilePipelineObject({ routes: [{ match: '*.csv', pipeline: 'p' }], pipelines: { p: { nodes: { start: { use: 'trim' } } } } }, path.join(dir, 'p.json'));
      const noRoute = await processInMemory(routed, { name: 'a.log', source: 'a.log' }, { bytes: Buffer.from('x\n') });
      assert.equal(noRoute.summary.error?.code, 'ENOROUTE');
      assert.deepEqual(noRoute.lines, []);
    });

    it('traces each output line: the nodes it passed through and its input line n (flushed lines too)', async () => {
      const dir = await tempDir();
      await copyFile(path.join(FIXTURES, 'tagger.mjs'), path.join(dir, 'tagger.mjs'));
      const config = await compilePipelineObject(
        {
          nodes: {
            start: { use: 'split', then: 'level' },
            level: { use: 'tagByLevel' },
            warn: { use: 'template', with: { format: 'W {line}' } },
            error: { use: 'join', with: { size: 2 }, then: 'tag' },
            tag: { use: { module: './tagger.mjs' }, with: { tag: 'info' } },
            info: { use: 'trim' },
            debug: { use: 'drop' },
            other: { use: 'drop' },
            critical: { use: 'drop' },
          },
        },
        path.join(dir, 'p.json'),
      );
      const text = 'a [WARN] x, b [ERROR] y\nc [DEBUG] z\nd [ERROR] q\ne [ERROR] r\n';
      const traced = await processInMemory(config, { name: 't.log', source: 't.log' }, { bytes: Buffer.from(text) }, { trace: true });
      const plain = await processInMemory(config, { name: 't.log', source: 't.log' }, { bytes: Buffer.from(text) });
      assert.deepEqual(traced.lines, plain.lines, 'tracing changes nothing in the output');
      assert.deepEqual(
        traced.lines.map((line, i) => [line, traced.traces?.[i].path.join('>'), traced.traces?.[i].n]),
        [
          ['W a [WARN] x', 'start>level>warn', 1],
          ['b [ERROR] y | d [ERROR] q', 'start>level>error>tag', 3],
          // Held back by join and flushed at the end: the path starts at the flushing node.
          ['e [ERROR] r', 'error>tag', 4],
          ['footer: 2 line(s), n=4, tag=tag', 'tag', 4],
        ],
      );
      assert.equal(plain.traces, undefined);
    });
  });

  describe("the input rules of a queued file (gzip, encodings, the output pause) hold in memory too", () => {
    const ROUTED = {
      routes: [{ match: '*.latin1', encoding: 'latin1', pipeline: 'p' }, { pipeline: 'p' }],
      pipelines: { p: { nodes: { start: { use: 'uppercase' } } } },
    };
    const LATIN1_GZ = gzipSync(Buffer.from('café\nnaïve\n', 'latin1'));
    const withoutTimes = (s: FileSummary): unknown => ({ ...s, startedAt: 0, finishedAt: 0, durationMs: 0, latencyMs: 0, nodes: Object.keys(s.nodes) });

    it('bytes are read as a file on disk is: gzip decompressed, the route\'s encoding, bytesIn as stored, invalidLines', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(ROUTED, path.join(dir, 'p.json'));
      const latin1 = await processInMemory(config, { name: 'x.latin1', source: 'x.latin1' }, { bytes: LATIN1_GZ });
      assert.deepEqual(latin1.lines, ['CAFÉ', 'NAÏVE']);
      assert.equal(latin1.summary.bytesIn, LATIN1_GZ.length, 'bytesIn counts the compressed bytes, as stored');
      assert.equal(latin1.summary.invalidLines, 0);
      const utf8 = await processInMemory(config, { name: 'x.log', source: 'x.log' }, { bytes: LATIN1_GZ });
      assert.deepEqual(utf8.lines, ['CAF\uFFFD', 'NA\uFFFDVE']);
      assert.equal(utf8.summary.invalidLines, 2);
      for (const [name, memory] of [['x.latin1', latin1], ['x.log', utf8]] as const) {
        const onDisk = await runConfig(config, path.join(dir, name), LATIN1_GZ, { name });
        assert.deepEqual(memory.lines, onDisk.lines, name);
        assert.deepEqual(withoutTimes(memory.summary), withoutTimes(onDisk.summary), name);
      }
    });

    it('text (an editor\'s, a test\'s input lines) is decoded already: no route encoding re-reads it', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(ROUTED, path.join(dir, 'p.json'));
      const result = await processInMemory(config, { name: 'x.latin1', source: 'x.latin1' }, { text: 'café\n' });
      assert.deepEqual(result.lines, ['CAFÉ']);
      assert.equal(result.summary.invalidLines, 0);
    });

    it('an output past the splitter\'s pause (2 MiB) gives every line, as processFile does, traced or not', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject({ nodes: { start: { use: 'split', with: { separator: ';' } } } }, path.join(dir, 'p.json'));
      const line = Array.from({ length: 20 }, (_, i) => `part-${i}-${'x'.repeat(40)}`).join(';');
      const bytes = Buffer.from(`${line}\n`.repeat(3000)); // 60,000 output lines, about 3 MB
      const memory = await processInMemory(config, { name: 'big.log', source: 'big.log' }, { bytes });
      const traced = await processInMemory(config, { name: 'big.log', source: 'big.log' }, { bytes }, { trace: true });
      const onDisk = await runConfig(config, dir, bytes, { name: 'big.log' });
      assert.equal(memory.lines.length, 60_000);
      assert.deepEqual(memory.lines, onDisk.lines);
      assert.deepEqual(traced.lines, onDisk.lines);
      assert.equal(traced.traces?.length, 60_000);
      assert.equal(memory.summary.bytesOut, onDisk.summary.bytesOut);
    });

    it('tracing keeps the check that flush() returns no Promise', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject({ nodes: { start: { use: { module: path.join(FIXTURES, 'promiseReturner.cjs') }, with: { inFlush: true } } } }, path.join(dir, 'p.json'));
      for (const trace of [false, true]) {
        const result = await processInMemory(config, { name: 'a.log', source: 'a.log' }, { text: 'a\n' }, { trace });
        assert.equal(result.summary.status, 'failed', `trace: ${trace}`);
        assert.match(result.summary.error?.message ?? '', /returned a Promise from flush\(\)/);
      }
    });

    it('processStream (standard input) decompresses gzip even when a pipe delivers it a byte at a time', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(ROUTED, path.join(dir, 'p.json'));
      // eslint-disable-next-line @typescript-eslint/require-await -- async on purpose: a pipe is an async source, the path under test
      async function* byteByByte(): AsyncGenerator<Buffer> {
        for (const byte of LATIN1_GZ) yield Buffer.from([byte]);
      }
      let out = '';
      const summary = await processStream(config, { name: 'stdin.latin1', source: '-' }, { stream: byteByByte() }, (text) => {
        out += text;
      });
      assert.equal(summary.status, 'processed', summary.error?.message);
      assert.equal(out, 'CAFÉ\nNAÏVE\n');
      assert.equal(summary.bytesIn, LATIN1_GZ.length);
    });
  });

  describe('running a test', () => {
    it('passes when every given key matches, and names each one that does not', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'p.json');
      const raw = {
        ...TRIAGE,
        tests: [
          { name: 'ok', file: 'app.log', input: ['a [WARN] disk', 'b [INFO] ok'], expect: { output: ['app.log:1: a [WARN] disk'], tags: { warn: 1, info: 1 } } },
          { name: 'bad', input: ['a [WARN] disk'], expect: { output: ['nope'], tags: { warn: 2, critical: 0 }, status: 'failed', error: 'binary' } },
        ],
      };
      const config = await compilePipelineObject(raw, file, { checkTests: true });
      const [ok, bad] = readTests(raw, file).tests;
      const passed = await runPipelineTest(config, ok);
      assert.equal(passed.passed, true, JSON.stringify(passed.failures));
      const failed = await runPipelineTest(config, bad);
      assert.equal(failed.passed, false);
      assert.deepEqual(
        failed.failures.map((f) => f.key),
        ['status', 'error', 'output', 'tags'],
      );
      assert.deepEqual(failed.failures[3], { key: 'tags', tag: 'warn', expected: 2, actual: 1 });
    });

    it('reads a gzip inputFile as the queue would: decompressed, in the encoding of the route its file name picks', async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'in.log.gz'), gzipSync(Buffer.from('café\n', 'latin1')));
      const raw = {
        routes: [{ match: '*.latin1', encoding: 'latin1', pipeline: 'p' }, { pipeline: 'p' }],
        pipelines: { p: { nodes: { start: { use: 'uppercase' } } } },
        tests: [
          { name: 'latin1', file: 'in.latin1', inputFile: 'in.log.gz', expect: { output: ['CAFÉ'] } },
          { name: 'utf8', file: 'in.log', inputFile: 'in.log.gz', expect: { output: ['CAF\uFFFD'] } },
        ],
      };
      const config = await compilePipelineObject(raw, path.join(dir, 'p.json'), { checkTests: true });
      for (const test of readTests(raw, path.join(dir, 'p.json')).tests) {
        const result = await runPipelineTest(config, test);
        assert.equal(result.passed, true, `${test.name}: ${JSON.stringify(result.failures)}`);
      }
    });

    it('reads inputFile bytes as they are (text rules apply)', async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'crlf.log'), 'x [WARN] a\r\ny [WARN] b');
      const raw = { ...TRIAGE, tests: [{ inputFile: 'crlf.log', expect: { output: ['test.log:1: x [WARN] a', 'test.log:2: y [WARN] b'] } }] };
      const config = await compilePipelineText(JSON.stringify(raw), path.join(dir, 'p.json'), { checkTests: true });
      const result = await runPipelineTest(config, readTests(raw, path.join(dir, 'p.json')).tests[0]);
      assert.equal(result.passed, true, JSON.stringify(result.failures));
    });
  });

  describe('did you mean', () => {
    it('counts two swapped letters as one typo, so "shuot" suggests "shout"', async () => {
      const dir = await tempDir();
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: 'trim', then: 'shuot' }, shout: { use: 'uppercase' } } }, path.join(dir, 'p.json')));
      assert.match(issues[0].message, /no node "shuot" \(did you mean "shout"\?\)/);
    });
  });

  describe('lineDiff', () => {
    it('marks missing and unexpected lines and folds long unchanged runs', () => {
      const expected = ['1', '2', '3', '4', '5', '6', '7', '8'];
      const actual = ['1', '2', '3', '4', '5', '6', 'seven', '8', '9'];
      assert.deepEqual(lineDiff(expected, actual), ['  … 4 unchanged lines', '  "5"', '  "6"', '- "7"', '+ "seven"', '  "8"', '+ "9"']);
    });
  });

  describe('SampleRunner (worker thread)', () => {
    /**
     * Writes a pipeline whose processor never returns from "HANG", with a test stuck on it and
     * one that passes, loads it into a SampleRunner with a 1 s limit and hands those two tests
     * to `check`; the runner is disposed of afterwards, whatever happened.
     */
    async function withStuckAndFine(check: (runner: SampleRunner, tests: PipelineTest[], file: string) => Promise<void>): Promise<void> {
      const dir = await tempDir();
      await copyFile(path.join(FIXTURES, 'hangOn.cjs'), path.join(dir, 'hangOn.cjs'));
      const file = path.join(dir, 'p.json');
      await writeFile(
        file,
        JSON.stringify({
          nodes: { start: { use: { module: './hangOn.cjs' } } },
          tests: [
            { name: 'stuck', input: ['HANG'] },
            { name: 'fine', input: ['ok'], expect: { output: ['ok'] } },
          ],
        }),
      );
      const runner = new SampleRunner({ timeoutMs: 1000 });
      try {
        const loaded = await runner.load({ file, allowCustomModules: true });
        assert.ok(loaded.ok);
        await check(runner, loaded.tests, file);
      } finally {
        await runner.dispose();
      }
    }

    it('runs tests under the time limit: a stuck processor fails its test, and the next test still runs', async function () {
      this.timeout(20_000);
      await withStuckAndFine(async (runner, [stuckTest, fineTest]) => {
        const stuck = await runner.test(stuckTest);
        assert.equal(stuck.passed, false);
        assert.match(stuck.actual.error ?? '', /took longer than 1 s and was stopped/);
        const fine = await runner.test(fineTest);
        assert.equal(fine.passed, true, JSON.stringify(fine.failures));
      });
    });

    it('a worker started again after a timeout loads the text the caller read, never the file itself', async function () {
      this.timeout(20_000);
      await withStuckAndFine(async (runner, [stuckTest, fineTest], file) => {
        await rm(file); // gone: a worker that read it would have no pipeline
        const stuck = await runner.test(stuckTest);
        assert.match(stuck.actual.error ?? '', /took longer than 1 s/);
        const fine = await runner.test(fineTest);
        assert.equal(fine.passed, true, JSON.stringify(fine.failures));
        const missing = await runner.load({ file, allowCustomModules: true });
        assert.equal(missing.ok, false);
        assert.match(!missing.ok ? missing.message : '', /cannot read the pipeline file/);
      });
    });

    it('previews a kept file sample as bytes (gzip) and an editor sample as text', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'p.json');
      const runner = new SampleRunner({ timeoutMs: 10_000 });
      try {
        const loaded = await runner.load({ file, text: JSON.stringify({ routes: [{ encoding: 'latin1', pipeline: 'p' }], pipelines: { p: { nodes: { start: { use: 'uppercase' } } } } }), allowCustomModules: false });
        assert.ok(loaded.ok);
        await runner.keep('file', { bytes: gzipSync(Buffer.from('café\n', 'latin1')) });
        assert.equal((await runner.run('s.log', { key: 'file' })).text, 'CAFÉ\n');
        await runner.keep('editor', { text: 'café\n' });
        assert.equal((await runner.run('s.log', { key: 'editor' })).text, 'CAFÉ\n');
      } finally {
        await runner.dispose();
      }
    });

    it('compiles the editor text (not the file on disk) and reports its issues; previews a kept sample with traces', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'p.json');
      await writeFile(file, '{ "nodes": { "start": { "use": "trim" } } }');
      const runner = new SampleRunner({ timeoutMs: 10_000 });
      try {
        const broken = await runner.load({ file, text: '{ "nodes": { "start": { "use": "trim", "then": "nowhere" } } }', allowCustomModules: false });
        assert.equal(broken.ok, false);
        assert.deepEqual(!broken.ok && broken.issues.map((i) => i.path), ['/nodes/start/then']);
        const loaded = await runner.load({ file, text: '{ "nodes": { "start": { "use": "uppercase" } } }', allowCustomModules: false });
        assert.ok(loaded.ok);
        await runner.keep('sample', { text: 'a\nb\nc\n' });
        const run = await runner.run('s.log', { key: 'sample' }, { trace: true, maxLines: 2 });
        assert.equal(run.text, 'A\nB\n');
        assert.equal(run.lineCount, 2);
        assert.equal(run.totalLines, 3);
        assert.deepEqual([traceAt(run, 0), traceAt(run, 1), traceAt(run, 2)], [{ path: ['start'], n: 1 }, { path: ['start'], n: 2 }, undefined]);
        assert.equal(run.summary.nodes.start.in, 3);
      } finally {
        await runner.dispose();
      }
    });
  });
});
