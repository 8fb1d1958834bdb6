// Custom processors (docs/pipelines.md): CommonJS and ES modules exporting createProcessor(options),
// loaded relative to the pipeline file, with ctx.emit/n/file/tag, flush and summary().

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { compilePipelineObject, loadPipelineFile } from '../../src/core/config/pipelineConfig';
import { assertFailedWith, configIssues, exists, FIXTURES, REPO_ROOT, runConfig, runPipeline, useTempDirs } from './support/harness';

const fixture = (name: string): string => path.join(FIXTURES, name);

describe('custom processor modules', () => {
  const tempDir = useTempDirs('fileflow-custom-');

  describe('loading', () => {
    it('loads a CommonJS module, relative to the pipeline file (not the working folder)', async () => {
      const dir = await tempDir();
      await mkdir(path.join(dir, 'conf', 'processors'), { recursive: true });
      await copyFile(fixture('ctxEcho.cjs'), path.join(dir, 'conf', 'processors', 'echo.cjs'));
      const pipelineFile = path.join(dir, 'conf', 'fileflow.pipeline.json');
      await writeFile(pipelineFile, JSON.stringify({ version: 1, nodes: { start: { use: { module: './processors/echo.cjs' } } } }));
      assert.notEqual(process.cwd(), path.join(dir, 'conf'));

      const config = await loadPipelineFile(pipelineFile);
      assert.equal(config.usesCustomModules, true);
      const result = await runConfig(config, dir, 'hello\n');
      assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
      assert.equal(result.output, 'hello n=1 file=input.log tag=start\n');
    });

    it('loads a CommonJS module with a .js extension', async () => {
      const dir = await tempDir();
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('thrower.js') } } } }, dir, 'fine\n');
      assert.equal(result.summary.status, 'processed');
      assert.equal(result.output, 'fine\n');
    });

    it('loads an ES module (.mjs)', async () => {
      const dir = await tempDir();
      await copyFile(fixture('tagger.mjs'), path.join(dir, 'tagger.mjs'));
      const pipeline = {
        nodes: {
          start: { use: { module: './tagger.mjs' }, with: { tag: 'hash' } },
          hash: { use: 'template', with: { format: 'H:{line}' } },
        },
      };
      const result = await runPipeline(pipeline, dir, 'a\n#b\n');
      assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
      assert.deepEqual(result.lines, ['a', 'H:b', 'footer: 2 line(s), n=2, tag=start']);
    });

    it('accepts createProcessor as a property of an ES module default export', async () => {
      const dir = await tempDir();
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('defaultExport.mjs') }, with: { mark: '> ' } } } }, dir, 'x\n');
      assert.equal(result.output, '> x\n');
    });

    it('a pipeline of built-ins only does not use custom modules', async () => {
      const config = await compilePipelineObject({ nodes: { start: { use: 'trim' } } }, 'p.json');
      assert.equal(config.usesCustomModules, false);
    });
  });

  describe('the processor contract', () => {
    it('passes `with` to createProcessor', async () => {
      const dir = await tempDir();
      const options = { prefix: '* ', nested: { list: [1, 2] }, flag: true };
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('ctxEcho.cjs') }, with: options } } }, dir, 'a\n');
      assert.equal(result.output, '* a n=1 file=input.log tag=start\n');
      assert.deepEqual(result.summary.processors.start, { lines: 1, options });
    });

    it('gives createProcessor {} when there is no `with`', async () => {
      const dir = await tempDir();
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('ctxEcho.cjs') } } } }, dir, 'a\n');
      assert.deepEqual(result.summary.processors.start, { lines: 1, options: {} });
    });

    it('ctx.n is the input line number (also after a fan-out), ctx.file the name, ctx.tag the node', async () => {
      const dir = await tempDir();
      const pipeline = {
        nodes: {
          start: { use: 'split', then: 'echo' },
          echo: { use: { module: fixture('ctxEcho.cjs') } },
        },
      };
      const result = await runPipeline(pipeline, dir, 'a,b\n\nc\n', { name: 'logs/app.log' });
      assert.deepEqual(result.lines, [
        'a n=1 file=logs/app.log tag=echo',
        'b n=1 file=logs/app.log tag=echo',
        'c n=3 file=logs/app.log tag=echo',
      ]);
    });

    it('ctx.emit without a tag goes to the node\'s `then`; with a tag, to that node', async () => {
      const dir = await tempDir();
      const pipeline = {
        nodes: {
          start: { use: { module: fixture('tagger.mjs') }, with: { tag: 'special' }, then: 'plain' },
          plain: { use: 'template', with: { format: 'plain:{line}' } },
          special: { use: 'template', with: { format: 'special:{line}' } },
        },
      };
      const result = await runPipeline(pipeline, dir, 'one\n#two\nthree\n');
      assert.deepEqual(result.lines, ['plain:one', 'special:two', 'plain:three', 'plain:footer: 3 line(s), n=3, tag=start']);
      assert.deepEqual(result.summary.tags, { start: 3, plain: 3, special: 1, end: 4 });
    });

    it('ctx.emit may name "end" directly', async () => {
      const dir = await tempDir();
      const pipeline = {
        nodes: {
          start: { use: { module: fixture('tagger.mjs') }, with: { tag: 'end' }, then: 'gone' },
          gone: { use: 'drop' },
        },
      };
      const result = await runPipeline(pipeline, dir, 'x\n#kept\n');
      assert.deepEqual(result.lines, ['kept']);
    });

    it('flush runs at end of file and summary() appears under summary.processors', async () => {
      const dir = await tempDir();
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('tagger.mjs') }, with: { tag: 'end' } } } }, dir, 'a\nb\n');
      assert.deepEqual(result.lines, ['a', 'b', 'footer: 2 line(s), n=2, tag=start']);
      assert.deepEqual(result.summary.processors, { start: { seen: 2 } });
      assert.deepEqual(result.written.processors, { start: { seen: 2 } });
    });

    it('a processor without summary() has no entry under summary.processors', async () => {
      const dir = await tempDir();
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('thrower.js') } } } }, dir, 'a\n');
      assert.deepEqual(result.summary.processors, {});
    });

    it('every file gets a fresh processor instance', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject({ nodes: { start: { use: { module: fixture('tagger.mjs') }, with: { tag: 'end' } } } }, path.join(dir, 'p.json'));
      const first = await runConfig(config, dir, 'a\nb\nc\n', { name: 'one.log' });
      const second = await runConfig(config, dir, 'd\n', { name: 'two.log' });
      assert.deepEqual(first.summary.processors, { start: { seen: 3 } });
      assert.deepEqual(second.summary.processors, { start: { seen: 1 } });
      assert.deepEqual(second.lines, ['d', 'footer: 1 line(s), n=1, tag=start']);
    });
  });

  describe('createProcessor is called once at load', () => {
    it('a createProcessor that throws is a config error naming the node\'s module, and nothing is processed', async () => {
      const issues = await configIssues(
        compilePipelineObject({ pipelines: { p: { nodes: { start: { use: 'trim', then: 'x' }, x: { use: { module: fixture('throwingFactory.cjs') } } } } } }, 'p.json'),
      );
      assert.deepEqual(issues, [
        { path: '/pipelines/p/nodes/x/use/module', message: `createProcessor() of ${fixture('throwingFactory.cjs')} threw: options.apiKey is required` },
      ]);
    });

    it('the load-time instance serves the first file; every further file gets a fresh one', async () => {
      const dir = await tempDir();
      const log = path.join(dir, 'calls.log');
      const config = await compilePipelineObject({ nodes: { start: { use: { module: fixture('counted.cjs') }, with: { log } } } }, path.join(dir, 'p.json'));
      assert.equal(await readFile(log, 'utf8'), 'call\n', 'called once by loading');
      const first = await runConfig(config, dir, 'a\nb\n', { name: 'one.log' });
      const second = await runConfig(config, dir, 'c\n', { name: 'two.log' });
      assert.deepEqual(first.summary.processors.start, { call: 1, lines: 2 });
      assert.deepEqual(second.summary.processors.start, { call: 2, lines: 1 });
      assert.equal(await readFile(log, 'utf8'), 'call\ncall\n', 'no extra call: the first file used the load-time instance');
    });

    it('a createProcessor that throws only for a later file fails that file, saying so', async () => {
      const dir = await tempDir();
      const log = path.join(dir, 'calls.log');
      const config = await compilePipelineObject({ nodes: { start: { use: { module: fixture('counted.cjs') }, with: { log, failOnCall: 2 } } } }, path.join(dir, 'p.json'));
      assert.equal((await runConfig(config, dir, 'a\n', { name: 'one.log' })).summary.status, 'processed');
      const second = await runConfig(config, dir, 'b\n', { name: 'two.log' });
      assert.equal(second.summary.status, 'failed');
      assert.deepEqual(second.summary.error, { message: 'node "start" could not start: refused on call 2', code: 'EPROCESSOR', node: 'start' });
    });

    it('`fileflow validate` and `fileflow run` exit 2 for a createProcessor that throws, and run writes nothing', async function () {
      this.timeout(30_000);
      const dir = await tempDir();
      await writeFile(path.join(dir, 'p.json'), JSON.stringify({ nodes: { start: { use: { module: fixture('throwingFactory.cjs') } } } }));
      await writeFile(path.join(dir, 'a.log'), 'x\n');
      const cli = path.join(REPO_ROOT, 'dist', 'cli.js');
      for (const args of [['validate', 'p.json'], ['run', 'a.log', '--pipeline', 'p.json']]) {
        const result = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
        assert.equal(result.status, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /\/nodes\/start\/use\/module: createProcessor\(\) of .*throwingFactory\.cjs threw: options\.apiKey is required/);
      }
      assert.equal(await exists(path.join(dir, 'results')), false);
    });

    it('`fileflow watch --once` exits 2 for a createProcessor that throws, and moves nothing', async function () {
      this.timeout(30_000);
      const dir = await tempDir();
      await writeFile(path.join(dir, 'p.json'), JSON.stringify({ nodes: { start: { use: { module: fixture('throwingFactory.cjs') } } } }));
      await mkdir(path.join(dir, 'q', 'unprocessed'), { recursive: true });
      await writeFile(path.join(dir, 'q', 'unprocessed', 'a.log'), 'x\n');
      const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'watch', 'q', '--once', '--pipeline', 'p.json'], { cwd: dir, encoding: 'utf8' });
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /options\.apiKey is required/);
      assert.deepEqual(await readdir(path.join(dir, 'q', 'unprocessed')), ['a.log']);
      for (const state of ['underprocess', 'processed', 'failed']) {
        const entries = await readdir(path.join(dir, 'q', state)).catch(() => []);
        assert.deepEqual(entries, [], `${state}/ is empty`);
      }
    });
  });

  describe('processors are synchronous', () => {
    it('an async process() is refused at load, saying why', async () => {
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: fixture('asyncProcess.cjs') } } } }, 'p.json'));
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, '/nodes/start/use/module');
      assert.match(issues[0].message, /^process\(\) of the processor from .*asyncProcess\.cjs is an async function: processors are synchronous, so emit every line with ctx\.emit before process\(\) returns$/);
    });

    it('an async flush() is refused at load', async () => {
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: fixture('asyncProcess.cjs') }, with: { inFlush: true } } } }, 'p.json'));
      assert.match(issues[0]?.message ?? '', /^flush\(\) of the processor .* is an async function/);
    });

    it('a generator process() is refused at load', async () => {
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: fixture('generatorProcess.cjs') } } } }, 'p.json'));
      assert.match(issues[0]?.message ?? '', /^process\(\) of the processor .* is a generator function/);
    });

    it('an async createProcessor is refused at load', async () => {
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: fixture('asyncFactory.mjs') } } } }, 'p.json'));
      assert.deepEqual(issues, [
        { path: '/nodes/start/use/module', message: `createProcessor() of ${fixture('asyncFactory.mjs')} returned a Promise: it must return the processor itself (processors are synchronous)` },
      ]);
    });

    it('a process() that returns a Promise fails the file with EPROCESSOR, naming the node and the line', async () => {
      const dir = await tempDir();
      const pipeline = { nodes: { start: { use: 'trim', then: 'later' }, later: { use: { module: fixture('promiseReturner.cjs') } } } };
      const result = await runPipeline(pipeline, dir, 'a\nb\n');
      assertFailedWith(result, {
        message: 'node "later" returned a Promise from process() on line 1: processors must be synchronous (emit every line with ctx.emit before process() returns)',
        code: 'EPROCESSOR',
        node: 'later',
        line: 1,
      });
      assert.equal(result.summary.nodes.later.errors, 1);
    });

    it('a Promise that rejects is failed the same way, with no unhandled rejection', async () => {
      const dir = await tempDir();
      let unhandled: unknown;
      const onUnhandled = (reason: unknown): void => {
        unhandled = reason;
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const result = await runPipeline({ nodes: { start: { use: { module: fixture('promiseReturner.cjs') }, with: { reject: 'x' } } } }, dir, 'x\n');
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(result.summary.error?.code, 'EPROCESSOR');
        assert.equal(unhandled, undefined);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('a flush() that returns a Promise fails the file', async () => {
      const dir = await tempDir();
      const result = await runPipeline({ nodes: { start: { use: { module: fixture('promiseReturner.cjs') }, with: { inFlush: true } } } }, dir, 'a\n');
      assert.equal(result.summary.status, 'failed');
      assert.match(result.summary.error?.message ?? '', /^node "start" returned a Promise from flush\(\) on line 1: processors must be synchronous/);
    });
  });

  describe('failures', () => {
    it('a module that throws in process() fails the file, naming the node and the line', async () => {
      const dir = await tempDir();
      const pipeline = { nodes: { start: { use: 'trim', then: 'risky' }, risky: { use: { module: fixture('thrower.js') } } } };
      const result = await runPipeline(pipeline, dir, 'ok\n boom \nnever\n');
      assertFailedWith(result, { message: 'node "risky" failed on line 2: exploded on "boom"', code: 'EPROCESSOR', node: 'risky', line: 2 });
      assert.deepEqual(result.written.error, result.summary.error);
      assert.equal(result.summary.nodes.risky.errors, 1);
      assert.equal(result.summary.linesOut, 0);
    });

    it('a module that throws in flush() fails the file, naming the node and its last line', async () => {
      const dir = await tempDir();
      const pipeline = { nodes: { start: { use: 'filter', with: { pattern: 'x' }, then: 'risky' }, risky: { use: { module: fixture('thrower.js') }, with: { inFlush: true } } } };
      const result = await runPipeline(pipeline, dir, 'x1\nx2\ny\n');
      assertFailedWith(result, { message: 'node "risky" failed on line 2: exploded in flush', code: 'EPROCESSOR', node: 'risky', line: 2 });
    });

    it('createProcessor returning something without process() is a config error at use/module', async () => {
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: fixture('badFactory.cjs') } } } }, 'p.json'));
      assert.deepEqual(issues, [
        { path: '/nodes/start/use/module', message: `createProcessor() of ${fixture('badFactory.cjs')} did not return an object with a process(line, ctx) method` },
      ]);
    });

    it('a missing module is a config error at use/module', async () => {
      const dir = await tempDir();
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: './nope.js' } } } }, path.join(dir, 'p.json')));
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, '/nodes/start/use/module');
      assert.ok(issues[0].message.startsWith(`cannot load module ${path.join(dir, 'nope.js')}: `), issues[0].message);
    });

    it('a module that cannot be parsed is a config error at use/module', async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'broken.cjs'), 'module.exports = { createProcessor( };\n');
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: './broken.cjs' } } } }, path.join(dir, 'p.json')));
      assert.deepEqual(issues.map((i) => i.path), ['/nodes/start/use/module']);
      assert.match(issues[0].message, /^cannot load module .*broken\.cjs: /);
    });

    it('a module without createProcessor is a config error at use/module', async () => {
      const issues = await configIssues(
        compilePipelineObject({ pipelines: { p: { nodes: { start: { use: { module: fixture('noFactory.js') } } } } } }, 'p.json'),
      );
      assert.deepEqual(issues, [
        { path: '/pipelines/p/nodes/start/use/module', message: `module ${fixture('noFactory.js')} does not export a createProcessor(options) function` },
      ]);
    });

    it('a custom node\'s `then` must lead somewhere', async () => {
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: fixture('ctxEcho.cjs') }, then: 'nowhere' } } }, 'p.json'));
      assert.deepEqual(issues.map((i) => i.path), ['/nodes/start/then']);
      assert.match(issues[0].message, /no node "nowhere"/);
    });

    it('allowCustomModules: false refuses the pipeline, saying why (trust / Restricted Mode)', async () => {
      const issues = await configIssues(
        compilePipelineObject(
          { nodes: { start: { use: 'trim', then: 'x' }, x: { use: { module: fixture('ctxEcho.cjs') } } } },
          'p.json',
          { allowCustomModules: false },
        ),
      );
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, '/nodes/x/use/module');
      assert.match(issues[0].message, /trusted workspace/);
      assert.match(issues[0].message, /Restricted Mode/);
      assert.match(issues[0].message, /ctxEcho\.cjs/);
    });

    it('allowCustomModules: false still accepts built-in-only pipelines', async () => {
      const config = await compilePipelineObject({ nodes: { start: { use: 'trim' } } }, 'p.json', { allowCustomModules: false });
      assert.equal(config.pipelines.size, 1);
    });

    it('allowCustomModules: false does not load the module at all', async () => {
      // The module does not exist: with loading allowed this would be a "cannot load" error.
      const issues = await configIssues(compilePipelineObject({ nodes: { start: { use: { module: './missing.js' } } } }, 'p.json', { allowCustomModules: false }));
      assert.equal(issues.length, 1);
      assert.doesNotMatch(issues[0].message, /cannot load/);
    });
  });
});
