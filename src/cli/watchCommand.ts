// `fileflow watch ROOT`: the folder queue in a terminal. Says which root and pipeline it uses,
// stops cleanly on SIGINT/SIGTERM (in-flight files finish, nothing new is taken); `--once`
// drains what is there and exits; `--json` streams the queue's events as NDJSON (docs/cli.md).

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { version } from '../../package.json';
import { DEFAULT_PIPELINE_FILE, workerCount } from '../core/defaults';
import { formatListenAddress, isLoopback } from '../core/http/address';
import type * as HttpModule from '../core/http/server';
import type { RunningHttpServer, SingleRootSource } from '../core/http/server';
import { streamLogger, type Logger } from '../core/logger';
import { FolderQueue, type StopReport, type UnfinishedFile } from '../core/queue/folderQueue';
import { UsageError, type Command } from './args';
import { cliLine, eventLine, snapshotLine } from './events';
import { formatMetrics } from './formatMetrics';
import { resolveQueueRoot, shown } from './paths';

type WatchCommand = Extract<Command, { kind: 'watch' }>;

export interface WatchIo {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  /** The environment (FILEFLOW_HTTP_TOKEN); process.env when not given. */
  env?: NodeJS.ProcessEnv;
  /** Registers a handler for SIGINT/SIGTERM; returns a function that removes it. */
  onSignal: (handler: (signal: string) => void) => () => void;
}

export async function watchCommand(command: WatchCommand, pipelineFile: string | undefined, io: WatchIo): Promise<number> {
  const logger = streamLogger(command.logLevel, io.err);
  const { root, fromInbox, created } = await resolveQueueRoot(command.root, io.cwd, command.create ?? false);
  const inbox = path.join(root, 'unprocessed');
  // 0 (or nothing) means one per CPU, as in the extension.
  const concurrency = workerCount(command.concurrency);

  io.err(`fileflow: queue root ${root}${created ? ' (created)' : ''}${fromInbox ? ` (${command.root} is its inbox)` : ''}\n`);
  io.err(
    pipelineFile === undefined
      ? `fileflow: pipeline: the built-in default (log triage; no ${DEFAULT_PIPELINE_FILE} in ${io.cwd})\n`
      : `fileflow: pipeline ${pipelineFile}\n`,
  );

  const queue = new FolderQueue({
    root,
    pipelineFile,
    concurrency,
    stabilityMs: command.stabilityMs,
    fileTimeoutMs: command.fileTimeoutSec === undefined ? undefined : command.fileTimeoutSec * 1000,
    maxLineBytes: command.maxLineBytes,
    ignore: command.ignore,
    retry: command.retries === undefined ? undefined : { maxAttempts: command.retries },
    usePolling: command.poll ?? false,
    leaseSec: command.leaseSec,
    instanceKind: 'cli',
    watch: !command.once,
    logger,
  });
  // Only whether any file failed is needed for the exit status; keeping every summary leaked
  // ~1.3 KB per file in a long-running watch.
  let anyFailed = false;
  queue.on('event', (event) => {
    if (event.type === 'finished' && event.summary.status === 'failed') anyFailed = true;
    if (command.json) {
      io.out(eventLine(event));
      return;
    }
    if (event.type === 'pipelineReloaded') io.err(`fileflow: reloaded the pipeline from ${event.file}; files claimed from now on use it\n`);
    if (event.type !== 'finished') return;
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
  let signals = 0;
  const removeSignalHandler = io.onSignal((signal) => {
    if (++signals > 1) {
      // The second Ctrl-C: stop now. Files in flight stay in underprocess/ for recovery.
      io.err(`fileflow: ${signal} again: stopping now; files in flight stay in underprocess/ and are processed again at the next start\n`);
      if (command.json) io.out(cliLine('stopping', { signal, immediately: true }));
      void queue.stopNow();
      return;
    }
    io.err(`fileflow: ${signal}: finishing the files in flight (up to 10 s), taking no new ones; ${signal} again to stop at once\n`);
    if (command.json) io.out(cliLine('stopping', { signal }));
    // Take nothing from now on, even if the signal came while the queue was still starting
    // (start() recovers and scans, and would otherwise hand files to the workers).
    queue.pause();
    stopRequested?.();
  });
  let report: StopReport;
  try {
    if (command.json) {
      io.out(cliLine('started', { root, inbox, pipeline: pipelineFile ?? null, concurrency, once: command.once, polling: command.poll ?? false }));
    }
    await queue.start();
    http?.source.setStatus('watching');
    const workers = `${concurrency} worker${concurrency === 1 ? '' : 's'}${command.poll ? ', polling' : ''}`;
    io.err(command.once ? `fileflow: draining ${inbox} (${workers})\n` : `fileflow: watching ${inbox} (${workers}; Ctrl+C to stop)\n`);
    if (command.once) await Promise.race([queue.drain(), stopped]);
    else await stopped;
  } finally {
    http?.source.setStatus('stopping');
    report = await queue.stop();
    await http?.server.close();
    removeSignalHandler();
  }

  const snapshot = queue.metrics.snapshot();
  if (command.json) {
    io.out(snapshotLine(snapshot));
  } else {
    io.out(formatMetrics(snapshot, shown(path.join(root, 'results'), io.cwd)));
  }
  const unfinished = describeUnfinished(report, queue.unfinished);
  if (unfinished !== undefined) io.err(unfinished);
  // --once promises a drained queue: a file left behind is as much a failure as a failed one.
  return anyFailed || (command.once && unfinished !== undefined) ? 1 : 0;
}

/** Exactly what stayed where, or undefined when nothing did. */
export function describeUnfinished(report: StopReport, gaveUp: UnfinishedFile[]): string | undefined {
  const lines: string[] = [];
  const underprocess = new Set(report.inUnderprocess);
  for (const file of gaveUp) if (file.where === 'underprocess') underprocess.add(file.name);
  const inbox = new Set(report.inInbox);
  for (const file of gaveUp) if (file.where === 'unprocessed') inbox.add(file.name);
  const reasons = new Map(gaveUp.map((file) => [`${file.where}/${file.name}`, file.reason]));
  const list = (where: string, names: Set<string>): string =>
    [...names]
      .sort()
      .slice(0, 20)
      .map((name) => `  ${where}/${name}${reasons.has(`${where}/${name}`) ? `: ${reasons.get(`${where}/${name}`)}` : ''}\n`)
      .join('') + (names.size > 20 ? `  … and ${names.size - 20} more\n` : '');
  if (underprocess.size > 0) {
    lines.push(`fileflow: ${underprocess.size} file(s) unfinished stay in underprocess/ (processed again at the next start):\n${list('underprocess', underprocess)}`);
  }
  if (inbox.size > 0) lines.push(`fileflow: ${inbox.size} file(s) not taken stay in unprocessed/:\n${list('unprocessed', inbox)}`);
  return lines.length === 0 ? undefined : lines.join('');
}

/**
 * The HTTP server's module. The CLI's bundle leaves it out, so that the runs that serve no HTTP
 * (most of them) do not parse it at every start: it is dist/http.js beside dist/cli.js, as for
 * the extension. Run from the compiled sources (the unit tests), it is the module itself.
 */
function loadHttpModule(): typeof HttpModule {
  const bundled = path.join(__dirname, 'http.js');
  const file = existsSync(bundled) ? bundled : '../core/http/server';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time, so the bundler leaves it alone
  return require(file) as typeof HttpModule;
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
  const http = loadHttpModule();
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
