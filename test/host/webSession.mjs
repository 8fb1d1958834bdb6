// One VS Code window for a script that drives it from outside: a temporary folder, the VS Code
// server, Chromium and its page, stopped and removed however the script leaves. The recipe the
// extension-host launcher (launch.mjs) and the UI end-to-end tests (test/e2e/run.mjs) share; the
// pieces it is made of are in vscodeWeb.mjs.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LaunchError, NOISE, WORKBENCH_LOAD_LIMIT_MS, closeBrowser, consoleText, freePort, launchBrowser, startServer, stopServerProcess, waitForServer } from './vscodeWeb.mjs';

/** The sessions running, which a signal or an unexpected exit must stop. */
const running = new Set();
let stopping = false;

export class WebSession {
  /**
   * Makes the temporary folder `<tmp>/<prefix>…` and names the folders VS Code gets in it
   * (`dirs`: userDataDir, serverDataDir, extensionsDir, workspaceDir = `workspaceName`); the
   * server's and the extensions' folders are created, the others are the caller's to lay out.
   */
  constructor({ prefix, workspaceName, keepTemp, log }) {
    this.log = log;
    this.keepTemp = keepTemp;
    this.server = undefined;
    this.browser = undefined;
    this.page = undefined;
    /** What the page logged as an error, in order. */
    this.browserErrors = [];
    this.consoleLines = Promise.resolve();
    this.stopped = undefined;
    this.tempDir = mkdtempSync(join(tmpdir(), prefix));
    running.add(this);
    this.dirs = {
      userDataDir: join(this.tempDir, 'user'),
      serverDataDir: join(this.tempDir, 'server'),
      extensionsDir: join(this.tempDir, 'extensions'),
      workspaceDir: join(this.tempDir, workspaceName),
    };
    mkdirSync(this.dirs.serverDataDir, { recursive: true });
    mkdirSync(this.dirs.extensionsDir, { recursive: true });
  }

  /** Starts the VS Code server on a free port (vscodeWeb.mjs's startServer options) and waits until it answers. */
  async startServer(options = {}) {
    const port = await freePort();
    this.server = startServer({ port, cwd: this.tempDir, log: this.log, ...this.dirs, ...options });
    await waitForServer(this.server, port);
    this.log(`[launcher] server answers on port ${port}`);
    return port;
  }

  /** Starts Chromium and opens a page whose console goes to the log. */
  async openPage(viewport) {
    this.browser = await launchBrowser();
    const context = await this.browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('console', (message) => {
      this.consoleLines = this.consoleLines.then(async () => {
        const text = await consoleText(message);
        this.log(`[browser ${message.type()}] ${text}`);
        if (message.type() === 'error') this.browserErrors.push(text);
      });
    });
    page.on('pageerror', (error) => this.log(`[browser page error] ${error.stack ?? error.message}`));
    this.page = page;
    return page;
  }

  /** Opens `url` and waits for the workbench (and `ready`, if given); a LaunchError if it does not load. */
  async loadWorkbench(url, ready = async () => undefined) {
    this.log(`[launcher] opening ${url}`);
    try {
      await this.page.goto(url, { waitUntil: 'domcontentloaded', timeout: WORKBENCH_LOAD_LIMIT_MS });
      await this.page.waitForSelector('.monaco-workbench', { timeout: WORKBENCH_LOAD_LIMIT_MS });
      await ready(this.page);
    } catch (error) {
      throw new LaunchError(`VS Code's workbench did not load (${error.message.split('\n')[0]})`);
    }
  }

  /** VS Code's own words on what went wrong: the last errors its window logged, noise left out. */
  lastErrors(count = 3) {
    return this.browserErrors.filter((text) => !NOISE.some((pattern) => pattern.test(text))).slice(-count);
  }

  /**
   * Copies the server side's logs (the extension host's exthost*\/ among them, under the user
   * data folder) to `logsCopy`, lets the console lines in flight reach the log, and stops.
   */
  async end(logsCopy) {
    const serverLogs = join(this.tempDir, 'user', 'logs');
    if (logsCopy && existsSync(serverLogs)) cpSync(serverLogs, logsCopy, { recursive: true });
    await Promise.race([this.consoleLines, sleep(5000)]);
    await this.stop();
  }

  /**
   * Stops the browser and the server and removes the temporary folder (unless kept). Every
   * call (the script's own, a signal's) waits for the one and only stop to finish, so none of
   * them can let the script exit while the server is still being stopped.
   */
  stop() {
    this.stopped ??= this.#stop();
    return this.stopped;
  }

  async #stop() {
    await closeBrowser(this.browser, this.log);
    await stopServerProcess(this.server, this.log);
    this.browser = undefined;
    this.server = undefined;
    if (!this.keepTemp) rmSync(this.tempDir, { recursive: true, force: true });
    else console.log(`  (kept ${this.tempDir})`);
    running.delete(this);
  }
}

function stopAll() {
  return Promise.all([...running].map((session) => session.stop()));
}

/** True once a signal asked the script to stop (its main loop should then return). */
export function isStopping() {
  return stopping;
}

/**
 * Runs the script's `main()` and exits with what it returns; on SIGINT/SIGTERM/SIGHUP, and on
 * an error main() throws, stops the running session first, and on any other way out never
 * leaves the server's process group behind.
 */
export function runMain(main) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping the VS Code server and the browser …`);
      void stopAll().finally(() => process.exit(128 + { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal]));
    });
  }
  process.on('exit', () => {
    for (const { server } of running) {
      try {
        if (server) process.kill(-server.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  main().then(
    (code) => process.exit(code),
    async (error) => {
      console.error(error);
      await stopAll();
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
