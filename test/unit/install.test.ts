// Installing the CLI without the repository (docs/install.md): `npm pack` makes a tarball that
// `npm install --global` installs with no registry and no build, and `fileflow` then works from
// any folder. The Dockerfile's steps are run here too, one by one, with the image's paths
// mapped into a temporary folder (Docker itself cannot run on our build machines): COPY the
// tarball, RUN the install, the VOLUME, the CMD (`watch /data --http 0.0.0.0:PORT`) and the
// HEALTHCHECK against it.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { call } from './helpers/httpClient';
import { listState, pathExists, sleep, statePath, useTempDirs, waitFor } from './helpers/queueHarness';
import { REPO_ROOT } from './support/harness';

const run = promisify(execFile);
const LOG = '2026-01-01 10:00:00 [ERROR] db: down\n2026-01-01 10:00:01 [INFO] fine\n';

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.search(/\s/);
      return { keyword: line.slice(0, at).toUpperCase(), args: line.slice(at + 1).trim() };
    });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('install from the npm pack tarball, and the Dockerfile', function () {
  this.timeout(240_000);
  const tempDir = useTempDirs('fileflow-install-');

  it('packs only the runtime files, installs offline with no dependencies, and runs every Dockerfile step', async () => {
    const work = await tempDir();
    // 1. npm pack (the build already ran: `npm test` builds first; --ignore-scripts skips the rebuild).
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info.files.map((f) => f.path).sort();
    for (const needed of ['package.json', 'dist/cli.js', 'dist/worker.js', 'dist/http.js', 'dist/sampleWorker.js', 'dist/pipeline.schema.json', 'dist/webview/main.js', 'dist/webview/styles.css', 'dist/webview/dashboard.css']) {
      assert.ok(files.includes(needed), `${needed} is missing from the tarball`);
    }
    for (const file of files) assert.doesNotMatch(file, /^(src|test|node_modules|webview|out|media)\/|\.map$|\.vsix$|^dist\/extension\.js$/, `${file} should not be in the tarball`);
    const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; bin: Record<string, string> };
    assert.deepEqual(manifest.dependencies ?? {}, {}, 'everything is bundled: the tarball needs nothing from a registry');
    assert.equal(manifest.bin.fileflow, 'dist/cli.js');

    // 2. The Dockerfile, step by step. Absolute paths of the image live under `image/`.
    const image = path.join(work, 'image');
    const inImage = (p: string): string => path.join(image, p);
    const steps = parseDockerfile(await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const keywords = steps.map((s) => s.keyword);
    assert.deepEqual(keywords, ['FROM', 'COPY', 'RUN', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'CMD'], 'a step the test does not run must not be added silently');
    assert.match(steps[0].args, /^node:\d+(-[a-z]+)*(-slim)?$/, 'the official Node image');
    const prefix = inImage('/usr/local');
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_cache: path.join(work, 'npm-cache') };
    delete env.FILEFLOW_HTTP_TOKEN;
    delete env.NODE_PATH;
    const mapPaths = (text: string, paths: string[]): string => paths.reduce((out, p) => out.split(p).join(inImage(p)), text);
    const imagePaths: string[] = [];
    let cmd: string[] = [];
    let healthcheck: string[] = [];
    let volume = '';
    for (const step of steps.slice(1)) {
      if (step.keyword === 'COPY') {
        const [source, destination] = step.args.split(/\s+/);
        assert.equal(source, 'fileflow-*.tgz');
        assert.match(info.filename, /^fileflow-\d+\.\d+\.\d+\.tgz$/);
        await mkdir(inImage(destination), { recursive: true });
        await copyFile(path.join(work, info.filename), path.join(inImage(destination), info.filename));
        imagePaths.push(destination.replace(/\/+$/, ''));
      } else if (step.keyword === 'RUN') {
        const command = mapPaths(step.args, imagePaths);
        // Never run a step on this machine's own paths: every absolute path must now be in the image folder.
        for (const [, absolute] of command.matchAll(/(?:^|[\s=])(\/[^\s;&|]*)/g)) assert.ok(absolute.startsWith(image), `RUN touches ${absolute} outside the image folder`);
        const result = await run('sh', ['-c', command], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
        assert.match(result.stdout, /^\d+\.\d+\.\d+$/m, 'the RUN step ends with fileflow --version');
      } else if (step.keyword === 'VOLUME') {
        [volume] = JSON.parse(step.args) as string[];
        await mkdir(inImage(volume), { recursive: true });
      } else if (step.keyword === 'EXPOSE') {
        assert.equal(step.args, '8000');
      } else if (step.keyword === 'HEALTHCHECK') {
        healthcheck = JSON.parse(step.args.slice(step.args.indexOf('CMD ') + 4)) as string[];
      } else if (step.keyword === 'CMD') {
        cmd = JSON.parse(step.args) as string[];
      }
    }
    const installed = path.join(prefix, 'lib', 'node_modules', 'fileflow');
    assert.ok(await pathExists(path.join(installed, 'dist', 'cli.js')), 'installed into the prefix');
    assert.equal(await pathExists(path.join(installed, 'node_modules')), false, 'no dependencies were installed');
    assert.ok(!(await pathExists(path.join(work, 'image', 'tmp', 'fileflow'))), 'the RUN step cleaned up the tarball');

    // 3. `fileflow` from any folder (here: one with nothing of the repository around it).
    const elsewhere = path.join(work, 'elsewhere');
    await mkdir(path.join(elsewhere, 'q', 'unprocessed'), { recursive: true });
    await writeFile(path.join(elsewhere, 'q', 'unprocessed', 'app.log'), LOG);
    const once = await run('fileflow', ['watch', 'q', '--once'], { cwd: elsewhere, env });
    assert.match(once.stdout, /processed 1|1 processed|✓ app\.log/);
    assert.equal(await readFile(path.join(elsewhere, 'q', 'results', 'app.log'), 'utf8'), 'app.log:1: 2026-01-01 10:00:00 [ERROR] db: down\n');
    // `fileflow test` runs the pipeline's tests in a worker thread of its own (dist/sampleWorker.js).
    const tested = path.join(elsewhere, 'tested.fileflow.json');
    await writeFile(tested, JSON.stringify({ version: 1, nodes: { start: { use: 'uppercase' } }, tests: [{ name: 'shouts', input: ['a'], expect: { output: ['A'] } }] }));
    const tests = await run('fileflow', ['test', tested], { cwd: elsewhere, env });
    assert.match(tests.stdout, /1 passed, 0 failed/);

    // 4. The image's CMD on the volume (port 8000 swapped for a free one, here and in the health check).
    assert.deepEqual(cmd, ['fileflow', 'watch', '/data', '--http', '0.0.0.0:8000']);
    const port = await freePort();
    const data = inImage(volume);
    await mkdir(path.join(data, 'unprocessed'), { recursive: true });
    await writeFile(path.join(data, 'unprocessed', 'boot.log'), LOG);
    const args = cmd.slice(1).map((arg) => (arg === volume ? data : arg.replace(':8000', `:${port}`)));
    const child = spawn(cmd[0], args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the dashboard link', () => /#token=([A-Za-z0-9_-]+)/.test(stderr), { context: () => stderr });
      const token = (/#token=([A-Za-z0-9_-]+)/.exec(stderr) as RegExpExecArray)[1];
      assert.match(stderr, new RegExp(`http://0\\.0\\.0\\.0:${port}/#token=`));
      assert.match(stderr, /warning: the HTTP API listens on 0\.0\.0\.0:\d+, which other machines can reach/);
      assert.equal((await readFile(path.join(data, '.fileflow', 'http-token'), 'utf8')).trim(), token);
      await waitFor('boot.log processed', () => pathExists(statePath(data, 'processed', 'boot.log')), { root: data });
      // The HEALTHCHECK, as Docker would run it.
      assert.equal(healthcheck[0], 'node');
      const probe = healthcheck.map((arg) => arg.replace(':8000', `:${port}`));
      await run(probe[0] === 'node' ? process.execPath : probe[0], probe.slice(1), { env });
      const upload = await call(port, '/upload?name=posted.log', { method: 'POST', body: LOG, token });
      assert.equal(upload.status, 201);
      await waitFor('posted.log processed', () => pathExists(statePath(data, 'processed', 'posted.log')), { root: data });
      assert.deepEqual(await listState(data, 'processed'), ['boot.log', 'posted.log']);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await Promise.race([exited, sleep(30_000).then(() => 'timeout')]), 0, stderr);
    // With the server gone the health check fails, as Docker's would.
    const probe = healthcheck.map((arg) => arg.replace(':8000', `:${port}`));
    await assert.rejects(run(process.execPath, probe.slice(1), { env }));
  });
});
