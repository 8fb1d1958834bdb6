// The HTTP API and dashboard for this window (docs/http.md): one server for every watched
// root (`?root=` chooses), started and stopped with the fileflow.http.* settings. Its code is
// a bundle of its own (dist/http.js), loaded only once the setting is on, so the extension
// pays nothing for it otherwise. The token lives in VS Code's secret storage.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { isLoopback, parseListenAddress } from '../core/http/address';
import type { HttpRoot, HttpRootSource } from '../core/http/httpRoot';
import type * as HttpModule from '../core/http/server';
import type { RunningHttpServer } from '../core/http/server';
import type { Logger } from '../core/logger';
import { inboxFilter } from '../core/queue/inboxRules';
import { COMMANDS, HTTP_TOKEN_SECRET, SECTION, VSCODE_COMMANDS } from './constants';
import type { MetricsHistory } from './metricsHistory';
import type { QueueManager } from './queueManager';
import { affects, readHttpSettings, readSettings, settingId, type HttpSettings } from './settings';

/** dist/http.js, beside dist/extension.js: required at run time, never bundled into this one. */
function loadHttpModule(): typeof HttpModule {
  const file = path.join(__dirname, 'http.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as typeof HttpModule;
}

export class HttpService implements vscode.Disposable {
  private server: RunningHttpServer | undefined;
  private running: HttpSettings | undefined;
  /** start/stop run one after another (settings can change again while a start is under way). */
  private chain: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the server starts or stops. */
  readonly onDidChange = this.changed.event;
  /** Why the last start failed (tests and the error message). */
  lastError: string | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly manager: QueueManager,
    private readonly history: MetricsHistory,
    private readonly logger: Logger,
    private readonly version: string,
  ) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affects(event, 'http')) void this.apply();
      }),
    );
  }

  /** http://HOST:PORT while the server runs. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /** Starts, restarts or stops the server to match the settings. Resolves when done. */
  apply(): Promise<void> {
    this.chain = this.chain.then(() => this.applyNow()).catch((error: unknown) => this.logger.error('HTTP API', error));
    return this.chain;
  }

  /** The token: FILEFLOW_HTTP_TOKEN when set, else the one in secret storage (made on first use). */
  async token(): Promise<string> {
    const fromEnvironment = process.env.FILEFLOW_HTTP_TOKEN;
    if (fromEnvironment) return fromEnvironment;
    const stored = await this.secrets.get(HTTP_TOKEN_SECRET);
    if (stored) return stored;
    const { randomBytes } = await import('node:crypto');
    const token = randomBytes(32).toString('base64url');
    await this.secrets.store(HTTP_TOKEN_SECRET, token);
    return token;
  }

  /** The dashboard link (`#token=` included), made reachable from where the UI runs (Remote: a forwarded port). */
  async dashboardUri(): Promise<vscode.Uri | undefined> {
    if (!this.server) return undefined;
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(`${this.server.url}/`));
    return external.with({ fragment: `token=${await this.token()}` });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.running = undefined;
    if (!server) return;
    await server.close();
    this.logger.info('HTTP API stopped');
    this.changed.fire();
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async applyNow(): Promise<void> {
    const wanted = readHttpSettings();
    const same = this.running && wanted.enabled && this.running.host === wanted.host && this.running.port === wanted.port;
    if (same) return;
    await this.stop();
    if (!wanted.enabled) return;
    let address;
    try {
      address = parseListenAddress(`${wanted.host.includes(':') ? `[${wanted.host}]` : wanted.host}:${wanted.port}`);
    } catch (error) {
      return this.failed(wanted, (error as Error).message.replace(/^--http: /, ''));
    }
    let http: typeof HttpModule;
    try {
      http = loadHttpModule();
    } catch (error) {
      return this.failed(wanted, `its code could not be loaded (${(error as Error).message})`);
    }
    try {
      this.server = await http.startHttpServer({ ...address, token: await this.token(), source: managerSource(this.manager, this.history), logger: this.logger, version: this.version });
    } catch (error) {
      return this.failed(wanted, (error as Error).message);
    }
    this.running = wanted;
    this.lastError = undefined;
    this.logger.info(`HTTP API and dashboard at ${this.server.url}/ (Fileflow: Open Dashboard in Browser; the token: Fileflow: Copy HTTP API Token)`);
    if (!isLoopback(address.host)) {
      const message = vscode.l10n.t(
        'The Fileflow HTTP API listens on {0}, which other machines can reach: anyone with the token can read results and queue files, and the traffic is not encrypted.',
        this.server.url,
      );
      this.logger.warn(message);
      void vscode.window.showWarningMessage(message);
    }
    this.changed.fire();
  }

  private failed(wanted: HttpSettings, why: string): void {
    this.lastError = why;
    this.logger.error(`HTTP API on ${wanted.host}:${wanted.port}: ${why}`);
    const settings = vscode.l10n.t('Open Settings');
    void vscode.window.showErrorMessage(vscode.l10n.t('Fileflow could not start the HTTP API: {0}', why), settings).then((choice) => {
      if (choice === settings) void vscode.commands.executeCommand(VSCODE_COMMANDS.openSettings, `${SECTION}.http`);
    });
  }
}

/** The window's queue roots as the HTTP server sees them (always current: nothing is copied). */
function managerSource(manager: QueueManager, history: MetricsHistory): HttpRootSource {
  const adapters = new Map<string, HttpRoot>();
  const adapter = (rootPath: string): HttpRoot => {
    let found = adapters.get(rootPath);
    if (!found) {
      const current = () => manager.get(rootPath);
      const first = current();
      if (!first) throw new Error(`no root ${rootPath}`);
      found = {
        root: rootPath,
        label: first.name,
        layout: first.layout,
        status: () => current()?.status ?? 'stopped',
        metrics: () => current()?.queue?.metrics,
        pipelines: () => current()?.queue?.pipelines ?? [],
        retryFailed: async (name) => {
          const root = current();
          if (!root) throw new Error(`${rootPath} is no longer watched`);
          return manager.retry(root, name);
        },
        problems: () => {
          const root = current();
          if (root?.status === 'error' && root.error) return [root.error];
          return root?.queue?.problems ?? [];
        },
        accepts: (name) => {
          const root = current();
          if (root?.queue) return root.queue.acceptsInboxName(name);
          return inboxFilter(root ? readSettings(root.folder).ignore : [])(name);
        },
        history: () => history.history(rootPath),
        newestFiles: (state, limit) => {
          const model = current()?.model;
          return model ? { total: model.count(state), files: model.newest(state, limit) } : { total: 0, files: [] };
        },
      };
      adapters.set(rootPath, found);
    }
    return found;
  };
  return {
    list: () => manager.list().map((root) => adapter(root.root)),
    onEvent(listener) {
      const subscription = manager.onQueueEvent(({ root, event }) => listener(root.root, event));
      return () => void subscription.dispose();
    },
    onRootsChanged(listener) {
      const subscription = manager.onDidChange(() => listener());
      return () => void subscription.dispose();
    },
  };
}

/** The two commands: copy the token, open the dashboard (offering to turn the API on). */
export function registerHttpCommands(service: HttpService, register: (id: string, handler: (...args: never[]) => unknown) => vscode.Disposable): vscode.Disposable[] {
  return [
    register(COMMANDS.copyHttpToken, async () => {
      const token = await service.token();
      await vscode.env.clipboard.writeText(token);
      const off = service.url === undefined ? ` ${vscode.l10n.t('(The HTTP API is off: turn on the setting fileflow.http.enabled.)')}` : '';
      void vscode.window.showInformationMessage(`${vscode.l10n.t('The Fileflow HTTP API token is on the clipboard.')}${off}`);
      return true;
    }),
    register(COMMANDS.openDashboard, async () => {
      if (service.url === undefined) {
        const enable = vscode.l10n.t('Turn On');
        const choice = await vscode.window.showInformationMessage(vscode.l10n.t('The Fileflow HTTP API is off. Turn it on (setting fileflow.http.enabled)?'), enable);
        if (choice !== enable) return undefined;
        await vscode.workspace.getConfiguration().update(settingId('http.enabled'), true, vscode.ConfigurationTarget.Global);
        await service.apply();
        if (service.url === undefined) return undefined; // the error was shown
      }
      const uri = await service.dashboardUri();
      if (!uri) return undefined;
      await vscode.env.openExternal(uri);
      return uri.toString(true);
    }),
  ];
}
