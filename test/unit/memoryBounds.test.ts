// Memory per file stays bounded (docs/pipelines.md, "Limits" and "Text"): a gzip input that
// expands several hundredfold, and a small input whose lines fan out into a result over a hundred MB
// large, are processed with flat memory, by `fileflow run` (streamed) and by a queue worker
// (which reads small files whole). Each run is a child process whose peak RSS is measured.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FileSummary } from '../../src/core/summary';
import { FIXTURES, REPO_ROOT, useTempDirs } from './support/harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const MiB = 1024 * 1024;
// Far below what holding the text would take (hundreds of MB), far above what Node and the
// worker threads need for themselves.
const RSS_LIMIT_MIB = 180;

/** Runs the CLI in `dir` and returns its exit status and peak RSS (in MiB, worker threads included). */
async function runMeasured(dir: string, args: string[]): Promise<{ status: number | null; rssMiB: number; output: string }> {
  const preload = path.join(dir, 'peak-rss.cjs');
  await writeFile(
    preload,
    "process.on('exit', () => require('node:fs').writeSync(2, '\\nPEAK_RSS_KIB=' + process.resourceUsage().maxRSS + '\\n'));\n",
  );
  const result = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const match = /PEAK_RSS_KIB=(\d+)/.exec(result.stderr);
  assert.ok(match, `no RSS reported: ${result.stderr}`);
  return { status: result.status, rssMiB: Number(match[1]) / 1024, output: result.stdout + result.stderr };
}

/**
 * Writes `pipeline` to p.json and `content` to `name` in `dir` and in the inbox of the queue root
 * `dir/q`, runs `fileflow run` on the one and `fileflow watch --once` on the other, measured, and
 * checks both exit 0. Returns, per command, the result file it wrote and its peak RSS.
 */
async function runAndWatch(dir: string, pipeline: object, name: string, content: string | Buffer): Promise<(readonly ['run' | 'watch', string, number])[]> {
  await writeFile(path.join(dir, 'p.json'), JSON.stringify(pipeline));
  await writeFile(path.join(dir, name), content);
  await mkdir(path.join(dir, 'q', 'unprocessed'), { recursive: true });
  await writeFile(path.join(dir, 'q', 'unprocessed', name), content);
  const ran = await runMeasured(dir, ['run', name, '--pipeline', 'p.json']);
  assert.equal(ran.status, 0, ran.output);
  const watched = await runMeasured(dir, ['watch', 'q', '--once', '--concurrency', '1', '--stability-ms', '0', '--pipeline', 'p.json']);
  assert.equal(watched.status, 0, watched.output);
  return [
    ['run', path.join(dir, 'results', name), ran.rssMiB],
    ['watch', path.join(dir, 'q', 'results', name), watched.rssMiB],
  ];
}

describe('memory per file stays bounded', function () {
  this.timeout(240_000);
  const tempDir = useTempDirs('fileflow-memory-');

  it('a gzip input that expands 450-fold streams through `run` and a queue worker with flat memory', async () => {
    const dir = await tempDir();
    // 400 gzip members of 1 MiB of 1 KiB lines: 400 MiB of text in under 1 MB.
    const line = 'INFO ' + 'x'.repeat(1018) + '\n';
    const member = gzipSync(Buffer.from(line.repeat(MiB / line.length)), { level: 9 });
    const members = 400;
    const bomb = Buffer.concat(Array.from({ length: members }, () => member));
    const linesIn = members * (MiB / line.length);
    assert.ok(bomb.length < MiB, 'small enough for a worker to read it whole');
    const pipeline = { nodes: { start: { use: 'filter', with: { pattern: '^ERROR' } } } };
    for (const [what, result, rss] of await runAndWatch(dir, pipeline, 'bomb.log.gz', bomb)) {
      const summary = JSON.parse(await readFile(`${result}.summary.json`, 'utf8')) as FileSummary;
      assert.equal(summary.status, 'processed', `${what}: ${JSON.stringify(summary.error)}`);
      assert.equal(summary.linesIn, linesIn, what);
      assert.equal(summary.bytesIn, bomb.length, `${what}: bytesIn counts the compressed bytes`);
      assert.ok(rss < RSS_LIMIT_MIB, `${what}: peak RSS ${rss.toFixed(0)} MiB for 400 MiB of text (limit ${RSS_LIMIT_MIB} MiB)`);
    }
  });

  it('a small input whose lines fan out into a 150 MB result is written as it comes', async () => {
    const dir = await tempDir();
    const pipeline = { nodes: { start: { use: { module: path.join(FIXTURES, 'emitter.cjs') }, with: { count: 10_000, width: 1000 } } } };
    const input = Array.from({ length: 15 }, (_, i) => `go ${i}`).join('\n') + '\n';
    for (const [what, result, rss] of await runAndWatch(dir, pipeline, 'fan.log', input)) {
      const summary = JSON.parse(await readFile(`${result}.summary.json`, 'utf8')) as FileSummary;
      assert.equal(summary.status, 'processed', `${what}: ${JSON.stringify(summary.error)}`);
      assert.equal(summary.linesOut, 150_000, what);
      assert.equal((await stat(result)).size, summary.bytesOut, what);
      assert.ok(summary.bytesOut > 150_000_000, what);
      assert.ok(rss < RSS_LIMIT_MIB, `${what}: peak RSS ${rss.toFixed(0)} MiB for a ${(summary.bytesOut / 1e6).toFixed(0)} MB result (limit ${RSS_LIMIT_MIB} MiB)`);
    }
  });
});
