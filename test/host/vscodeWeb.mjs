// Running a real VS Code here (CONTRIBUTING.md): the VS Code server from code-server on Node 24 and
// Debian's Chromium driven by playwright-core. Shared by the extension-host launcher
// (launch.mjs) and the UI end-to-end tests (test/e2e/run.mjs), so both start, watch and stop
// VS Code the same way.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, node24, serverMain } from './cache.mjs';

export const SERVER_START_LIMIT_MS = 60_000;
export const WORKBENCH_LOAD_LIMIT_MS = 120_000;

// Without the network flags (QUIC, background networking, component updates, sync) Chromium keeps dialling out.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Errors every run logs on a machine without internet; not worth showing as a cause.
export const NOISE = [/Failed to load resource/, /ENOTFOUND|ERR_NAME_NOT_RESOLVED/, /Service Worker/, /authentication provider/, /Canceled: Canceled/, /bad HTTP response code \(404\)/];

/** A problem with VS Code itself (did not start, did not load), as opposed to a failing test. */
export class LaunchError extends Error {}

/** A logger appending time-stamped lines to `file`. */
export function logTo(file) {
  const started = Date.now();
  return (line) => {
    const stamp = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
    appendFileSync(file, `${stamp} ${String(line).replace(/\n/g, `\n${' '.repeat(8)}`)}\n`);
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answers(port) {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode !== undefined && response.statusCode < 500);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

/** The environment the server (and so the extension host) runs with. */
function serverEnv() {
  const env = { ...process.env };
  // Run from a VS Code terminal, VSCODE_*/ELECTRON_* would make the server think it is a child of
  // that VS Code; npm_* are the settings of the `npm test` that started us. Neither belongs in
  // the extension host the tests run in.
  for (const key of Object.keys(env)) if (/^(VSCODE_|ELECTRON_|npm_)/i.test(key)) delete env[key];
  return env;
}

/**
 * Installs a .vsix into an extensions folder with the server's own command line (what
 * `code --install-extension` does), before the server starts. Throws when it did not work.
 */
export function installVsix({ vsix, extensionsDir, userDataDir, serverDataDir, log }) {
  const args = [serverMain, '--install-extension', vsix, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--server-data-dir', serverDataDir, '--accept-server-license-terms'];
  log(`[launcher] installing: ${node24} ${args.join(' ')}`);
  const result = spawnSync(node24, args, { env: serverEnv(), encoding: 'utf8', timeout: 120_000 });
  for (const line of `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd().split('\n')) if (line) log(`[install] ${line}`);
  if (result.error) throw new LaunchError(`installing ${vsix} failed: ${result.error.message}`);
  if (result.status !== 0) throw new LaunchError(`installing ${vsix} exited with ${result.status ?? result.signal}: ${(result.stderr || result.stdout || '').trim().split('\n').at(-1)}`);
}

/**
 * Starts the VS Code server in its own process group; `server.exited` resolves when it ends.
 * `testDriver` (default on) passes --enable-smoke-test-driver, which the extension-tests payload
 * needs; it also makes the workbench show no notification toasts (only the notification centre
 * gets them), so the UI tests, which look at toasts as a person does, turn it off.
 */
export function startServer({ port, userDataDir, serverDataDir, extensionsDir, cwd, log, testDriver = true }) {
  const args = [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    ...(testDriver ? ['--enable-smoke-test-driver'] : []),
    '--user-data-dir', userDataDir,
    '--server-data-dir', serverDataDir,
    '--extensions-dir', extensionsDir,
  ];
  log(`[launcher] starting: ${node24} ${args.join(' ')}`);
  // Its own process group, so stopping it also stops the extension host and pty host it starts.
  const server = spawn(node24, args, { cwd, env: serverEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve(code ?? signal)));
  server.on('error', (error) => log(`[launcher] server process error: ${error.message}`));
  for (const [stream, name] of [[server.stdout, 'server'], [server.stderr, 'server stderr']]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) log(`[${name}] ${line}`);
    });
    stream.on('end', () => pending && log(`[${name}] ${pending}`));
  }
  return server;
}

/** Resolves once the server answers HTTP; throws LaunchError if it exits or stays silent. */
export async function waitForServer(server, port) {
  const deadline = Date.now() + SERVER_START_LIMIT_MS;
  let exitCode;
  void server.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new LaunchError(`the VS Code server exited (${exitCode}) before it answered on port ${port}`);
    if (await answers(port)) return;
    await sleep(250);
  }
  throw new LaunchError(`the VS Code server did not answer on port ${port} within ${SERVER_START_LIMIT_MS / 1000} s`);
}

/** SIGTERM to the server's process group, then SIGKILL to whatever of it is left. */
export async function stopServerProcess(server, log) {
  if (!server) return;
  const signalGroup = (signal) => {
    try {
      process.kill(-server.pid, signal);
    } catch {
      // Already gone.
    }
  };
  if (server.exitCode === null && server.signalCode === null) {
    signalGroup('SIGTERM');
    await Promise.race([server.exited, sleep(5000)]);
  }
  // Whatever of its group is still there (extension host, pty host) goes too.
  signalGroup('SIGKILL');
  log?.(`[launcher] server (pid ${server.pid}) stopped`);
}

/** Debian's Chromium, headless; never a downloaded browser. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    // The caller stops the browser itself, after the server, on every way out.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

export async function closeBrowser(browser, log) {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => undefined), sleep(10_000)]);
  log?.('[launcher] browser closed');
}

/** A console message as the page would show it: VS Code logs with "%c…%s" format strings. */
export async function consoleText(message) {
  try {
    let values = await Promise.all(message.args().map((arg) => arg.jsonValue()));
    // Forwarded extension-host output: ['%c INFO', 'color: …', '  ✔ %s (%dms)', title, ms].
    let prefix = '';
    while (typeof values[0] === 'string' && values[0].startsWith('%c') && values.length > 1) {
      prefix += `${values[0].slice(2).trim()} `;
      values = values.slice(2);
    }
    if (prefix || (typeof values[0] === 'string' && values[0].includes('%'))) return `${prefix}${format(...values)}`;
  } catch {
    // The page went away, or an argument does not serialise: the plain text will do.
  }
  return message.text();
}
