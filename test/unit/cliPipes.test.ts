// Output to a closed pipe (docs/cli.md): `fileflow watch ROOT | head -1` and `fileflow run … |
// head` must not stop the queue or change the exit status. Real child processes; the pipe is a
// real one whose reader has gone before the writes (or, as a user has it, `head` in a shell).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileSummary } from '../../src/core/summary';
import { useTempDirs } from './support/harness';
import { CLI, expectCode, fileflowIntoClosedPipe } from './helpers/cliProcess';
import { useCli, waitFor, waitForExit } from './helpers/queueHarness';

const FILES = 40;
const nameOf = (i: number): string => `f${String(i).padStart(2, '0')}.log`;
const textOf = (i: number): string => `[INFO] file ${i}\n[ERROR] file ${i} failed\n`;

describe('fileflow CLI: output to a closed pipe', function () {
  this.timeout(120_000);
  const tempDir = useTempDirs('fileflow-cli-pipes-');
  const cli = useCli();

  before(function () {
    assert.ok(existsSync(CLI), `${CLI} is missing: run "npm run build" first`);
  });

  /** A queue root with FILES files in its inbox (and `bad.log`, which fails, when asked). */
  async function queue(withBad = false): Promise<{ dir: string; root: string; names: string[] }> {
    const dir = await tempDir();
    const root = path.join(dir, 'q');
    await mkdir(path.join(root, 'unprocessed'), { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < FILES; i++) {
      await writeFile(path.join(root, 'unprocessed', nameOf(i)), textOf(i));
      names.push(nameOf(i));
    }
    if (withBad) await writeFile(path.join(root, 'unprocessed', 'bad.log'), Buffer.from([0x61, 0x00, 0x0a]));
    return { dir, root, names };
  }

  async function expectDrained(root: string, processed: string[], failed: string[] = []): Promise<void> {
    assert.deepEqual(await readdir(path.join(root, 'unprocessed')), [], 'the inbox is drained');
    assert.deepEqual(await readdir(path.join(root, 'underprocess')), [], 'nothing is left in flight');
    assert.deepEqual((await readdir(path.join(root, 'processed'))).sort(), [...processed].sort());
    assert.deepEqual((await readdir(path.join(root, 'failed'))).sort(), [...failed].sort());
    for (const name of processed) {
      const i = Number(name.slice(1, 3));
      assert.equal(await readFile(path.join(root, 'results', name), 'utf8'), `${name}:2: [ERROR] file ${i} failed\n`);
    }
  }

  it('`watch --once` into a closed pipe drains the queue and exits 0', async () => {
    const { dir, root, names } = await queue();
    const result = await fileflowIntoClosedPipe(dir, ['watch', 'q', '--once', '--stability-ms', '0', '--concurrency', '2']);
    expectCode(result, 0);
    assert.doesNotMatch(result.stderr, /EPIPE|unexpected error/);
    await expectDrained(root, names);
  });

  it('…and still exits 1 when a file failed', async () => {
    const { dir, root, names } = await queue(true);
    expectCode(await fileflowIntoClosedPipe(dir, ['watch', 'q', '--once', '--stability-ms', '0']), 1);
    await expectDrained(root, names, ['bad.log']);
  });

  it('`watch --once --json` into a closed pipe drains the queue and exits 0', async () => {
    const { dir, root, names } = await queue();
    expectCode(await fileflowIntoClosedPipe(dir, ['watch', 'q', '--once', '--json', '--stability-ms', '0']), 0);
    await expectDrained(root, names);
  });

  it('with standard error on the closed pipe too (`2>&1 | head`), logging at info', async () => {
    const { dir, root, names } = await queue(true);
    const result = await fileflowIntoClosedPipe(dir, ['watch', 'q', '--once', '--stability-ms', '0', '--log-level', 'info'], { stderrToo: true });
    expectCode(result, 1);
    await expectDrained(root, names, ['bad.log']);
  });

  it('`run FILE...` into a closed pipe writes every result and exits as it would have (0, or 1 with a failed file)', async () => {
    const { dir, root, names } = await queue(true);
    const inbox = path.join(root, 'unprocessed');
    const files = names.map((name) => path.join(inbox, name));
    expectCode(await fileflowIntoClosedPipe(dir, ['run', ...files, '--out', 'out']), 0);
    expectCode(await fileflowIntoClosedPipe(dir, ['run', ...files, '--out', 'json', '--json']), 0);
    expectCode(await fileflowIntoClosedPipe(dir, ['run', ...files, path.join(inbox, 'bad.log'), '--out', 'bad']), 1);
    for (const out of ['out', 'json', 'bad']) {
      for (const [i, name] of names.entries()) {
        assert.equal(await readFile(path.join(dir, out, name), 'utf8'), `${name}:2: [ERROR] file ${i} failed\n`, `${out}/${name}`);
      }
    }
    assert.equal((JSON.parse(await readFile(path.join(dir, 'bad', 'bad.log.summary.json'), 'utf8')) as FileSummary).status, 'failed');
  });

  it('`watch ROOT` whose reader goes away after the first line keeps processing new files, and exits 0 on SIGTERM', async () => {
    const { dir, root } = await queue();
    const child = cli(['watch', 'q', '--stability-ms', '0'], { cwd: dir });
    // The first result line, then the reader goes, as `head -1` does.
    await waitFor('a first line on stdout', () => child.stdout().includes('\n'), { root });
    child.child.stdout?.destroy();
    await waitFor('the first files processed', async () => (await readdir(path.join(root, 'processed'))).length === FILES, { root });
    // Files dropped from now on are reported into a pipe nobody reads.
    const staging = path.join(dir, 'staging');
    await mkdir(staging);
    const later = ['late1.log', 'late2.log', 'late3.log'];
    for (const name of later) {
      await writeFile(path.join(staging, name), `[ERROR] ${name}\n`);
      await rename(path.join(staging, name), path.join(root, 'unprocessed', name));
    }
    await waitFor('the later files processed', () => later.every((name) => existsSync(path.join(root, 'processed', name))), { root });
    assert.ok(child.running(), `the watcher must still run:\n${child.stderr()}`);
    process.kill(child.pid, 'SIGTERM');
    const { code } = await waitForExit(child, 30_000, root);
    assert.equal(code, 0, child.stderr());
    assert.doesNotMatch(child.stderr(), /EPIPE|unexpected error/);
    for (const name of later) assert.equal(await readFile(path.join(root, 'results', name), 'utf8'), `${name}:1: [ERROR] ${name}\n`);
  });

  it('as typed in a shell: `fileflow watch ROOT --once | head -1` prints one line, drains, and fileflow exits 0', async function () {
    if (spawnSync('bash', ['-c', 'true']).status !== 0) this.skip(); // no bash here
    const { dir, root, names } = await queue();
    const command = `"${process.execPath}" "${CLI}" watch q --once --stability-ms 0 --concurrency 1 | head -1; exit "\${PIPESTATUS[0]}"`;
    const result = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.split('\n').filter((line) => line !== '').length, 1, result.stdout);
    assert.match(result.stdout, /^✓ f\d\d\.log/);
    await expectDrained(root, names);
  });
});
