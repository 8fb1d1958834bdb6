// The HTTP API in the extension: the server starts and stops with fileflow.http.enabled, serves
// every watched root of the window (`?root=`), keeps its token in secret storage, and the
// commands "Copy HTTP API Token" and "Open Dashboard in Browser" work.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/constants';
import type { FileflowApi } from '../../../src/extension/extension';
import { extensionApi, listNames, scratchFolder, waitFor } from './helpers';

const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('fileflow.http');

async function get(url: string, token?: string): Promise<Response> {
  return fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

describe('HTTP API in the extension', () => {
  let api: FileflowApi;
  let roots: string[] = [];

  before(async () => {
    api = await extensionApi();
  });

  after(async () => {
    await settings().update('enabled', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('port', undefined, vscode.ConfigurationTarget.Global);
    for (const root of roots) await api.manager.unwatch(root);
  });

  it('is off by default, and starts with fileflow.http.enabled (port 0: any free port)', async () => {
    assert.equal(settings().get('enabled'), false);
    assert.equal(settings().get('host'), '127.0.0.1');
    assert.equal(settings().get('port'), 8000);
    assert.equal(api.http.url, undefined);
    roots = [await scratchFolder('http-one'), await scratchFolder('http-two')];
    for (const root of roots) await api.manager.watch(root);
    await settings().update('port', 0, vscode.ConfigurationTarget.Global);
    await settings().update('enabled', true, vscode.ConfigurationTarget.Global);
    const url = await waitFor('the server to start', () => api.http.url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await get(`${url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });

  it('keeps its token in secret storage and serves every watched root, by ?root=', async () => {
    const url = api.http.url as string;
    const token = await api.http.token();
    assert.ok(token.length >= 32);
    assert.equal(await api.http.token(), token, 'the same token every time');
    assert.equal((await get(`${url}/stats`)).status, 401);
    assert.equal((await get(`${url}/stats`, 'wrong-token-0123456789')).status, 401);
    const listed = (await (await get(`${url}/roots`, token)).json()) as { roots: { root: string }[] };
    assert.deepEqual(listed.roots.map((r) => r.root).filter((r) => roots.includes(r)).sort(), [...roots].sort());

    const [one, two] = roots;
    const upload = await fetch(`${url}/upload?name=sent.log&root=${encodeURIComponent(two)}`, {
      method: 'POST',
      body: '2026-01-01 10:00:00 [ERROR] sent over HTTP\n',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(upload.status, 201);
    await waitFor('sent.log processed in the second root', async () => (await listNames(path.join(two, 'processed'))).includes('sent.log'));
    assert.deepEqual(await listNames(path.join(one, 'processed')), []);
    const stats = await waitFor('the second root’s stats to count it', async () => {
      const s = (await (await get(`${url}/stats?root=${encodeURIComponent(two)}`, token)).json()) as { files: { processed: number } };
      return s.files.processed === 1 ? s : undefined;
    });
    assert.equal(stats.files.processed, 1);
    const files = (await (await get(`${url}/files?status=processed&root=${encodeURIComponent(two)}`, token)).json()) as { files: { name: string }[] };
    assert.deepEqual(files.files.map((f) => f.name), ['sent.log']);
    const result = await get(`${url}/files/sent.log/result?root=${encodeURIComponent(two)}`, token);
    assert.equal(await result.text(), 'sent.log:1: 2026-01-01 10:00:00 [ERROR] sent over HTTP\n');

    // The dashboard's feed lists the files from the tree's model (no disk walk on this thread).
    const events = await fetch(`${url}/events?root=${encodeURIComponent(two)}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(events.status, 200);
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let streamed = '';
    const lists = await waitFor('a file list with sent.log', async () => {
      const { value } = await reader.read();
      streamed += decoder.decode(value, { stream: true });
      const files = streamed
        .split('\n\n')
        .filter((block) => block.startsWith('data: '))
        .map((block) => JSON.parse(block.slice(6)) as { type: string; lists?: { counts: Record<string, number>; files: Record<string, { name: string }[]> } })
        .find((m) => m.type === 'files');
      return files?.lists;
    });
    await reader.cancel();
    assert.deepEqual(lists.files.processed.map((f) => f.name), ['sent.log']);
    assert.equal(lists.counts.processed, 1);

    // A failed file, retried over HTTP: the tree's model follows.
    await writeFile(path.join(one, 'unprocessed', 'core.bin'), Buffer.from('\0binary'));
    await waitFor('core.bin failed', async () => (await listNames(path.join(one, 'failed'))).includes('core.bin'));
    const retry = await fetch(`${url}/files/core.bin/retry?root=${encodeURIComponent(one)}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(retry.status, 200);
    await waitFor('core.bin to fail again after its retry', () => (api.manager.get(one)?.queue?.metrics.failed ?? 0) === 2);

    const metrics = await (await get(`${url}/metrics`, token)).text();
    assert.match(metrics, new RegExp(`^fileflow_files_total\\{root="${two.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}",status="processed"\\} 1$`, 'm'));
  });

  it('"Copy HTTP API Token" puts the token on the clipboard', async () => {
    await vscode.env.clipboard.writeText('');
    assert.equal(await vscode.commands.executeCommand(COMMANDS.copyHttpToken), true);
    assert.equal(await vscode.env.clipboard.readText(), await api.http.token());
  });

  it('"Open Dashboard in Browser" opens the page with the token in its #fragment', async () => {
    const opened = await vscode.commands.executeCommand<string>(COMMANDS.openDashboard);
    const token = await api.http.token();
    assert.ok(opened, 'the command opened a link');
    const link = new URL(opened);
    assert.equal(link.hash, `#token=${token}`);
    // The link may pass through VS Code's port forwarding (in code-server, /proxy/PORT/ on the
    // workbench's own origin; this test server has no such proxy): the page and its API then
    // answer below that prefix, which is why the page uses relative URLs only.
    link.hash = '';
    const direct = new URL(`${api.http.url as string}/`);
    if (link.origin !== direct.origin) assert.ok(link.pathname.includes(`/${direct.port}/`), `a forwarded link names the port: ${link.href}`);
    const page = await get(link.origin === direct.origin ? link.href : direct.href);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script src="assets\/main\.js"><\/script>/);
    assert.doesNotMatch(html, /(?:src|href)="\/(?!\/)/, 'no root-relative URL in the page');
    assert.equal((await get(new URL('stats', direct).href, token)).status, 200);
    assert.equal((await get(new URL('assets/main.js', direct).href)).status, 200);
  });

  it('stops when the setting is turned off, and comes back with the same token', async () => {
    const url = api.http.url as string;
    const token = await api.http.token();
    await settings().update('enabled', false, vscode.ConfigurationTarget.Global);
    await waitFor('the server to stop', () => api.http.url === undefined);
    await assert.rejects(get(`${url}/health`), 'nothing listens any more');
    await settings().update('enabled', true, vscode.ConfigurationTarget.Global);
    const again = await waitFor('the server to start again', () => api.http.url);
    assert.equal((await get(`${again}/stats`, token)).status, 200);
  });
});
