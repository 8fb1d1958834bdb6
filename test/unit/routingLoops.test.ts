// Loops no line can leave (docs/pipelines.md, "Limits"): a cycle of transform or custom nodes,
// joined by their `then` (or by `unmatched`), with no routing node in it, is a configuration
// error with its JSON path, so `fileflow validate` says so instead of "ok".

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { compilePipelineObject } from '../../src/core/config/pipelineConfig';
import { configIssues, FIXTURES, REPO_ROOT, useTempDirs } from './support/harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

async function issuesOf(pipeline: unknown): Promise<{ path: string; message: string }[]> {
  return configIssues(compilePipelineObject(pipeline, 'p.json'));
}

describe('routing loops no line can leave', () => {
  const tempDir = useTempDirs('fileflow-loops-');

  it('start → b → start is an error at the first node\'s then, naming the loop', async () => {
    const issues = await issuesOf({ nodes: { start: { use: 'trim', then: 'b' }, b: { use: 'uppercase', then: 'start' } } });
    assert.equal(issues.length, 1);
    assert.equal(issues[0].path, '/nodes/start/then');
    assert.match(issues[0].message, /^routing loop: "start" → "b" → "start" passes every line that reaches it round and round/);
    assert.match(issues[0].message, /no routing node in the loop/);
  });

  it('a node whose then is itself', async () => {
    const issues = await issuesOf({ nodes: { start: { use: 'replace', with: { pattern: 'a' }, then: 'start' } } });
    assert.deepEqual(issues.map((i) => i.path), ['/nodes/start/then']);
    assert.match(issues[0].message, /"start" → "start"/);
  });

  it('a loop away from start is reported once, from its first declared node, in a named pipeline', async () => {
    const issues = await issuesOf({
      pipelines: {
        p: {
          nodes: {
            start: { use: 'trim', then: 'c' },
            b: { use: 'lowercase', then: 'c' },
            c: { use: 'uppercase', then: 'd' },
            d: { use: 'trim', then: 'b' },
          },
        },
      },
    });
    assert.deepEqual(issues.map((i) => i.path), ['/pipelines/p/nodes/b/then']);
    assert.match(issues[0].message, /"b" → "c" → "d" → "b"/);
  });

  it('every separate loop is reported', async () => {
    const issues = await issuesOf({
      nodes: {
        start: { use: 'route', with: { rules: [{ pattern: 'x', tag: 'a' }], default: 'b' } },
        a: { use: 'trim', then: 'a' },
        b: { use: 'trim', then: 'c' },
        c: { use: 'trim', then: 'b' },
      },
    });
    assert.deepEqual(issues.map((i) => i.path), ['/nodes/a/then', '/nodes/b/then']);
  });

  it('a then with no node leads to unmatched, which can close a loop', async () => {
    const issues = await issuesOf({ unmatched: 'start', nodes: { start: { use: 'trim', then: 'ghost' } } });
    assert.deepEqual(issues.map((i) => i.path), ['/nodes/start/then']);
    assert.match(issues[0].message, /"start" → "start"/);
  });

  it('a custom node\'s then counts, and the message says how to loop on purpose', async () => {
    const issues = await issuesOf({ nodes: { start: { use: { module: path.join(FIXTURES, 'ctxEcho.cjs') }, then: 'b' }, b: { use: 'trim', then: 'start' } } });
    assert.deepEqual(issues.map((i) => i.path), ['/nodes/start/then']);
    assert.match(issues[0].message, /ctx\.emit/);
  });

  it('a routing node in the loop lets lines out: no error', async () => {
    await compilePipelineObject(
      { nodes: { start: { use: 'trim', then: 'back' }, back: { use: 'route', with: { rules: [{ pattern: '^STOP', tag: 'end' }], default: 'start' } } } },
      'p.json',
    );
    await compilePipelineObject(
      { nodes: { start: { use: 'tagByLevel' }, debug: { use: 'trim', then: 'start' }, info: { use: 'drop' }, warn: { use: 'drop' }, error: { use: 'drop' }, critical: { use: 'drop' }, other: { use: 'drop' } } },
      'p.json',
    );
  });

  it('chains that end, in end, a drop node or unmatched "end", are no loops', async () => {
    await compilePipelineObject({ nodes: { start: { use: 'trim', then: 'b' }, b: { use: 'trim', then: 'c' }, c: { use: 'drop' } } }, 'p.json');
    await compilePipelineObject({ unmatched: 'end', nodes: { start: { use: 'trim', then: 'ghost' } } }, 'p.json');
    await compilePipelineObject({ nodes: { start: { use: 'trim', then: 'b' }, b: { use: 'trim' } } }, 'p.json');
  });

  it('`fileflow validate` exits 2 naming the loop, and `run` processes nothing', async function () {
    this.timeout(30_000);
    assert.ok(existsSync(CLI), `${CLI} is missing: run "npm run build" first`);
    const dir = await tempDir();
    await writeFile(path.join(dir, 'p.json'), JSON.stringify({ nodes: { start: { use: 'trim', then: 'b' }, b: { use: 'trim', then: 'start' } } }));
    await writeFile(path.join(dir, 'a.log'), 'line\n');
    const validate = spawnSync(process.execPath, [CLI, 'validate', 'p.json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(validate.status, 2, validate.stdout + validate.stderr);
    assert.match(validate.stderr, /\/nodes\/start\/then: routing loop: "start" → "b" → "start"/);
    const run = spawnSync(process.execPath, [CLI, 'run', 'a.log', '--pipeline', 'p.json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.equal(existsSync(path.join(dir, 'results')), false, 'nothing was written');
  });
});
