// `fileflow watch ROOT --http HOST:PORT` as a user runs it (the built CLI as a child process):
// the start-up line with the dashboard link, the token file, the API working, a clean stop,
// and clear refusals (bad address, address in use, bad token) that move nothing.

import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { call } from './helpers/httpClient';
import { dropFile, listState, makeArea, pathExists, statePath, useCli, useTempDirs, waitFor, waitForExit } from './helpers/queueHarness';

const LOG = '2026-01-01 10:00:00 [ERROR] db: down\n';
const LINK = /HTTP API and dashboard at http:\/\/127\.0\.0\.1:(\d+)\/(?:#token=([A-Za-z0-9_-]+))? \(([^)]*)\)/;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const copy = { ...process.env, ...extra };
  if (!('FILEFLOW_HTTP_TOKEN' in extra)) delete copy.FILEFLOW_HTTP_TOKEN;
  return copy;
}

describe('fileflow watch --http', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs('fileflow-httpcli-');
  const cli = useCli();

  it('prints the dashboard link once, writes the token where only its owner reads it, serves the API, and stops cleanly', async () => {
    const area = await makeArea(tempDir);
    await dropFile(area.root, 'before.log', LOG);
    const child = cli(['watch', area.root, '--http', '127.0.0.1:0', '--stability-ms', '100'], { cwd: area.base, env: env() });
    await waitFor('the start-up line', () => LINK.test(child.stderr()), { context: () => child.stderr() });
    const [, port, token, where] = LINK.exec(child.stderr()) as RegExpExecArray;
    assert.ok(token && token.length >= 32, 'a generated token is in the link');
    assert.equal(child.stderr().split(token).length - 1, 1, 'the token is shown once');
    assert.equal(where, `token in ${path.join(area.root, '.fileflow', 'http-token')}`);
    const tokenFile = path.join(area.root, '.fileflow', 'http-token');
    assert.equal(await readFile(tokenFile, 'utf8'), `${token}\n`);
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    assert.doesNotMatch(child.stderr(), /warning/i, 'loopback: no warning');

    assert.equal((await call(Number(port), '/stats', { token: null })).status, 401);
    await waitFor('before.log processed', () => pathExists(statePath(area.root, 'processed', 'before.log')), { root: area.root });
    const upload = await call(Number(port), '/upload?name=sent.log', { method: 'POST', body: LOG, token });
    assert.equal(upload.status, 201, upload.text);
    await waitFor('sent.log processed', () => pathExists(statePath(area.root, 'processed', 'sent.log')), { root: area.root });
    await waitFor('stats count both', async () => (await call(Number(port), '/stats', { token })).json<{ files: { processed: number } }>().files.processed === 2);

    child.child.kill('SIGTERM');
    const { code } = await waitForExit(child, 30_000, area.root);
    assert.equal(code, 0, child.stderr());
    await assert.rejects(call(Number(port), '/health', { token: null }), /ECONNREFUSED/, 'the server stopped with the queue');
  });

  it('takes the token from FILEFLOW_HTTP_TOKEN (and then writes no token file)', async () => {
    const area = await makeArea(tempDir);
    const token = 'from-the-environment-0123456789';
    const child = cli(['watch', area.root, '--http', '127.0.0.1:0'], { cwd: area.base, env: env({ FILEFLOW_HTTP_TOKEN: token }) });
    await waitFor('the start-up line', () => LINK.test(child.stderr()), { context: () => child.stderr() });
    const [, port, shown, where] = LINK.exec(child.stderr()) as RegExpExecArray;
    assert.equal(shown, undefined, 'a token the user gave is not echoed');
    assert.equal(where, 'token from $FILEFLOW_HTTP_TOKEN');
    assert.equal((await call(Number(port), '/stats', { token })).status, 200);
    assert.equal(await pathExists(path.join(area.root, '.fileflow', 'http-token')), false);
    child.child.kill('SIGTERM');
    assert.equal((await waitForExit(child)).code, 0);
  });

  it('with --once, serves while draining and exits', async () => {
    const area = await makeArea(tempDir);
    await dropFile(area.root, 'one.log', LOG);
    const child = cli(['watch', area.root, '--once', '--http', '127.0.0.1:0'], { cwd: area.base, env: env() });
    const { code } = await waitForExit(child, 30_000, area.root);
    assert.equal(code, 0, child.stderr());
    assert.match(child.stderr(), LINK);
    assert.deepEqual(await listState(area.root, 'processed'), ['one.log']);
  });

  it('refuses an address in use with exit 2 and a one-line reason, before moving any file', async () => {
    const area = await makeArea(tempDir);
    await dropFile(area.root, 'waits.log', LOG);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const child = cli(['watch', area.root, '--http', `127.0.0.1:${port}`], { cwd: area.base, env: env() });
      const { code } = await waitForExit(child, 30_000, area.root);
      assert.equal(code, 2);
      assert.match(child.stderr(), new RegExp(`^fileflow: --http: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use$`, 'm'));
      assert.deepEqual(await listState(area.root, 'unprocessed'), ['waits.log']);
      assert.deepEqual(await listState(area.root, 'processed'), []);
    } finally {
      blocker.close();
    }
  });

  it('refuses bad --http values and a too-short FILEFLOW_HTTP_TOKEN (exit 2)', async () => {
    const io = { stdout: '', stderr: '', errIsTty: false, cwd: process.cwd(), out: (t: string) => (io.stdout += t), err: (t: string) => (io.stderr += t) };
    for (const bad of ['nonsense', '127.0.0.1:99999', '127.0.0.1:']) {
      io.stderr = '';
      assert.equal(await main(['watch', 'somewhere', '--http', bad], io), 2, bad);
      assert.match(io.stderr, /--http/);
    }
    const area = await makeArea(tempDir);
    const child = cli(['watch', area.root, '--http', '127.0.0.1:0'], { cwd: area.base, env: env({ FILEFLOW_HTTP_TOKEN: 'short' }) });
    assert.equal((await waitForExit(child)).code, 2);
    assert.match(child.stderr(), /FILEFLOW_HTTP_TOKEN must be at least 16 characters/);
  });
});
