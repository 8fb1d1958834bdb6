// The HTTP API (docs/http.md) over real sockets on 127.0.0.1, in front of a real FolderQueue:
// authentication, every endpoint, unsafe names, size limits, cut connections, concurrent
// uploads, /health turning degraded and back, /metrics read by a Prometheus text parser.

import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import * as path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { errorMessage } from '../../src/core/errors';
import { authorized } from '../../src/core/http/auth';
import { parseListenAddress } from '../../src/core/http/address';
import type { MetricsSnapshot } from '../../src/core/metrics';
import type { HostToWebview } from '../../src/shared/protocol';
import { call, connected, openRequest, temporaryUploads, TOKEN, useHttpServers, type Reply } from './helpers/httpClient';
import { dropFile, listState, makeArea, pathExists, placeFile, sleep, statePath, useQueues, useTempDirs, waitFor, type Area } from './helpers/queueHarness';

const LOG = '2026-01-01 10:00:00 [WARN] disk: almost full\n2026-01-01 10:00:01 [INFO] ok\n';

describe('HTTP API', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs('fileflow-http-');
  const startQueue = useQueues();
  const startServer = useHttpServers();

  async function setUp(options: Parameters<typeof startServer>[1] = {}): Promise<{ area: Area; port: number; queue: Awaited<ReturnType<typeof startQueue>>['queue'] }> {
    const area = await makeArea(tempDir);
    const { queue } = await startQueue({ root: area.root, stabilityMs: 100 });
    const server = await startServer(queue, options);
    return { area, port: server.port, queue };
  }

  describe('authentication', () => {
    it('refuses every endpoint but /health and the page without the right bearer token (401, JSON)', async () => {
      const { port } = await setUp();
      const protectedRoutes: [string, string][] = [
        ['GET', '/stats'],
        ['GET', '/files'],
        ['GET', '/metrics'],
        ['GET', '/events'],
        ['GET', '/roots'],
        ['POST', '/upload?name=a.log'],
        ['GET', '/files/a.log/result'],
        ['GET', '/files/a.log/summary'],
        ['POST', '/files/a.log/retry'],
      ];
      for (const [method, route] of protectedRoutes) {
        for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
          const reply = await call(port, route, { method, token, body: method === 'POST' ? 'x' : undefined });
          assert.equal(reply.status, 401, `${method} ${route} with token ${token}`);
          assert.equal(typeof reply.json().error, 'string');
          assert.match(String(reply.headers['www-authenticate']), /^Bearer/);
        }
      }
      const basic = await call(port, '/stats', { token: null, headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
      assert.equal(basic.status, 401);
      assert.equal((await call(port, '/health', { token: null })).status, 200);
      const page = await call(port, '/', { token: null });
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    });

    it('compares tokens whole: prefixes, suffixes, other schemes and extra words are refused', () => {
      assert.equal(authorized(`Bearer ${TOKEN}`, TOKEN), true);
      assert.equal(authorized(`bearer  ${TOKEN} `, TOKEN), true);
      for (const header of [undefined, '', 'Bearer', `Bearer ${TOKEN} extra`, `Token ${TOKEN}`, `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN}0`]) {
        assert.equal(authorized(header, TOKEN), false, String(header));
      }
    });

    it('sends no CORS headers, and nosniff / no-store on answers', async () => {
      const { port } = await setUp();
      for (const route of ['/stats', '/health', '/']) {
        const reply = await call(port, route, { headers: { origin: 'http://evil.example' } });
        assert.equal(reply.headers['access-control-allow-origin'], undefined, route);
        assert.equal(reply.headers['x-content-type-options'], 'nosniff');
      }
      const preflight = await call(port, '/stats', { method: 'OPTIONS', token: null, headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    });
  });

  describe('endpoints', () => {
    it('/stats is the metrics snapshot; /roots lists the root', async () => {
      const { area, port } = await setUp();
      await dropFile(area.root, 'a.log', LOG);
      await waitFor('a.log processed', () => pathExists(statePath(area.root, 'processed', 'a.log')), { root: area.root });
      await waitFor('stats count a.log', async () => (await call(port, '/stats')).json<MetricsSnapshot>().files.processed === 1);
      const stats = (await call(port, '/stats')).json<MetricsSnapshot>();
      assert.equal(stats.lines.in, 2);
      assert.equal(stats.lines.out, 1);
      assert.ok(stats.latencyMs.samples >= 1);
      const roots = (await call(port, '/roots')).json<{ roots: { root: string; status: string }[] }>();
      assert.deepEqual(roots.roots.map((r) => r.root), [area.root]);
      assert.equal((await call(port, `/stats?root=${encodeURIComponent(area.root)}`)).status, 200);
      assert.equal((await call(port, '/stats?root=root')).status, 200, 'a root by its label');
      const unknown = await call(port, '/stats?root=%2Fno%2Fsuch');
      assert.equal(unknown.status, 404);
      assert.match(unknown.json<{ error: string }>().error, /no queue root/);
    });

    it('/files lists by status, newest first, with paging and links', async () => {
      const { area, port, queue } = await setUp();
      for (let i = 0; i < 5; i++) {
        await dropFile(area.root, `f${i}.log`, LOG);
        await waitFor(`f${i}.log processed`, () => pathExists(statePath(area.root, 'processed', `f${i}.log`)), { root: area.root });
        await sleep(20); // distinct ctimes, so newest-first is well defined
      }
      queue.pause();
      await dropFile(area.root, 'waiting.log', LOG);
      const first = (await call(port, '/files?status=processed&limit=2')).json<{ files: { name: string; result: string; summary: string }[]; total: number; next: string }>();
      assert.equal(first.total, 5);
      assert.deepEqual(first.files.map((f) => f.name), ['f4.log', 'f3.log']);
      assert.equal(first.files[0].result, '/files/f4.log/result');
      assert.equal(first.files[0].summary, '/files/f4.log/summary');
      const second = (await call(port, first.next)).json<{ files: { name: string }[]; next: string | null }>();
      assert.deepEqual(second.files.map((f) => f.name), ['f2.log', 'f1.log']);
      const third = (await call(port, second.next as string)).json<{ files: { name: string }[]; next: string | null }>();
      assert.deepEqual(third.files.map((f) => f.name), ['f0.log']);
      assert.equal(third.next, null);
      const queued = (await call(port, '/files?status=queued')).json<{ files: { name: string; status: string }[] }>();
      assert.deepEqual(queued.files, [{ name: 'waiting.log', status: 'queued', time: (queued.files[0] as unknown as { time: string }).time }]);
      const all = (await call(port, '/files')).json<{ counts: Record<string, number>; total: number }>();
      assert.deepEqual(all.counts, { queued: 1, inProgress: 0, processed: 5, failed: 0 });
      assert.equal(all.total, 6);
      for (const bad of ['/files?status=done', '/files?limit=0', '/files?limit=abc', '/files?limit=100000', '/files?offset=-1']) {
        const reply = await call(port, bad);
        assert.equal(reply.status, 400, bad);
        assert.equal(typeof reply.json().error, 'string');
      }
    });

    it('serves a file’s result and summary exactly as on disk, subfolders included', async () => {
      const { area, port } = await setUp();
      await dropFile(area.root, '2026/jan/app.log', LOG);
      await waitFor('app.log processed', () => pathExists(statePath(area.root, 'processed', '2026/jan/app.log')), { root: area.root });
      const result = await call(port, '/files/2026/jan/app.log/result');
      assert.equal(result.status, 200);
      assert.match(String(result.headers['content-type']), /^text\/plain/);
      assert.equal(result.text, await readFile(statePath(area.root, 'results', '2026/jan/app.log'), 'utf8'));
      const encoded = await call(port, '/files/2026%2Fjan%2Fapp.log/summary');
      assert.equal(encoded.status, 200);
      assert.match(String(encoded.headers['content-type']), /^application\/json/);
      assert.equal(encoded.json<{ name: string }>().name, '2026/jan/app.log');
      const head = await call(port, '/files/2026/jan/app.log/result', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal((await call(port, '/files/missing.log/result')).status, 404);
      assert.equal((await call(port, '/files/2026/result')).status, 404, 'a folder is never listed');
      assert.equal((await call(port, '/files/2026/jan/result')).status, 404);
    });

    it('refuses path traversal and unsafe names in /files/<name>/… with 400, and never follows a link out', async () => {
      const { area, port } = await setUp();
      const secret = path.join(area.base, 'secret.txt');
      await writeFile(secret, 'top secret\n');
      await mkdir(statePath(area.root, 'results'), { recursive: true });
      for (const raw of [
        '../secret.txt',
        '..%2Fsecret.txt',
        '%2e%2e%2Fsecret.txt',
        '%2E%2E/%2E%2E/secret.txt',
        'a/../../secret.txt',
        '%2Fetc%2Fpasswd',
        '..%5C..%5Csecret.txt',
        'a%5Cb',
        'a%00b',
        'a%0Ab',
        '.hidden',
        'x/./y',
        'x//y',
        '%E0%A4%A',
        '%C0%AE%C0%AE%2Fsecret.txt',
      ]) {
        for (const action of ['result', 'summary']) {
          const reply = await call(port, `/files/${raw}/${action}`);
          assert.equal(reply.status, 400, `${raw}/${action}: ${reply.text}`);
          assert.doesNotMatch(reply.text, /top secret/);
        }
        const retry = await call(port, `/files/${raw}/retry`, { method: 'POST' });
        assert.equal(retry.status, 400, `${raw}/retry`);
      }
      // Double-encoded dots are decoded once: a literal (harmless, missing) name.
      assert.equal((await call(port, '/files/%252e%252e%252Fsecret.txt/result')).status, 404);
      // A symbolic link in results/ pointing outside the root is treated as missing.
      await symlink(secret, statePath(area.root, 'results', 'escape.log'));
      await symlink(secret, statePath(area.root, 'results', 'escape.log.summary.json'));
      await symlink(area.base, statePath(area.root, 'results', 'up'));
      for (const route of ['/files/escape.log/result', '/files/escape.log/summary', '/files/up/secret.txt/result']) {
        const reply = await call(port, route);
        assert.equal(reply.status, 404, route);
        assert.doesNotMatch(reply.text, /top secret/);
      }
    });

    it('POST /files/<name>/retry moves a failed file back to the inbox', async () => {
      const { area, port, queue } = await setUp();
      await dropFile(area.root, 'core.bin', Buffer.from([0x41, 0, 0x42, 0x0a]));
      await waitFor('core.bin failed', () => pathExists(statePath(area.root, 'failed', 'core.bin')), { root: area.root });
      await waitFor('its summary', () => pathExists(statePath(area.root, 'results', 'core.bin.summary.json')), { root: area.root });
      const summary = (await call(port, '/files/core.bin/summary')).json<{ status: string }>();
      assert.equal(summary.status, 'failed');
      queue.pause();
      assert.equal((await call(port, '/files/core.bin/retry')).status, 405);
      const retried = await call(port, '/files/core.bin/retry', { method: 'POST' });
      assert.equal(retried.status, 200, retried.text);
      assert.deepEqual(retried.json(), { root: area.root, name: 'core.bin', queuedAs: 'core.bin' });
      assert.deepEqual(await listState(area.root, 'failed'), []);
      assert.deepEqual(await listState(area.root, 'unprocessed'), ['core.bin']);
      const again = await call(port, '/files/core.bin/retry', { method: 'POST' });
      assert.equal(again.status, 404);
      assert.match(again.json<{ error: string }>().error, /no failed file/);
    });

    it('answers unknown routes with 404 and wrong methods with 405, as JSON', async () => {
      const { port } = await setUp();
      const missing = await call(port, '/nope');
      assert.equal(missing.status, 404);
      assert.equal(typeof missing.json().error, 'string');
      for (const [method, route, allow] of [
        ['POST', '/stats', 'GET, HEAD'],
        ['DELETE', '/files', 'GET, HEAD'],
        ['GET', '/upload', 'POST'],
        ['PUT', '/metrics', 'GET, HEAD'],
        ['POST', '/health', 'GET, HEAD'],
      ]) {
        const reply = await call(port, route, { method });
        assert.equal(reply.status, 405, `${method} ${route}`);
        assert.equal(reply.headers.allow, allow);
        assert.equal(typeof reply.json().error, 'string');
      }
      assert.equal((await call(port, '/assets/../../package.json')).status, 404);
      assert.equal((await call(port, '/assets/')).status, 404, 'no directory listing');
      assert.equal((await call(port, '/assets/main.js', { token: null })).status, 200);
    });
  });

  describe('upload', () => {
    it('saves a raw body under ?name= into the inbox, where the queue processes it', async () => {
      const { area, port } = await setUp();
      const reply = await call(port, '/upload?name=app%20one.log', { method: 'POST', body: LOG, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(reply.json(), { root: area.root, files: [{ name: 'app one.log', requested: 'app one.log', bytes: Buffer.byteLength(LOG) }] });
      await waitFor('app one.log processed', () => pathExists(statePath(area.root, 'processed', 'app one.log')), { root: area.root });
      assert.equal(await readFile(statePath(area.root, 'processed', 'app one.log'), 'utf8'), LOG);
      assert.equal(await readFile(statePath(area.root, 'results', 'app one.log'), 'utf8'), 'app one.log:1: 2026-01-01 10:00:00 [WARN] disk: almost full\n');
    });

    it('streams a large body (over 1 MiB) to disk and lands it whole', async () => {
      const { area, port, queue } = await setUp();
      queue.pause();
      const big = Buffer.from('2026-01-01 10:00:00 [WARN] a line of a large upload\n'.repeat(60_000));
      assert.ok(big.length > 2 * 1024 * 1024);
      const reply = await call(port, '/upload?name=big.log', { method: 'POST', body: big });
      assert.equal(reply.status, 201, reply.text);
      assert.equal(reply.json<{ files: { bytes: number }[] }>().files[0].bytes, big.length);
      assert.deepEqual(await readFile(statePath(area.root, 'unprocessed', 'big.log')), big);
      assert.deepEqual(await temporaryUploads(area.root), []);
    });

    it('gives a name already taken (in the inbox or by a finished file) the next free "stem (n).ext"', async () => {
      const { area, port, queue } = await setUp();
      await dropFile(area.root, 'app.log', LOG);
      await waitFor('app.log processed', () => pathExists(statePath(area.root, 'processed', 'app.log')), { root: area.root });
      queue.pause();
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await call(port, '/upload?name=app.log', { method: 'POST', body: `${i} [ERROR] x\n` });
        assert.equal(reply.status, 201);
        names.push(reply.json<{ files: { name: string }[] }>().files[0].name);
      }
      assert.deepEqual(names, ['app (2).log', 'app (3).log', 'app (4).log']);
      for (const [i, name] of names.entries()) assert.equal(await readFile(statePath(area.root, 'unprocessed', name), 'utf8'), `${i} [ERROR] x\n`);
    });

    it('refuses unsafe and never-processed names with 400 and keeps nothing', async () => {
      const { area, port } = await setUp();
      for (const name of ['', '..', '../x.log', 'a/b.log', 'a%2Fb.log', '.hidden.log', 'a%5Cb.log', 'a%01b.log', 'a%00b.log', 'a..b.log', 'x.tmp', 'x.part', 'backup~', '%20lead.log', `${'x'.repeat(256)}.log`, '%E0%A4%A']) {
        const reply = await call(port, `/upload?name=${name}`, { method: 'POST', body: LOG });
        assert.equal(reply.status, 400, `"${name}": ${reply.text}`);
        assert.equal(typeof reply.json().error, 'string');
      }
      const noName = await call(port, '/upload', { method: 'POST', body: LOG });
      assert.equal(noName.status, 400);
      assert.match(noName.json<{ error: string }>().error, /\?name=/);
      await sleep(300);
      assert.deepEqual(await listState(area.root, 'unprocessed'), []);
      assert.deepEqual(await temporaryUploads(area.root), []);
      assert.deepEqual(await listState(area.root, 'processed'), []);
    });

    it('refuses a body over maxUploadBytes with 413, by its length or as it streams, and keeps nothing', async () => {
      const { area, port } = await setUp({ maxUploadBytes: 1000 });
      const declared = await call(port, '/upload?name=big.log', { method: 'POST', body: 'x'.repeat(1001) });
      assert.equal(declared.status, 413);
      assert.match(declared.json<{ error: string }>().error, /1000 bytes/);
      const exact = await call(port, '/upload?name=exact.log', { method: 'POST', body: `${'y'.repeat(999)}\n` });
      assert.equal(exact.status, 201, 'exactly the limit is fine');
      // Chunked, no length: refused once the 1001st byte arrives.
      const { req, response } = openRequest(port, '/upload?name=streamed.log', { 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 6; i++) req.write('z'.repeat(200));
      const reply = await response;
      req.destroy();
      assert.ok(!(reply instanceof Error), `no answer: ${errorMessage(reply)}`);
      assert.equal(reply.status, 413);
      await waitFor('no temporary upload left', async () => (await temporaryUploads(area.root)).length === 0);
      const form = new FormData();
      form.append('file', new Blob(['w'.repeat(1200)]), 'form.log');
      const multipart = await fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(multipart.status, 413);
      await waitFor('exact.log processed', () => pathExists(statePath(area.root, 'processed', 'exact.log')), { root: area.root });
      assert.deepEqual(await listState(area.root, 'processed'), ['exact.log']);
      assert.deepEqual(await listState(area.root, 'unprocessed'), []);
      assert.deepEqual(await temporaryUploads(area.root), []);
    });

    it('leaves nothing behind when the client disconnects mid-upload (small and large raw bodies, multipart)', async () => {
      const { area, port } = await setUp();
      // A small body (up to 1 MiB) is received in memory: nothing is written before it is complete.
      const small = openRequest(port, '/upload?name=cut-small.log', { 'content-length': '100000' });
      await connected(small.req);
      small.req.write('a [WARN] partial line\n'.repeat(1000));
      await sleep(200);
      small.req.destroy();
      await small.response;
      // A large one streams into a temporary file, which goes when the connection is cut.
      const large = openRequest(port, '/upload?name=cut-large.log', { 'content-length': String(8 * 1024 * 1024) });
      await connected(large.req);
      large.req.write('b [WARN] partial line\n'.repeat(100_000));
      await waitFor('the temporary file to appear', async () => (await temporaryUploads(area.root)).length === 1);
      large.req.destroy();
      await large.response;
      const boundary = 'fileflowtestboundary';
      const form = openRequest(port, '/upload', { 'content-type': `multipart/form-data; boundary=${boundary}` });
      await connected(form.req);
      form.req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut2.log"\r\nContent-Type: text/plain\r\n\r\n`);
      form.req.write('c [ERROR] partial\n'.repeat(1000));
      await waitFor('the temporary file of the form', async () => (await temporaryUploads(area.root)).length === 1);
      form.req.destroy();
      await form.response;
      await waitFor('the temporary files to be removed', async () => (await temporaryUploads(area.root)).length === 0, { root: area.root });
      await sleep(400); // longer than stabilityMs: anything that landed would have been taken
      assert.deepEqual(await listState(area.root, 'unprocessed'), []);
      assert.deepEqual(await listState(area.root, 'processed'), []);
      assert.deepEqual(await listState(area.root, 'failed'), []);
      assert.equal((await call(port, '/health')).status, 200, 'the server still answers');
    });

    it('takes a multipart form with several files, and refuses the whole form if one name is unsafe', async () => {
      const { area, port, queue } = await setUp();
      queue.pause();
      const form = new FormData();
      form.append('note', 'fields are ignored');
      form.append('file', new Blob(['1 [WARN] one\n']), 'one.log');
      form.append('file', new Blob(['2 [WARN] zwei\n']), 'zwei-ü.log');
      const ok = await fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 201);
      const saved = ((await ok.json()) as { files: { name: string }[] }).files.map((f) => f.name);
      assert.deepEqual(saved, ['one.log', 'zwei-ü.log']);
      const bad = new FormData();
      bad.append('file', new Blob(['fine\n']), 'fine.log');
      bad.append('file', new Blob(['evil\n']), '../evil.log');
      const refused = await fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: bad, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(refused.status, 400);
      const empty = new FormData();
      empty.append('note', 'no file');
      assert.equal((await fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: empty, headers: { authorization: `Bearer ${TOKEN}` } })).status, 400);
      assert.deepEqual((await listState(area.root, 'unprocessed')).sort(), ['one.log', 'zwei-ü.log']);
      assert.equal(await readFile(statePath(area.root, 'unprocessed', 'zwei-ü.log'), 'utf8'), '2 [WARN] zwei\n');
      assert.deepEqual(await temporaryUploads(area.root), []);
    });

    it('lands 200 concurrent uploads of one name, none lost or mixed up, each under its own name', async () => {
      const { area, port, queue } = await setUp();
      queue.pause(); // the names are compared in the inbox, before the queue renames anything
      const bodies = Array.from({ length: 200 }, (_, i) => `${'x'.repeat(i)} upload ${i} [WARN] number ${i}\n`);
      const replies = await Promise.all(bodies.map((body) => call(port, '/upload?name=same.log', { method: 'POST', body })));
      const names = replies.map((reply, i) => {
        assert.equal(reply.status, 201, `upload ${i}: ${reply.text}`);
        return reply.json<{ files: { name: string }[] }>().files[0].name;
      });
      assert.equal(new Set(names).size, 200, 'unique names');
      assert.ok(names.includes('same.log') && names.includes('same (200).log'));
      const inbox = await listState(area.root, 'unprocessed');
      assert.equal(inbox.length, 200);
      for (const [i, name] of names.entries()) assert.equal(await readFile(statePath(area.root, 'unprocessed', name), 'utf8'), bodies[i], name);
      assert.deepEqual(await temporaryUploads(area.root), []);
      queue.resume();
      await waitFor('all 200 processed', async () => (await listState(area.root, 'processed')).length === 200, { root: area.root });
      await queue.drain();
      assert.equal(queue.metrics.processed, 200);
    });
  });

  describe('/health', () => {
    it('turns 503 "degraded" when files wait and none finish for stuckAfterSec, and back to 200', async () => {
      const { area, port, queue } = await setUp({ stuckAfterSec: 1 });
      const healthy = await call(port, '/health', { token: null });
      assert.equal(healthy.status, 200);
      assert.equal(healthy.json<{ status: string }>().status, 'ok');
      assert.equal(typeof healthy.json<{ uptimeSec: number }>().uptimeSec, 'number');
      queue.pause();
      await dropFile(area.root, 'stuck.log', LOG);
      let degraded: Reply | undefined;
      await waitFor('/health to turn 503', async () => {
        degraded = await call(port, '/health', { token: null });
        return degraded.status === 503;
      });
      const body = (degraded as Reply).json<{ status: string; reasons: string[] }>();
      assert.equal(body.status, 'degraded');
      assert.match(body.reasons.join('\n'), /1 file\(s\) waiting and none finished for \d+ s/);
      const metrics = parsePrometheusTextFormat((await call(port, '/metrics')).text);
      assert.equal(metrics.find((m) => m.name === 'fileflow_degraded')?.metrics[0].value, '1');
      queue.resume();
      await waitFor('stuck.log processed', () => pathExists(statePath(area.root, 'processed', 'stuck.log')), { root: area.root });
      await waitFor('/health back to 200', async () => (await call(port, '/health', { token: null })).status === 200);
      // Still ok long after: nothing waits, so an idle queue is never "stuck".
      await sleep(1500);
      assert.equal((await call(port, '/health', { token: null })).status, 200);
    });

    it('reports the host’s problems (watcher failed, pipeline file invalid) as 503 with the reasons', async () => {
      const problems: string[] = [];
      const { port } = await setUp({ problems: () => problems });
      assert.equal((await call(port, '/health', { token: null })).status, 200);
      problems.push('the pipeline file is invalid: nodes.x.use: unknown processor "nope"');
      const reply = await call(port, '/health', { token: null });
      assert.equal(reply.status, 503);
      assert.deepEqual(reply.json<{ reasons: string[] }>().reasons, ['root: the pipeline file is invalid: nodes.x.use: unknown processor "nope"']);
      problems.length = 0;
      assert.equal((await call(port, '/health', { token: null })).status, 200);
    });
  });

  describe('/metrics', () => {
    it('is the Prometheus text format, with files, lines, bytes, latency, nodes, queue depth and instance info', async () => {
      const { area, port, queue } = await setUp();
      await dropFile(area.root, 'a.log', LOG);
      await dropFile(area.root, 'b.bin', Buffer.from([0, 1, 2]));
      await waitFor('both finished', async () => (await listState(area.root, 'processed')).length === 1 && (await listState(area.root, 'failed')).length === 1, { root: area.root });
      await queue.drain();
      queue.pause();
      await placeFile(area.root, 'unprocessed', 'later.log', LOG);
      await waitFor('later.log queued', () => queue.metrics.queued === 1);
      const reply = await call(port, '/metrics');
      assert.equal(reply.status, 200);
      assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const families = new Map(parsePrometheusTextFormat(reply.text).map((family) => [family.name, family]));
      const value = (name: string, labels: Record<string, string> = {}): number => {
        const family = families.get(name);
        assert.ok(family, `${name} is missing`);
        const series = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => (m as { labels?: Record<string, string> }).labels?.[k] === v));
        assert.ok(series, `${name}${JSON.stringify(labels)} is missing`);
        return Number((series as { value?: string }).value);
      };
      const root = { root: area.root };
      assert.equal(families.get('fileflow_files_total')?.type, 'COUNTER');
      assert.equal(value('fileflow_files_total', { ...root, status: 'processed' }), 1);
      assert.equal(value('fileflow_files_total', { ...root, status: 'failed' }), 1);
      assert.equal(value('fileflow_lines_in_total', root), 2);
      assert.equal(value('fileflow_lines_out_total', root), 1);
      assert.equal(value('fileflow_bytes_in_total', root), Buffer.byteLength(LOG) + 3, 'both files');
      assert.ok(value('fileflow_bytes_out_total', root) > 0);
      assert.equal(value('fileflow_queue_files', { ...root, state: 'queued' }), 1);
      assert.equal(value('fileflow_queue_files', { ...root, state: 'in_progress' }), 0);
      assert.equal(value('fileflow_node_lines_in_total', { ...root, pipeline: 'logs', node: 'warn' }), 1);
      assert.equal(value('fileflow_node_lines_in_total', { ...root, pipeline: 'logs', node: 'start' }), 2);
      assert.equal(value('fileflow_up', root), 1);
      assert.equal(value('fileflow_info', { version: 'test' }), 1);
      const latency = families.get('fileflow_file_latency_seconds');
      assert.equal(latency?.type, 'HISTOGRAM');
      // (The parser folds a labelled histogram into one set of buckets: one root here.)
      assert.equal(latency?.metrics[0].buckets?.['+Inf'], '2');
      assert.match(reply.text, new RegExp(`^fileflow_file_latency_seconds_count\\{root="${area.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\} 2$`, 'm'));
      // Every sample line is well-formed: name, optional labels, a number.
      for (const line of reply.text.split('\n')) {
        if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
        assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*")*\})? (?:-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|[+-]Inf)$/, line);
      }
      assert.ok(families.has('process_resident_memory_bytes'));
      assert.ok(families.has('fileflow_file_duration_seconds'));
    });
  });

  describe('/events (the dashboard feed)', () => {
    it('streams the snapshot, then updates and file lists as files move', async () => {
      const { area, port } = await setUp();
      const messages: HostToWebview[] = [];
      const req = httpRequest({ host: '127.0.0.1', port, path: '/events', headers: { authorization: `Bearer ${TOKEN}` }, agent: false });
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/event-stream/);
      let buffer = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
          if (data) messages.push(JSON.parse(data) as HostToWebview);
        }
      });
      try {
        await waitFor('the snapshot', () => messages.length > 0);
        const first = messages[0];
        assert.equal(first.type, 'snapshot');
        assert.equal(first.type === 'snapshot' && first.state.selected, area.root);
        await dropFile(area.root, 'live.log', LOG);
        await waitFor('an update counting live.log', () => messages.some((m) => m.type === 'update' && m.metrics?.files.processed === 1));
        await waitFor('a file list with live.log processed', () => messages.some((m) => m.type === 'files' && m.lists.files.processed.some((f) => f.name === 'live.log') && m.lists.counts.processed === 1));
      } finally {
        req.destroy();
      }
    });
  });

  it('parses --http addresses', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:8000'), { host: '127.0.0.1', port: 8000 });
    assert.deepEqual(parseListenAddress('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListenAddress(':8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenAddress('8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenAddress('localhost:1'), { host: 'localhost', port: 1 });
    for (const bad of ['', 'host', '1.2.3.4:', '1.2.3.4:65536', '::1:80', 'a b:80', '1.2.3.4:8x']) assert.throws(() => parseListenAddress(bad), /--http/, bad);
  });
});
