// Routes (docs/pipelines.md "Routes"): a `match` glob without `/` fits the last part of a name,
// one with `/` the whole name, as in .gitignore; and `fileflow run` and `fileflow watch` give
// every file the same pipeline.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { compilePipelineObject, selectPipeline } from '../../src/core/config/pipelineConfig';
import type { FileSummary } from '../../src/core/summary';
import { configIssues, REPO_ROOT, useTempDirs } from './support/harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** The pipeline each name gets from one route `{ match: glob }` before a catch-all. */
async function fits(glob: string, names: string[]): Promise<boolean[]> {
  const trim = { nodes: { start: { use: 'trim' } } };
  const config = await compilePipelineObject(
    { routes: [{ match: glob, pipeline: 'hit' }, { pipeline: 'miss' }], pipelines: { hit: trim, miss: trim } },
    'p.json',
  );
  return names.map((name) => selectPipeline(config, name, undefined)?.name === 'hit');
}

describe('routes', () => {
  const tempDir = useTempDirs('fileflow-routes-');

  describe('match globs, as in .gitignore', () => {
    it('a glob without "/" is matched against the last part of the name', async () => {
      assert.deepEqual(await fits('*.csv', ['x.csv', '2025/x.csv', '2025/q3/x.csv', 'x.csv.bak', 'csv/x.log']), [true, true, true, false, false]);
      assert.deepEqual(await fits('access-*', ['access-1.log', 'web/access-2.log', 'access/x.log']), [true, true, false]);
      assert.deepEqual(await fits('*.{csv,tsv}', ['a/b.tsv', 'a/b.csv', 'a/b.txt']), [true, true, false]);
    });

    it('a glob with "/" is matched against the whole name', async () => {
      assert.deepEqual(await fits('2025/*.csv', ['2025/x.csv', 'x.csv', 'old/2025/x.csv', '2025/q3/x.csv']), [true, false, false, false]);
      assert.deepEqual(await fits('**/*.csv', ['x.csv', 'a/x.csv', 'a/b/x.csv', 'a/x.log']), [true, true, true, false]);
      assert.deepEqual(await fits('logs/**', ['logs/a', 'logs/a/b.log', 'a/logs/b.log']), [true, true, false]);
    });

    it('a leading "/" anchors a glob to the whole name', async () => {
      assert.deepEqual(await fits('/x.csv', ['x.csv', 'a/x.csv']), [true, false]);
    });

    it('names starting with "." are matched like any other', async () => {
      assert.deepEqual(await fits('*.csv', ['a/.hidden.csv']), [true]);
    });

    it('an invalid glob is a configuration error at its route', async () => {
      const issues = await configIssues(compilePipelineObject({ routes: [{ match: '/', pipeline: 'p' }], pipelines: { p: { nodes: { start: { use: 'trim' } } } } }, 'p.json'));
      assert.deepEqual(issues.map((i) => i.path), ['/routes/0/match']);
    });
  });

  describe('run and watch choose alike', function () {
    this.timeout(60_000);

    it('every file of a root with subfolders gets the same pipeline and result from `watch --once` as from `run`', async () => {
      const dir = await tempDir();
      const files: Record<string, string> = {
        'top.csv': 'a,b\n',
        '2025/sales.csv': 'c,d\n',
        '2025/q3/deep.csv': 'e,f\n',
        'exports/data.json': '{"x":1}\n',
        'logs/app-1.log': 'started\n',
        'logs/2025/app-2.log': 'stopped\n',
        'misc/notes.txt': '{"looks":"like json"}\n',
        'misc/plain.txt': 'plain\n',
      };
      const pipeline = {
        routes: [
          { match: '*.csv', pipeline: 'csv' },
          { match: '*.json', pipeline: 'json' },
          { match: '**/app-*.log', pipeline: 'logs' },
          { firstLine: '^\\{', pipeline: 'json' },
          { pipeline: 'other' },
        ],
        pipelines: {
          csv: { nodes: { start: { use: 'template', with: { format: 'csv:{line}' } } } },
          json: { nodes: { start: { use: 'template', with: { format: 'json:{line}' } } } },
          logs: { nodes: { start: { use: 'template', with: { format: 'logs:{line}' } } } },
          other: { nodes: { start: { use: 'template', with: { format: 'other:{line}' } } } },
        },
      };
      await writeFile(path.join(dir, 'p.json'), JSON.stringify(pipeline));
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(dir, 'root', 'unprocessed', name);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
        const copy = path.join(dir, 'loose', name);
        await mkdir(path.dirname(copy), { recursive: true });
        await writeFile(copy, content);
      }
      const cli = (...args: string[]): void => {
        const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 50_000 });
        assert.equal(result.status, 0, `fileflow ${args.join(' ')}: ${result.stdout}\n${result.stderr}`);
      };
      cli('run', ...Object.keys(files).map((name) => path.join('loose', name)), '--pipeline', 'p.json', '--out', 'ran');
      cli('watch', 'root', '--once', '--pipeline', 'p.json', '--stability-ms', '0');

      const expected: Record<string, string> = {
        'top.csv': 'csv',
        '2025/sales.csv': 'csv',
        '2025/q3/deep.csv': 'csv',
        'exports/data.json': 'json',
        'logs/app-1.log': 'logs',
        'logs/2025/app-2.log': 'logs',
        'misc/notes.txt': 'json',
        'misc/plain.txt': 'other',
      };
      for (const name of Object.keys(files)) {
        const ran = JSON.parse(await readFile(path.join(dir, 'ran', `${path.basename(name)}.summary.json`), 'utf8')) as FileSummary;
        const watched = JSON.parse(await readFile(path.join(dir, 'root', 'results', `${name}.summary.json`), 'utf8')) as FileSummary;
        assert.equal(watched.pipeline, ran.pipeline, `${name}: watch chose "${watched.pipeline}", run "${ran.pipeline}"`);
        assert.equal(watched.pipeline, expected[name], name);
        assert.equal(
          await readFile(path.join(dir, 'root', 'results', name), 'utf8'),
          await readFile(path.join(dir, 'ran', path.basename(name)), 'utf8'),
          `${name}: the same result`,
        );
      }
    });
  });
});
