// The paths a user gives `fileflow` (docs/cli.md): `run` never writes over one of its inputs,
// however the input is named; every path mistake is one line on stderr and exit 2, with
// nothing written; `watch ROOT` resolves ROOT as the extension does and creates it only when
// asked.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, link, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { useTempDirs } from './support/harness';
import { chownTree, CLI, expectCode, expectUsageError, fileflow, isRoot, NOBODY, type CliResult } from './helpers/cliProcess';

const LOG = '2026-11-30 10:00:00 [INFO] Api: started\n2026-11-30 10:00:01 [ERROR] Db: down\n';
const OTHER = 'an earlier result that is now an input\n';

describe('fileflow CLI: paths', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs('fileflow-cli-paths-');

  before(function () {
    assert.ok(existsSync(CLI), `${CLI} is missing: run "npm run build" first`);
  });

  async function workspace(files: Record<string, string> = {}): Promise<string> {
    const dir = await tempDir();
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    return dir;
  }

  /** Every file below `dir` with its content (symbolic links as "-> target"). */
  async function snapshot(dir: string): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    const walk = async (at: string): Promise<void> => {
      for (const entry of await readdir(at, { withFileTypes: true })) {
        const full = path.join(at, entry.name);
        const name = path.relative(dir, full);
        if (entry.isSymbolicLink()) files[name] = `-> ${await readlink(full)}`;
        else if (entry.isDirectory()) await walk(full);
        else files[name] = await readFile(full, 'utf8');
      }
    };
    await walk(dir);
    return files;
  }

  /** Runs `run ARGS` in dir, expects a refusal that names `input`, and that nothing changed. */
  async function expectRefusal(dir: string, args: string[], input: string, cwd = dir): Promise<CliResult> {
    const before = await snapshot(dir);
    const result = fileflow(cwd, ['run', ...args]);
    expectUsageError(result, new RegExp(`run would write over its input ${input.replace(/[.()]/g, '\\$&')}: .*nothing was written`));
    assert.deepEqual(await snapshot(dir), before, 'nothing may be written, moved or replaced');
    return result;
  }

  describe('run never writes over one of its inputs', () => {
    it('`run a.log --out .`: the result would be the input itself', async () => {
      const dir = await workspace({ 'a.log': LOG });
      const result = await expectRefusal(dir, ['a.log', '--out', '.'], 'a.log');
      assert.match(result.stderr, /its result goes to a\.log, which is the same file; nothing was written \(choose another --out folder\)/);
    });

    it('`run results/b.log`: an earlier result given as input, into the default results/', async () => {
      const dir = await workspace({ 'results/b.log': OTHER });
      await expectRefusal(dir, ['results/b.log'], 'results/b.log');
    });

    it('`..` in the paths: `run ../a.log --out ..` and `--out sub/x/..`', async () => {
      const dir = await workspace({ 'a.log': LOG, 'sub/x/keep': '' });
      await expectRefusal(dir, ['../a.log', '--out', '..'], '../a.log', path.join(dir, 'sub'));
      await expectRefusal(dir, ['a.log', '--out', 'sub/x/../..'], 'a.log');
      await expectRefusal(dir, ['./sub/../a.log', '--out', 'sub/x/../../'], './sub/../a.log');
    });

    it('an input that is a symbolic link to where its result goes', async () => {
      const dir = await workspace({ 'results/link.log': OTHER });
      await symlink(path.join('results', 'link.log'), path.join(dir, 'link.log'));
      await expectRefusal(dir, ['link.log'], 'link.log');
    });

    it('a symbolic link in the result\'s place that points to the input', async () => {
      const dir = await workspace({ 'a.log': LOG });
      await mkdir(path.join(dir, 'results'));
      await symlink(path.join('..', 'a.log'), path.join(dir, 'results', 'a.log'));
      await expectRefusal(dir, ['a.log'], 'a.log');
    });

    it('an --out folder that is a symbolic link to the input\'s folder', async () => {
      const dir = await workspace({ 'logs/a.log': LOG });
      await symlink('logs', path.join(dir, 'out'));
      await expectRefusal(dir, ['logs/a.log', '--out', 'out'], 'logs/a.log');
    });

    it('a hard link to the input in the result\'s place', async () => {
      const dir = await workspace({ 'a.log': LOG });
      await mkdir(path.join(dir, 'results'));
      await link(path.join(dir, 'a.log'), path.join(dir, 'results', 'a.log'));
      await expectRefusal(dir, ['a.log'], 'a.log');
    });

    it('two inputs where one is the other\'s result', async () => {
      const dir = await workspace({ 'a.log': LOG, 'results/a.log': OTHER });
      const result = await expectRefusal(dir, ['a.log', 'results/a.log'], 'results/a.log');
      assert.match(result.stderr, /the result of a\.log goes to results\/a\.log/);
      // In either order.
      await expectRefusal(dir, ['results/a.log', 'a.log'], 'results/a.log');
    });

    it('two inputs where one is the other\'s summary', async () => {
      const dir = await workspace({ 'a.log': LOG, 'results/a.log.summary.json': '{"an":"old summary"}\n' });
      const result = await expectRefusal(dir, ['a.log', 'results/a.log.summary.json'], 'results/a.log.summary.json');
      assert.match(result.stderr, /the summary of a\.log goes to results\/a\.log\.summary\.json/);
    });

    it('an input that is the result of another input under its unique "name (2)"', async () => {
      const dir = await workspace({ 'a/app.log': LOG, 'b/app.log': LOG, 'results/app (2).log': OTHER });
      const result = await expectRefusal(dir, ['a/app.log', 'b/app.log', 'results/app (2).log'], 'results/app (2).log');
      assert.match(result.stderr, /the result of b\/app\.log goes to results\/app \(2\)\.log/);
    });

    it('a result whose place is taken by a folder is refused before anything is written', async () => {
      const dir = await workspace({ 'ok.log': LOG, 'a.log': LOG, 'results/a.log/inside': 'x' });
      const before = await snapshot(dir);
      expectUsageError(fileflow(dir, ['run', 'ok.log', 'a.log']), /the result of a\.log goes to results\/a\.log, which is a folder; nothing was written/);
      assert.deepEqual(await snapshot(dir), before);
    });

    it('still replaces an earlier result that is not an input, and runs the same input twice side by side', async () => {
      const dir = await workspace({ 'a.log': LOG, 'results/a.log': 'old\n' });
      expectCode(fileflow(dir, ['run', 'a.log', 'a.log']), 0);
      assert.equal(await readFile(path.join(dir, 'results', 'a.log'), 'utf8'), 'a.log:2: 2026-11-30 10:00:01 [ERROR] Db: down\n');
      assert.equal(await readFile(path.join(dir, 'results', 'a (2).log'), 'utf8'), 'a (2).log:2: 2026-11-30 10:00:01 [ERROR] Db: down\n');
    });
  });

  describe('path mistakes are one line on stderr and exit 2', () => {
    it('`watch a.log`: a file given as ROOT', async () => {
      const dir = await workspace({ 'a.log': LOG });
      expectUsageError(fileflow(dir, ['watch', 'a.log', '--once']), /^fileflow: watch a\.log: a\.log is a file, not a folder$/);
      assert.deepEqual(await snapshot(dir), { 'a.log': LOG });
    });

    it('`watch a.log/unprocessed` and `watch a.log/q --create`', async () => {
      const dir = await workspace({ 'a.log': LOG });
      expectUsageError(fileflow(dir, ['watch', 'a.log/unprocessed', '--once']), /a\.log is a file, not a folder/);
      expectUsageError(fileflow(dir, ['watch', 'a.log/q', '--once', '--create']), /a\.log is a file, so no folder can be made below it/);
    });

    it('`run x --out existing-file`, and a folder below a file', async () => {
      const dir = await workspace({ 'a.log': LOG, 'f': 'not a folder\n' });
      expectUsageError(fileflow(dir, ['run', 'a.log', '--out', 'f']), /^fileflow: --out f: f is a file, not a folder$/);
      expectUsageError(fileflow(dir, ['run', 'a.log', '--out', 'f/sub']), /^fileflow: --out f\/sub: f is a file, so no folder can be made below it$/);
      assert.deepEqual(await snapshot(dir), { 'a.log': LOG, f: 'not a folder\n' });
    });

    it('`--out /dev/stdout` and `--out /dev/null`', async () => {
      const dir = await workspace({ 'a.log': LOG });
      expectUsageError(fileflow(dir, ['run', 'a.log', '--out', '/dev/stdout']), /^fileflow: --out \/dev\/stdout: \/dev\/stdout is a (pipe|socket|file|device), not a folder$/);
      expectUsageError(fileflow(dir, ['run', 'a.log', '--out', '/dev/null']), /^fileflow: --out \/dev\/null: \/dev\/null is a device, not a folder$/);
    });

    it('a folder that cannot be made (under /proc, where Node\'s own mkdir -p never returns)', async () => {
      const dir = await workspace({ 'a.log': LOG });
      expectUsageError(fileflow(dir, ['run', 'a.log', '--out', '/proc/fileflow-test/out']), /^fileflow: --out \/proc\/fileflow-test\/out: cannot create the folder \/proc\/fileflow-test: /);
      expectUsageError(fileflow(dir, ['samples', '/proc/fileflow-test']), /^fileflow: samples \/proc\/fileflow-test: cannot create the folder/);
    });

    it('`samples FILE`', async () => {
      const dir = await workspace({ 'a.log': LOG });
      expectUsageError(fileflow(dir, ['samples', 'a.log']), /^fileflow: samples a\.log: a\.log is a file, not a folder$/);
      assert.deepEqual(await snapshot(dir), { 'a.log': LOG });
    });

    it('a queue root whose results/ (or any state folder) is a file', async () => {
      const dir = await workspace({ 'q/unprocessed/a.log': LOG, 'q/results': 'mine\n' });
      const before = await snapshot(dir);
      expectUsageError(fileflow(dir, ['watch', 'q', '--once']), /^fileflow: watch q: q\/results is a file, but a queue root's results\/ must be a folder$/);
      assert.deepEqual(await snapshot(dir), before);
    });

    it('a FIFO where a folder must be', async () => {
      const dir = await workspace({ 'a.log': LOG });
      await mkdir(path.join(dir, 'q'));
      assert.equal(spawnSync('mkfifo', [path.join(dir, 'q', 'processed')]).status, 0);
      expectUsageError(fileflow(dir, ['watch', 'q', '--once']), /q\/processed is a pipe, but a queue root's processed\/ must be a folder/);
      assert.equal((await lstat(path.join(dir, 'q', 'processed'))).isFIFO(), true);
    });
  });

  describe('unreadable and unwritable paths (run as an unprivileged user)', () => {
    /**
     * Runs the CLI as someone the permission bits apply to: this user, or "nobody" when the
     * tests run as root (who may read anything). `dir` is handed to that user first.
     */
    async function asUser(dir: string, args: string[]): Promise<CliResult> {
      if (!isRoot) return fileflow(dir, args);
      await chownTree(dir, NOBODY);
      return fileflow(dir, args, { uid: NOBODY, gid: NOBODY });
    }

    /** Skips the test when the unprivileged user cannot even start node here. */
    function skipUnlessUsable(this: Mocha.Context, result: CliResult): void {
      if (isRoot && result.code !== 2 && result.stdout === '' && /EACCES|cannot find module/i.test(result.stderr)) this.skip();
    }

    it('an input that cannot be read: nothing is written', async function () {
      const dir = await workspace({ 'ok.log': LOG, 'secret.log': LOG });
      await chmod(path.join(dir, 'secret.log'), 0o000);
      const result = await asUser(dir, ['run', 'ok.log', 'secret.log']);
      skipUnlessUsable.call(this, result);
      expectUsageError(result, /^fileflow: run secret\.log: cannot read secret\.log: permission denied \(EACCES\)$/);
      assert.equal(existsSync(path.join(dir, 'results')), false);
    });

    it('an --out folder that cannot be made', async function () {
      const dir = await workspace({ 'a.log': LOG });
      await mkdir(path.join(dir, 'locked'));
      await chmod(path.join(dir, 'locked'), 0o555);
      const result = await asUser(dir, ['run', 'a.log', '--out', 'locked/out']);
      skipUnlessUsable.call(this, result);
      expectUsageError(result, /^fileflow: --out locked\/out: cannot create the folder locked\/out: permission denied \(EACCES\)$/);
    });

    it('an existing --out folder that cannot be written: nothing is processed', async function () {
      const dir = await workspace({ 'a.log': LOG });
      await mkdir(path.join(dir, 'out'));
      await chmod(path.join(dir, 'out'), 0o555);
      const result = await asUser(dir, ['run', 'a.log', '--out', 'out']);
      skipUnlessUsable.call(this, result);
      expectUsageError(result, /^fileflow: --out out: out is not readable and writable by this user, so no result can be written there$/);
      assert.deepEqual(await readdir(path.join(dir, 'out')), []);
    });

    it('a queue root that cannot be read', async function () {
      const dir = await workspace({ 'q/unprocessed/a.log': LOG });
      await chmod(path.join(dir, 'q'), 0o000);
      try {
        const result = await asUser(dir, ['watch', 'q', '--once']);
        skipUnlessUsable.call(this, result);
        expectUsageError(result, /^fileflow: watch q: q is not readable and writable by this user, so files cannot be moved through it$/);
      } finally {
        await chmod(path.join(dir, 'q'), 0o755);
      }
      assert.deepEqual(await readdir(path.join(dir, 'q', 'unprocessed')), ['a.log']);
    });

    it('an inbox that cannot be read, and a state folder that cannot be written', async function () {
      const dir = await workspace({ 'q/unprocessed/a.log': LOG, 'q/processed/old.log': LOG });
      await chmod(path.join(dir, 'q', 'unprocessed'), 0o000);
      try {
        const result = await asUser(dir, ['watch', 'q', '--once']);
        skipUnlessUsable.call(this, result);
        expectUsageError(result, /^fileflow: watch q: q\/unprocessed is not readable and writable by this user, so files cannot be moved through it$/);
      } finally {
        await chmod(path.join(dir, 'q', 'unprocessed'), 0o755);
      }
      await chmod(path.join(dir, 'q', 'processed'), 0o555);
      const result = await asUser(dir, ['watch', 'q', '--once']);
      expectUsageError(result, /^fileflow: watch q: q\/processed is not readable and writable by this user/);
      assert.deepEqual(await readdir(path.join(dir, 'q', 'unprocessed')), ['a.log'], 'nothing was taken');
    });
  });

  describe('a disk that is full during run', () => {
    it('each file is reported in one line with the reason, the run goes on and exits 1 (tmpfs; needs root)', async function () {
      if (!isRoot) this.skip(); // mounting a small tmpfs needs root
      const dir = await workspace({ 'a.log': LOG, 'b.log': LOG });
      const disk = path.join(dir, 'disk');
      await mkdir(disk);
      if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status !== 0) this.skip(); // no mount here
      try {
        // Fill it to the last byte.
        const block = Buffer.alloc(4096, 0x78);
        const { open } = await import('node:fs/promises');
        const filler = await open(path.join(disk, 'filler'), 'w');
        try {
          for (;;) await filler.write(block);
        } catch (error) {
          assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
        } finally {
          await filler.close();
        }
        const result = fileflow(dir, ['run', 'a.log', 'b.log', '--out', 'disk']);
        expectCode(result, 1);
        assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at |unexpected error/, 'no stack trace');
        assert.match(result.stdout, /^✗ a\.log: cannot write disk\/a\.log\.summary\.json: no space left on the device \(ENOSPC\)$/m);
        assert.match(result.stdout, /^✗ b\.log: cannot write disk\/b\.log\.summary\.json: no space left on the device \(ENOSPC\)$/m);
        assert.match(result.stdout, /^files: +0 processed, 2 failed/m);
        assert.deepEqual(await readdir(disk), ['filler'], 'no temporary file is left behind');
        assert.equal(await readFile(path.join(dir, 'a.log'), 'utf8'), LOG);
      } finally {
        spawnSync('umount', [disk]);
      }
    });
  });

  describe('watch ROOT', () => {
    it('a ROOT named unprocessed means its parent (as in the extension), and start says which root', async () => {
      const dir = await workspace({ 'q/unprocessed/a.log': LOG });
      const result = expectCode(fileflow(dir, ['watch', 'q/unprocessed', '--once', '--stability-ms', '0']), 0);
      assert.match(result.stderr, new RegExp(`^fileflow: queue root ${escape(path.join(dir, 'q'))} \\(q/unprocessed is its inbox\\)$`, 'm'));
      assert.deepEqual(await readdir(path.join(dir, 'q', 'processed')), ['a.log']);
      assert.deepEqual(await readdir(path.join(dir, 'q', 'unprocessed')), [], 'no unprocessed/unprocessed/');
      assert.match(result.stdout, /results: {4}q\/results/);
    });

    it('a ROOT that does not exist is an error that says to pass --create; nothing is made', async () => {
      const dir = await workspace();
      expectUsageError(fileflow(dir, ['watch', 'typo', '--once']), /^fileflow: watch typo: typo does not exist; pass --create to make a new queue root there$/);
      expectUsageError(fileflow(dir, ['watch', 'typo/unprocessed', '--once']), /typo does not exist; pass --create/);
      assert.deepEqual(await readdir(dir), []);
    });

    it('--create makes it (and its parents), with the queue layout', async () => {
      const dir = await workspace();
      const result = expectCode(fileflow(dir, ['watch', 'new/q', '--once', '--create']), 0);
      assert.match(result.stderr, /^fileflow: queue root .*new\/q \(created\)$/m);
      assert.deepEqual((await readdir(path.join(dir, 'new', 'q'))).sort(), ['.fileflow', 'failed', 'processed', 'results', 'underprocess', 'unprocessed']);
      expectCode(fileflow(dir, ['watch', 'other/unprocessed', '--once', '--create']), 0);
      assert.deepEqual(await readdir(path.join(dir, 'other', 'unprocessed')), [], 'the root is other/, not other/unprocessed/');
    });

    it('the seed alias `--watch` with no ROOT makes watch_dir (no typo is possible); `--watch typo` does not', async () => {
      const dir = await workspace();
      expectCode(fileflow(dir, ['--watch', '--once']), 0);
      assert.ok(existsSync(path.join(dir, 'watch_dir', 'unprocessed')));
      expectUsageError(fileflow(dir, ['--watch', 'typo', '--once']), /typo does not exist; pass --create/);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
