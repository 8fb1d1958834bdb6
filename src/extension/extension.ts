// Composition root: creates the log channel first, then the queue manager, the single-run
// runner, the tree view, the status bar and the commands, and restores watched folders.
// Activation does no file work itself; restoring roots runs after activate() returns.

import * as vscode from 'vscode';
import { registerAuthoring, type AuthoringApi } from './authoring/authoring';
import { registerCommands, type CommandFailure } from './commands';
import * as path from 'node:path';
import { CONTEXT_KEYS, OUTPUT_CHANNEL_NAME, TREE_VIEW, VSCODE_COMMANDS } from './constants';
import { HttpService } from './httpService';
import { channelLogger } from './logAdapter';
import { MetricsHistory } from './metricsHistory';
import { MetricsPanel } from './metricsPanel';
import { QueueManager } from './queueManager';
import { affects, readSettings, settingId } from './settings';
import { SingleRunner } from './singleRuns';
import { StatusBar } from './statusBar';
import { FileflowTreeProvider } from './treeView';

/** What activate() returns: the host tests drive the extension through it. */
export interface FileflowApi {
  manager: QueueManager;
  singles: SingleRunner;
  tree: FileflowTreeProvider;
  statusBar: StatusBar;
  history: MetricsHistory;
  /** The HTTP API and dashboard (fileflow.http.*). */
  http: HttpService;
  /** The metrics panel, while it is open. */
  metricsPanel(): MetricsPanel | undefined;
  /** Resolves once the watched folders of the settings are running. */
  ready: Promise<void>;
  /** How long activate() itself took, in ms. */
  activateMs: number;
  /** Pipeline authoring: diagnostics, tests, preview. */
  authoring: AuthoringApi;
  /** Commands that failed (the newest 20, newest last): each was shown to the user and logged. */
  commandFailures: readonly CommandFailure[];
}

let api: FileflowApi | undefined;

export function activate(context: vscode.ExtensionContext): FileflowApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(log);
  const logger = channelLogger(log);
  const isTrusted = (): boolean => vscode.workspace.isTrusted;
  const commandFailures: CommandFailure[] = [];

  const manager = new QueueManager(logger, isTrusted);
  const singles = new SingleRunner(logger, isTrusted);
  const tree = new FileflowTreeProvider(manager, singles);
  const view = vscode.window.createTreeView(TREE_VIEW, { treeDataProvider: tree, showCollapseAll: true });
  const statusBar = new StatusBar(manager);
  const history = new MetricsHistory(manager);
  const { version } = context.extension.packageJSON as { version: string };
  const http = new HttpService(context.secrets, manager, history, logger, version);
  const updateBadge = (): void => {
    const failed = tree.failedCount();
    view.badge = failed > 0 ? { value: failed, tooltip: vscode.l10n.t('{0} failed file(s)', failed) } : undefined;
  };
  const restartAll = (): void => {
    singles.reset();
    void manager.restartFolder(undefined);
  };
  context.subscriptions.push(
    tree,
    view,
    statusBar,
    singles,
    history,
    http,
    tree.onDidChangeTreeData(updateBadge),
    MetricsPanel.registerSerializer(context.extensionUri, manager, history),
    ...registerCommands(
      {
        manager,
        singles,
        tree,
        log,
        http,
        showMetrics: () => MetricsPanel.show(context.extensionUri, manager, history),
      },
      commandFailures,
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affects(event, 'restore')) void manager.restore();
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (affects(event, 'restart', folder)) {
          singles.reset();
          void manager.restartFolder(folder);
        }
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void manager.restore()),
    // Trust granted: roots refused for custom modules can start now.
    vscode.workspace.onDidGrantWorkspaceTrust(restartAll),
    // Workers take the log level when they start (trace shows every routing hop).
    log.onDidChangeLogLevel(restartAll),
    watchPipelineFileCreation(manager),
  );
  void vscode.commands.executeCommand(VSCODE_COMMANDS.setContext, CONTEXT_KEYS.paused, false);
  const authoring = registerAuthoring(context.subscriptions, logger);

  const ready = (async () => {
    await manager.restore();
    await singles.loadExisting();
    tree.scheduleRefresh();
    // Only now, and only when fileflow.http.enabled is on, is the server's code loaded.
    await http.apply();
  })().catch((error: unknown) => logger.error('could not restore watched folders', error));

  const activateMs = performance.now() - started;
  log.info(`Fileflow ${version} activated in ${activateMs.toFixed(1)} ms`);
  api = { manager, singles, tree, statusBar, history, http, metricsPanel: () => MetricsPanel.instance, ready, activateMs, authoring, commandFailures };
  return api;
}

/** Stops every queue gracefully: in-flight files finish (up to 10 s), the rest stay put. */
export async function deactivate(): Promise<void> {
  await api?.http.stop();
  await api?.manager.dispose();
  api = undefined;
}

/**
 * A running queue reloads its pipeline file by itself when the file changes (an invalid edit
 * is reported and the old pipeline kept). What it cannot see is a pipeline file that did not
 * exist when it started: when a workspace folder's configured `fileflow.pipelineFile` appears,
 * its roots that run the built-in default are restarted on it.
 */
function watchPipelineFileCreation(manager: QueueManager): vscode.Disposable {
  let watchers: vscode.Disposable[] = [];
  const rebuild = (): void => {
    for (const watcher of watchers) watcher.dispose();
    watchers = (vscode.workspace.workspaceFolders ?? []).map((folder) => {
      const file = readSettings(folder).pipelineFile;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)), false, true, true);
      const created = watcher.onDidCreate(() => void manager.restartFolder(folder, (root) => root.pipelineFile === undefined));
      return vscode.Disposable.from(watcher, created);
    });
  };
  rebuild();
  return vscode.Disposable.from(
    { dispose: () => watchers.forEach((watcher) => void watcher.dispose()) },
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(settingId('pipelineFile'))) rebuild();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(rebuild),
  );
}
