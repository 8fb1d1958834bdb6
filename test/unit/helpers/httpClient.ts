// A small HTTP client for the HTTP API tests: Node's http module, so paths are sent exactly
// as written (fetch would normalise "..") and a request can be cut off half-way.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { FolderQueue } from '../../../src/core/queue/folderQueue';
import { folderQueueSource, startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../../src/core/http/server';
import { REPO_ROOT } from '../support/harness';

export const TOKEN = 'test-token-0123456789abcdef';
export const ASSETS = path.join(REPO_ROOT, 'dist', 'webview');

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The bearer token to send; null sends none. Default: TOKEN. */
  token?: string | null;
}

/** Reads a response to its end; rejects when it breaks off. */
function readReply(res: IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: <T>() => JSON.parse(text) as T });
    });
    res.on('error', reject);
  });
}

export function call(port: number, rawPath: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: rawPath, method: options.method ?? 'GET', headers, agent: false }, (res) => {
      readReply(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Starts a request and returns it unfinished (the body is written by the caller). */
export function openRequest(port: number, rawPath: string, headers: Record<string, string>): { req: ClientRequest; response: Promise<Reply | Error> } {
  const req = httpRequest({ host: '127.0.0.1', port, path: rawPath, method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, ...headers }, agent: false });
  const response = new Promise<Reply | Error>((resolve) => {
    req.on('response', (res) => {
      readReply(res).then(resolve, (error: Error) => resolve(error));
    });
    req.on('error', resolve);
  });
  return { req, response };
}

/** Waits for the socket to be connected (so that a later destroy really cuts a request short). */
export async function connected(req: ClientRequest): Promise<void> {
  if (req.socket && !req.socket.connecting) return;
  const [socket] = (await once(req, 'socket')) as [Socket];
  if (socket.connecting) await once(socket, 'connect');
}

/** Registers an afterEach hook that closes every server the returned function started. */
export function useHttpServers(): (queue: FolderQueue, options?: Partial<HttpServerOptions> & { problems?: () => string[] }) => Promise<RunningHttpServer> {
  const running: RunningHttpServer[] = [];
  afterEach(async () => {
    while (running.length > 0) await (running.pop() as RunningHttpServer).close();
  });
  return async (queue, options = {}) => {
    const source = folderQueueSource(queue, { problems: options.problems });
    source.setStatus('watching');
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, token: TOKEN, source, assetsDir: ASSETS, version: 'test', ...options });
    running.push(server);
    return server;
  };
}

/** Hidden temporary upload files of a queue root (in .fileflow/uploads/ or the inbox). */
export async function temporaryUploads(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of [path.join(root, '.fileflow', 'uploads'), path.join(root, 'unprocessed')]) {
    try {
      found.push(...(await readdir(dir)).filter((name) => name.startsWith('.fileflow-upload-')));
    } catch {
      // no such folder
    }
  }
  return found;
}
