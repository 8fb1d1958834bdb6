// The HTTP status API (docs/http.md): Node's own http module, no framework — eight routes,
// a bearer token and a few limits do not need one. Used by `fileflow watch --http` and, loaded
// only when enabled, by the extension (one server per window for all its roots, `?root=`).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { silentLogger, type Logger } from '../logger';
import { FILE_STATES, listState, type FileState } from '../queue/stateListing';
import { authorized } from './auth';
import { DASHBOARD_CSP, DashboardAssets } from './dashboard';
import { acceptsFor, DashboardFeed } from './feed';
import { DEFAULT_STUCK_AFTER_SEC, rootProblems } from './health';
import type { HttpRoot, HttpRootSource } from './httpRoot';
import { checkedFileName, HttpError, isFileInside, openInside, queryParams } from './names';
import { PrometheusMetrics } from './prometheus';
import { ThroughputSampler } from './throughput';
import { ClientGone, DEFAULT_MAX_UPLOAD_BYTES, receiveUpload, removeStaleUploads } from './upload';

export { folderQueueSource, type HttpRoot, type HttpRootSource, type SingleRootSource } from './httpRoot';
export { generateToken, tokenFromEnvironment, writeTokenFile, TOKEN_ENV, TOKEN_FILE } from './auth';

export interface HttpServerOptions {
  host: string;
  /** 0 picks any free port (see RunningHttpServer.port). */
  port: number;
  token: string;
  source: HttpRootSource;
  logger?: Logger;
  /** Shown in fileflow_info. */
  version?: string;
  /** /health turns 503 when files have waited this long with none finished (default 300). */
  stuckAfterSec?: number;
  /** Largest upload body (default 100 MB). */
  maxUploadBytes?: number;
  /** Time to receive a whole request, body included (default 10 min: a 100 MB upload on a slow link). */
  requestTimeoutMs?: number;
  /** Where main.js, styles.css and dashboard.css are (default: dist/webview beside this bundle). */
  assetsDir?: string;
  /** Event streams open at once (default 64). */
  maxEventStreams?: number;
}

export interface RunningHttpServer {
  readonly host: string;
  readonly port: number;
  /** http://HOST:PORT (IPv6 hosts in brackets). */
  readonly url: string;
  close(): Promise<void>;
}

const HEADERS_TIMEOUT_MS = 15_000;
const MAX_CONNECTIONS = 1024;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const SMALL_BODY_BYTES = 64 * 1024;
/** An error answered before the request body was read: how long its rest is drained before the socket is closed. */
const DRAIN_MS = 2000;

const STATE_NAMES: Record<string, FileState> = {
  queued: 'queued',
  unprocessed: 'queued',
  inprogress: 'inProgress',
  'in-progress': 'inProgress',
  in_progress: 'inProgress',
  underprocess: 'inProgress',
  processed: 'processed',
  failed: 'failed',
};

/** Starts listening; rejects with a one-line message when the address cannot be had. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = new FileflowHttpServer(options);
  await server.listen();
  return server;
}

class FileflowHttpServer implements RunningHttpServer {
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly stuckAfterMs: number;
  private readonly maxUploadBytes: number;
  private readonly assets: DashboardAssets;
  private readonly prometheus: PrometheusMetrics;
  private readonly feed: DashboardFeed;
  private readonly startedAt = Date.now();
  private readonly sockets = new Set<Socket>();
  /** Requests being handled: close() waits for them, so an upload cut short removes its temporary file first. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;
  private boundPort = 0;

  constructor(private readonly options: HttpServerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.stuckAfterMs = (options.stuckAfterSec ?? DEFAULT_STUCK_AFTER_SEC) * 1000;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.assets = new DashboardAssets(options.assetsDir ?? path.join(__dirname, 'webview'));
    if (this.assets.problem) this.logger.warn(`http: ${this.assets.problem}`);
    this.prometheus = new PrometheusMetrics(options.source, { version: options.version ?? 'unknown', stuckAfterMs: this.stuckAfterMs });
    this.unsubscribe = options.source.onEvent((root, event) => {
      if (event.type === 'finished') this.prometheus.observe(root, event.summary);
    });
    this.feed = new DashboardFeed(options.source, new ThroughputSampler(), this.logger);
    this.server = createServer({ requestTimeout: options.requestTimeoutMs ?? 600_000, headersTimeout: HEADERS_TIMEOUT_MS }, (request, response) => this.track(request, response));
    this.server.maxConnections = MAX_CONNECTIONS;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // curl sends `Expect: 100-continue` before a large body: refuse before it is sent.
    this.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
      const early = this.earlyRefusal(request);
      if (early) {
        this.sendError(request, response, early);
        return;
      }
      response.writeContinue();
      this.track(request, response);
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (socket.writable && error.code !== 'ECONNRESET') {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
  }

  get host(): string {
    return this.options.host;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.boundPort}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const where = `${this.options.host}:${this.options.port}`;
        const why = error.code === 'EADDRINUSE' ? 'the address is already in use' : error.code === 'EACCES' ? 'permission denied' : error.code === 'EADDRNOTAVAIL' ? 'no such local address' : error.message;
        reject(new Error(`cannot listen on ${where}: ${why}`));
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    for (const root of this.options.source.list()) {
      void removeStaleUploads(root.layout).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.feed.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Requests still running (an upload, an event stream) end now: their temporary files go.
      for (const socket of this.sockets) socket.destroy();
    });
    await Promise.allSettled([...this.inFlight]);
  }

  private track(request: IncomingMessage, response: ServerResponse): void {
    const work = this.handle(request, response);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  // -------------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const raw = request.url ?? '/';
    const at = raw.indexOf('?');
    const pathname = at === -1 ? raw : raw.slice(0, at);
    const search = at === -1 ? '' : raw.slice(at + 1);
    response.on('finish', () => this.logger.debug(`http: ${request.method} ${pathname} ${response.statusCode} (${Date.now() - started} ms)`));
    setCommonHeaders(response);
    try {
      await this.route(request, response, pathname, queryParams(search));
    } catch (error) {
      if (error instanceof ClientGone) {
        response.destroy();
        return;
      }
      if (!(error instanceof HttpError)) this.logger.error(`http: ${request.method} ${pathname} failed`, error);
      const httpError = error instanceof HttpError ? error : new HttpError(500, `internal error: ${(error as Error).message}`);
      this.sendError(request, response, httpError);
    }
  }

  private async route(request: IncomingMessage, response: ServerResponse, pathname: string, query: Map<string, string>): Promise<void> {
    const method = request.method === 'HEAD' ? 'GET' : (request.method ?? 'GET');
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new HttpError(405, `${request.method} is not allowed on ${pathname}`, { Allow: methods.includes('GET') ? [...methods, 'HEAD'].join(', ') : methods.join(', ') });
    };

    // Public: the health check and the dashboard's static page (it holds no data).
    if (pathname === '/health') {
      allow('GET');
      return this.health(response, query);
    }
    if (pathname === '/' || pathname === '/index.html') {
      allow('GET');
      if (this.assets.problem) throw new HttpError(500, this.assets.problem);
      response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      return send(response, 200, 'text/html; charset=utf-8', this.assets.page);
    }
    if (pathname.startsWith('/assets/')) {
      allow('GET');
      const asset = this.assets.asset(pathname.slice('/assets/'.length));
      if (!asset) throw new HttpError(404, `no such file: ${pathname}`);
      response.setHeader('Cache-Control', 'no-cache');
      return send(response, 200, asset.type, asset.body);
    }

    const known = pathname === '/stats' || pathname === '/files' || pathname === '/upload' || pathname === '/metrics' || pathname === '/events' || pathname === '/roots' || pathname.startsWith('/files/');
    if (!known) throw new HttpError(404, `no such endpoint: ${pathname} (see docs/http.md)`);
    this.requireToken(request);

    if (pathname === '/roots') {
      allow('GET');
      return sendJson(response, 200, { roots: this.options.source.list().map((r) => ({ root: r.root, label: r.label, status: r.status() })) });
    }
    if (pathname === '/stats') {
      allow('GET');
      const root = this.root(query);
      const metrics = root.metrics();
      if (!metrics) throw new HttpError(503, `the queue of ${root.label} is not running (${root.status()})`);
      return sendJson(response, 200, metrics.snapshot());
    }
    if (pathname === '/metrics') {
      allow('GET');
      return send(response, 200, this.prometheus.contentType, Buffer.from(await this.prometheus.text()));
    }
    if (pathname === '/events') {
      allow('GET');
      if (this.feed.clientCount >= (this.options.maxEventStreams ?? 64)) throw new HttpError(503, 'too many dashboards are open');
      return this.feed.open(response, this.root(query));
    }
    if (pathname === '/upload') {
      allow('POST');
      const root = this.root(query);
      const saved = await receiveUpload(request, query, { layout: root.layout, accepts: (name) => root.accepts(name), maxBytes: this.maxUploadBytes });
      for (const file of saved) this.logger.info(`http: received ${file.name} (${file.bytes} bytes)${file.name === file.requested ? '' : ` (sent as ${file.requested})`}`);
      return sendJson(response, 201, { root: root.root, files: saved });
    }
    if (pathname === '/files') {
      allow('GET');
      return this.files(response, query);
    }
    // /files/<name>/result | summary | retry
    const action = /\/(result|summary|retry)$/.exec(pathname);
    if (!action) throw new HttpError(404, `no such endpoint: ${pathname} (use /files/<name>/result, /summary or /retry)`);
    const name = checkedFileName(pathname.slice('/files/'.length, pathname.length - action[0].length));
    const root = this.root(query);
    if (action[1] === 'retry') {
      allow('POST');
      await drainSmallBody(request);
      if (!(await isFileInside(root.layout.folder('failed'), name))) throw new HttpError(404, `no failed file named "${name}"`);
      const queuedAs = await root.retryFailed(name);
      this.logger.info(`http: retrying ${name}${queuedAs === name ? '' : ` as ${queuedAs}`}`);
      return sendJson(response, 200, { root: root.root, name, queuedAs });
    }
    allow('GET');
    const results = root.layout.folder('results');
    const file = action[1] === 'result' ? path.relative(results, root.layout.resultPath(name)) : path.relative(results, root.layout.summaryPath(name));
    const opened = await openInside(results, file.split(path.sep).join('/'));
    if (!opened) throw new HttpError(404, `no ${action[1]} for "${name}"`);
    try {
      response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      const type = action[1] === 'summary' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
      response.writeHead(200, { 'Content-Type': type, 'Content-Length': String(opened.size) });
      if (request.method === 'HEAD') {
        response.end();
        return;
      }
      await new Promise<void>((resolve) => {
        const stream = opened.handle.createReadStream({ start: 0, end: Math.max(0, opened.size - 1), autoClose: false });
        if (opened.size === 0) {
          stream.destroy();
          response.end();
          resolve();
          return;
        }
        stream.pipe(response);
        stream.on('error', () => {
          response.destroy();
          resolve();
        });
        response.on('close', resolve);
      });
    } finally {
      await opened.handle.close();
    }
  }

  /** The root a request means: `?root=` (its path or label), else the first. */
  private root(query: Map<string, string>): HttpRoot {
    const roots = this.options.source.list();
    const wanted = query.get('root');
    if (wanted === undefined || wanted === '') {
      if (roots.length === 0) throw new HttpError(404, 'no queue root is being served');
      return roots[0];
    }
    const byPath = roots.find((r) => r.root === wanted || r.root === path.resolve(wanted));
    if (byPath) return byPath;
    const byLabel = roots.filter((r) => r.label === wanted);
    if (byLabel.length === 1) return byLabel[0];
    const known = roots.map((r) => r.root).join(', ') || 'none';
    throw new HttpError(byLabel.length > 1 ? 400 : 404, byLabel.length > 1 ? `several roots are named "${wanted}": give its path` : `no queue root "${wanted}" (roots: ${known})`);
  }

  private requireToken(request: IncomingMessage): void {
    if (!authorized(request.headers.authorization, this.options.token)) {
      throw new HttpError(401, request.headers.authorization === undefined ? 'missing bearer token (Authorization: Bearer TOKEN)' : 'wrong token', { 'WWW-Authenticate': 'Bearer realm="fileflow"' });
    }
  }

  /** Refusals that need no body: checked before curl is told to send it. */
  private earlyRefusal(request: IncomingMessage): HttpError | undefined {
    if (!authorized(request.headers.authorization, this.options.token)) return new HttpError(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer realm="fileflow"' });
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > this.maxUploadBytes) return new HttpError(413, `the upload is larger than the limit of ${this.maxUploadBytes} bytes`);
    return undefined;
  }

  private health(response: ServerResponse, query: Map<string, string>): void {
    const now = Date.now();
    const roots = query.has('root') ? [this.root(query)] : this.options.source.list();
    const reasons = roots.flatMap((root) => rootProblems(root, this.stuckAfterMs, now));
    const uptimeSec = Math.round((now - this.startedAt) / 100) / 10;
    if (reasons.length > 0) return sendJson(response, 503, { status: 'degraded', uptimeSec, reasons });
    sendJson(response, 200, { status: 'ok', uptimeSec });
  }

  private async files(response: ServerResponse, query: Map<string, string>): Promise<void> {
    const root = this.root(query);
    const statusParam = query.get('status');
    const states = statusParam === undefined || statusParam === '' || statusParam === 'all' ? FILE_STATES : [...new Set(statusParam.split(',').map(stateOf))];
    const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const counts: Partial<Record<FileState, number>> = {};
    const all: { name: string; status: FileState; time: number }[] = [];
    for (const state of states) {
      const listed = await listState(root.layout, state, acceptsFor(root, state));
      counts[state] = listed.length;
      for (const f of listed) all.push({ name: f.name, status: state, time: f.time });
    }
    if (states.length > 1) all.sort((a, b) => b.time - a.time || a.name.localeCompare(b.name));
    const page = all.slice(offset, offset + limit);
    const rootParam = query.has('root') ? `&root=${encodeURIComponent(query.get('root') as string)}` : '';
    const next = offset + limit < all.length ? `/files?${statusParam ? `status=${encodeURIComponent(statusParam)}&` : ''}limit=${limit}&offset=${offset + limit}${rootParam}` : null;
    sendJson(response, 200, {
      root: root.root,
      counts,
      total: all.length,
      offset,
      limit,
      next,
      files: page.map((f) => {
        const href = `/files/${f.name.split('/').map(encodeURIComponent).join('/')}`;
        return {
          name: f.name,
          status: f.status,
          time: new Date(f.time).toISOString(),
          ...(f.status === 'processed' ? { result: `${href}/result` } : {}),
          ...(f.status === 'processed' || f.status === 'failed' ? { summary: `${href}/summary` } : {}),
          ...(f.status === 'failed' ? { retry: `${href}/retry` } : {}),
        };
      }),
    });
  }

  private sendError(request: IncomingMessage, response: ServerResponse, error: HttpError): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    for (const [key, value] of Object.entries(error.headers)) response.setHeader(key, value);
    sendJson(response, error.status, { error: error.message });
    if (!request.complete) drainThenClose(request);
  }
}

function setCommonHeaders(response: ServerResponse): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function send(response: ServerResponse, status: number, type: string, body: Buffer): void {
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': String(body.length) });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', Buffer.from(`${JSON.stringify(value)}\n`));
}

function stateOf(value: string): FileState {
  const state = STATE_NAMES[value.trim().toLowerCase()];
  if (!state) throw new HttpError(400, `unknown status "${value}" (queued, inProgress, processed, failed, or all)`);
  return state;
}

function intParam(query: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const value = query.get(name);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max} (got "${value}")`);
  return Number(value);
}

/** Reads (and drops) a body that should be empty or small; a large one is refused. */
async function drainSmallBody(request: IncomingMessage): Promise<void> {
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > SMALL_BODY_BYTES) throw new HttpError(413, 'this request takes no body');
  }
}

/**
 * After an error answered before the body was read: reads and drops the rest for a moment,
 * then closes the connection. Closing at once would make the kernel reset it, and a client
 * still sending would then often lose the answer.
 */
function drainThenClose(request: IncomingMessage): void {
  request.resume();
  const timer = setTimeout(() => request.socket.destroy(), DRAIN_MS);
  timer.unref();
  request.once('end', () => clearTimeout(timer));
  request.once('close', () => clearTimeout(timer));
}
