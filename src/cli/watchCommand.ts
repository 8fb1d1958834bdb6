// `fileflow watch ROOT`: the folder queue in a terminal. Stops cleanly on SIGINT/SIGTERM
// (in-flight files finish, nothing new is taken); `--once` drains what is there and exits.

import * as path from 'node:path';
import { formatListenAddress, isLoopback } from '../core/http/address';
import type { RunningHttpServer, SingleRootSource } from '../core/http/server';
import { streamLogger, type Logger } from '../core/logger';
import { FolderQueue } from '../core/queue/folderQueue';
import { UsageError, type Command } from './args';
import { formatMetrics } from './formatMetrics';
import { version } from '../../package.json';

type WatchCommand = Extract<Command, { kind: 'watch' }>;

export interface WatchIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  /** The environment (FILEFLOW_HTTP_TOKEN); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Registers a handler for SIGINT/SIGTERM; returns a function that removes it. */
  onSignal(handler: (signal: string) => void): () => void;
}

export async function watchCommand(command: WatchCommand, pipelineFile: string | undefined, io: WatchIo): Promise<number> {
  const logger = streamLogger(command.logLevel, io.err);
  const root = path.resolve(io.cwd, command.root);
  const queue = new FolderQueue({
    root,
    pipelineFile,
    concurrency: command.concurrency,
    stabilityMs: command.stabilityMs,
    fileTimeoutMs: command.fileTimeoutSec === undefined ? undefined : command.fileTimeoutSec * 1000,
    watch: !command.once,
    logger,
  });
  // Only whether any file failed is needed for the exit status; keeping every summary leaked
  // ~1.3 KB per file in a long-running watch.
  let anyFailed = false;
  queue.on('event', (event) => {
    if (event.type !== 'finished') return;
    if (event.summary.status === 'failed') anyFailed = true;
    if (command.json) return;
    const s = event.summary;
    io.out(
      s.status === 'processed'
        ? `✓ ${s.name} (${s.linesIn} lines in, ${s.linesOut} out, ${s.latencyMs} ms)\n`
        : `✗ ${s.name} -> failed/: ${s.error?.message}\n`,
    );
  });

  // Bound before the queue starts: an address in use is a usage error that moves nothing.
  const http = command.http ? await startHttp(command.http, queue, root, logger, io) : undefined;

  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const removeSignalHandler = io.onSignal((signal) => {
    logger.warn(`${signal}: finishing files in flight, taking no new ones`);
    // Take nothing from now on, even if the signal came while the queue was still starting
    // (start() recovers and scans, and would otherwise hand files to the workers).
    queue.pause();
    stopRequested?.();
  });
  try {
    await queue.start();
    http?.source.setStatus('watching');
    if (!command.json) {
      io.err(command.once ? `fileflow: draining ${root}\n` : `fileflow: watching ${path.join(root, 'unprocessed')} (Ctrl+C to stop)\n`);
    }
    if (command.once) await Promise.race([queue.drain(), stopped]);
    else await stopped;
  } finally {
    http?.source.setStatus('stopping');
    await queue.stop();
    await http?.server.close();
    removeSignalHandler();
  }

  const snapshot = queue.metrics.snapshot();
  if (command.json) {
    io.out(JSON.stringify({ metrics: snapshot }, null, 2) + '\n');
  } else {
    io.out(formatMetrics(snapshot, path.join(command.root, 'results')));
  }
  return anyFailed ? 1 : 0;
}

/**
 * `--http HOST:PORT`: the API and dashboard for this queue (docs/http.md). The token comes
 * from FILEFLOW_HTTP_TOKEN, or is generated and written to ROOT/.fileflow/http-token (0600);
 * a generated one is shown once, in the dashboard link. The server code is loaded only here.
 */
async function startHttp(
  address: { host: string; port: number },
  queue: FolderQueue,
  root: string,
  logger: Logger,
  io: WatchIo,
): Promise<{ server: RunningHttpServer; source: SingleRootSource }> {
  const http = await import('../core/http/server');
  let token: string | undefined;
  try {
    token = http.tokenFromEnvironment(io.env ?? process.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const generated = token === undefined;
  token ??= http.generateToken();
  const source = http.folderQueueSource(queue);
  let server: RunningHttpServer;
  try {
    server = await http.startHttpServer({ ...address, token, source, logger, version });
  } catch (error) {
    throw new UsageError(`--http: ${(error as Error).message}`);
  }
  try {
    const where = generated ? ` (token in ${await http.writeTokenFile(root, token)})` : ` (token from $${http.TOKEN_ENV})`;
    io.err(`fileflow: HTTP API and dashboard at ${server.url}/${generated ? `#token=${token}` : ''}${where}\n`);
  } catch (error) {
    await server.close();
    throw new UsageError(`--http: could not write the token file: ${(error as Error).message}`);
  }
  if (!isLoopback(address.host)) {
    io.err(
      `fileflow: warning: the HTTP API listens on ${formatListenAddress({ host: address.host, port: server.port })}, which other machines can reach; ` +
        'anyone with the token can read results and queue files, and the traffic is not encrypted (put a TLS proxy in front)\n',
    );
  }
  return { server, source };
}
