// Owns the queue roots being watched: starts and stops FolderQueues, keeps
// fileflow.watchFolders of each workspace folder in step, and gives each root a StateModel
// (src/core/queue/stateModel.ts) of which files are in which state, for the tree view, the
// status bar and the HTTP dashboard.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { MetricsCollector } from '../core/metrics';
import { FolderQueue, type QueueEvent } from '../core/queue/folderQueue';
import type { SeenInstance } from '../core/queue/instances';
import { inboxFilter } from '../core/queue/inboxRules';
import { QueueLayout, requeue } from '../core/queue/layout';
import { listState } from '../core/queue/stateListing';
import { StateModel } from '../core/queue/stateModel';
import { showError } from './errorMessages';
import { readSettings, settingPathFor, writeWatchFolders } from './settings';

export type RootStatus = 'starting' | 'watching' | 'paused' | 'error' | 'stopping';

/** How often a root worked by other instances too is re-read from disk. */
const OTHERS_REFRESH_MS = 3000;

export class QueueRoot {
  status: RootStatus = 'starting';
  error: string | undefined;
  /**
   * A problem the running queue reports (its pipeline file changed into an invalid one, a
   * state folder became a link): it keeps running, and shows this in the tree and status bar.
   */
  warning: string | undefined;
  /** The pipeline file the queue loaded at start; undefined when it runs the built-in default. */
  pipelineFile: string | undefined;
  /** Other instances working this root (other windows, the CLI, other machines), as last seen. */
  others: SeenInstance[] = [];
  /** While other instances work the root, its files are re-read from disk now and then (their work sends no events here). */
  refreshTimer: NodeJS.Timeout | undefined;
  queue: FolderQueue | undefined;
  /** Which files are in which state: the one source of the tree, the status bar and the HTTP lists. */
  readonly model: StateModel;
  readonly layout: QueueLayout;

  constructor(
    readonly root: string,
    readonly folder: vscode.WorkspaceFolder,
    ignore: readonly string[] = [],
  ) {
    this.layout = new QueueLayout(root);
    this.model = new StateModel(this.layout, { accepts: inboxFilter(ignore) });
  }

  /** How many files each other instance has in flight, by its id (read from disk). */
  get othersInFlight(): ReadonlyMap<string, number> {
    return this.model.othersInFlight;
  }

  get name(): string {
    return path.basename(this.root);
  }

  /** Keeps `warning` in step with the queue's problem events; true when it changed. */
  noteProblem(event: QueueEvent): boolean {
    const before = this.warning;
    if (event.type === 'pipelineRejected') this.warning = vscode.l10n.t('The pipeline file is invalid; the previous pipeline stays in use: {0}', event.message);
    else if (event.type === 'pipelineReloaded') this.warning = undefined;
    else if (event.type === 'problem') this.warning = event.message;
    else if (event.type === 'instanceJoined' || event.type === 'instanceLeft' || event.type === 'leaseLost') {
      this.others = this.queue?.otherInstances ?? [];
      return true;
    }
    return this.warning !== before;
  }
}

export class QueueManager implements vscode.Disposable {
  private readonly roots = new Map<string, QueueRoot>();
  /**
   * The tail of each root's chain of start/stop/restart operations. They run one after
   * another per root: a restart that arrives while the root is still starting (events from
   * a settings write or a pipeline file come late) must not leave a second queue running on
   * the same folder.
   */
  private readonly operations = new Map<string, Promise<void>>();
  private readonly changed = new vscode.EventEmitter<QueueRoot | undefined>();
  /** Fires (unbatched) whenever a root or its files change; consumers batch. */
  readonly onDidChange = this.changed.event;
  private readonly queueEvents = new vscode.EventEmitter<{ root: QueueRoot; event: QueueEvent }>();
  /** Every event of every root's queue (the HTTP API's live feed and Prometheus histograms). */
  readonly onQueueEvent = this.queueEvents.event;
  private paused = false;

  constructor(
    private readonly logger: Logger,
    private readonly isTrusted: () => boolean,
  ) {}

  list(): QueueRoot[] {
    return [...this.roots.values()].sort((a, b) => a.root.localeCompare(b.root));
  }

  get(root: string): QueueRoot | undefined {
    return this.roots.get(path.resolve(root));
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Watching folder X makes X a queue root; a folder named `unprocessed` means its parent. */
  static rootFor(folder: string): string {
    const resolved = path.resolve(folder);
    return path.basename(resolved) === 'unprocessed' ? path.dirname(resolved) : resolved;
  }

  /** Starts every root listed in fileflow.watchFolders of every workspace folder. */
  async restore(): Promise<void> {
    const wanted = new Map<string, vscode.WorkspaceFolder>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const entry of readSettings(folder).watchFolders) {
        wanted.set(QueueManager.rootFor(path.resolve(folder.uri.fsPath, entry)), folder);
      }
    }
    for (const root of [...this.roots.keys()]) if (!wanted.has(root)) await this.serially(root, () => this.stopRoot(root));
    // Every wanted root goes through its chain, even one already in the map: a root another
    // restore is still starting (each folder's watchFolders write triggers one) is only done
    // once its start is, and callers (`ready`, tests) rely on restore() meaning "running".
    await Promise.all([...wanted].map(([root, folder]) => this.serially(root, async () => this.roots.get(root) ?? this.startRoot(root, folder))));
  }

  /** Watch Folder: start the root and remember it in the folder's settings. */
  async watch(folderPath: string): Promise<QueueRoot> {
    const root = QueueManager.rootFor(folderPath);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root)) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('Open a folder or workspace first: watched folders are kept in its settings.');
    const entries = readSettings(folder).watchFolders;
    const entry = settingPathFor(folder, root);
    const known = entries.some((e) => QueueManager.rootFor(path.resolve(folder.uri.fsPath, e)) === root);
    const started = await this.serially(root, async () => this.roots.get(root) ?? this.startRoot(root, folder));
    if (!known) await writeWatchFolders(folder, [...entries, entry]);
    return started;
  }

  /** Stop Watching Folder: stop the root and forget it in the folder's settings. */
  async unwatch(folderPath: string): Promise<void> {
    const root = QueueManager.rootFor(folderPath);
    const entry = this.roots.get(root);
    await this.serially(root, () => this.stopRoot(root));
    const folder = entry?.folder ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root));
    if (!folder) return;
    const entries = readSettings(folder).watchFolders;
    const kept = entries.filter((e) => QueueManager.rootFor(path.resolve(folder.uri.fsPath, e)) !== root);
    if (kept.length !== entries.length) await writeWatchFolders(folder, kept);
  }

  /** Restarts the roots of a workspace folder (its settings changed), or those of them that `which` picks. */
  async restartFolder(folder: vscode.WorkspaceFolder | undefined, which: (root: QueueRoot) => boolean = () => true): Promise<void> {
    const affected = this.list().filter((r) => (folder === undefined || r.folder.uri.toString() === folder.uri.toString()) && which(r));
    for (const { root: rootPath } of affected) {
      await this.serially(rootPath, async () => {
        const current = this.roots.get(rootPath);
        if (!current) return; // stopped meanwhile
        // The counts are "since you started watching this folder": a new pipeline or setting
        // does not reset them (the panel and status bar would otherwise drop to zero).
        const metrics = current.queue?.metrics;
        await this.stopRoot(rootPath);
        await this.startRoot(rootPath, current.folder, metrics);
      });
    }
  }

  /** Pause / Resume Processing: every root stops (or starts again) taking new files; files in flight finish. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    for (const root of this.roots.values()) {
      if (paused) root.queue?.pause();
      else root.queue?.resume();
      if (root.status === (paused ? 'watching' : 'paused')) root.status = paused ? 'paused' : 'watching';
    }
    this.changed.fire(undefined);
  }

  /** Moves a failed file back to the inbox. Works on disk even while the root is not running. */
  async retry(root: QueueRoot, name: string): Promise<string> {
    return this.moveBack(root, 'failed', name);
  }

  async retryAll(root: QueueRoot): Promise<number> {
    if (root.queue) return root.queue.retryAllFailed();
    const names = (await listState(root.layout, 'failed')).map((f) => f.name);
    for (const name of names) await this.moveBack(root, 'failed', name);
    return names.length;
  }

  async reprocess(root: QueueRoot, name: string): Promise<string> {
    return this.moveBack(root, 'processed', name);
  }

  private async moveBack(root: QueueRoot, from: 'failed' | 'processed', name: string): Promise<string> {
    if (root.queue) return from === 'failed' ? root.queue.retryFailed(name) : root.queue.reprocess(name);
    const to = await requeue(root.layout, from, name);
    if (root.model.apply({ type: 'moved', name, from, to })) this.changed.fire(root);
    return to;
  }

  /** Re-reads every root's folders (manual refresh). */
  async rescan(): Promise<void> {
    await Promise.all(this.list().map((root) => this.rescanRoot(root)));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.roots.keys()].map((root) => this.serially(root, () => this.stopRoot(root))));
    this.changed.dispose();
    this.queueEvents.dispose();
  }

  /** Runs a start/stop/restart of one root after the ones already asked for. */
  private serially<T>(rootPath: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.operations.get(rootPath) ?? Promise.resolve();
    const result = previous.then(operation);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.operations.set(rootPath, tail);
    void tail.then(() => {
      if (this.operations.get(rootPath) === tail) this.operations.delete(rootPath);
    });
    return result;
  }

  private async startRoot(rootPath: string, folder: vscode.WorkspaceFolder, metrics?: MetricsCollector): Promise<QueueRoot> {
    const settings = readSettings(folder);
    const root = new QueueRoot(rootPath, folder, settings.ignore);
    this.roots.set(rootPath, root);
    this.changed.fire(root);
    root.pipelineFile = existsSync(settings.pipelineFile) ? settings.pipelineFile : undefined;
    const queue = new FolderQueue({
      root: rootPath,
      pipelineFile: root.pipelineFile,
      concurrency: settings.concurrency,
      stabilityMs: settings.stabilityMs,
      ignore: settings.ignore,
      maxLineBytes: settings.maxLineBytes,
      retry: { maxAttempts: settings.maxAttempts },
      usePolling: settings.usePolling,
      fileTimeoutMs: settings.fileTimeoutMs,
      leaseSec: settings.leaseSec,
      instanceKind: 'vscode',
      allowCustomModules: this.isTrusted(),
      logger: this.logger,
      metrics,
    });
    root.model.attach(queue);
    queue.on('event', (event) => {
      if (root.model.apply(event) || root.noteProblem(event)) this.changed.fire(root);
      if (event.type === 'instanceJoined' || event.type === 'instanceLeft' || event.type === 'takenOver') this.watchOthers(root);
      this.queueEvents.fire({ root, event });
    });
    try {
      if (this.paused) queue.pause();
      await queue.start();
      root.queue = queue;
      root.others = queue.otherInstances;
      this.watchOthers(root);
      root.status = this.paused ? 'paused' : 'watching';
      root.error = undefined;
      this.logger.info(`watching ${path.join(rootPath, 'unprocessed')}`);
    } catch (error) {
      await queue.stop().catch(() => undefined);
      root.model.attach(undefined); // not running: the disk says what is where
      root.status = 'error';
      root.error = errorMessage(error);
      this.logger.error(`could not watch ${rootPath}: ${root.error}`);
      showError(vscode.l10n.t('Fileflow could not watch {0}', path.basename(rootPath)), error);
    }
    await this.rescanRoot(root);
    return root;
  }

  private async stopRoot(rootPath: string): Promise<void> {
    const root = this.roots.get(rootPath);
    if (!root) return;
    root.status = 'stopping';
    clearInterval(root.refreshTimer);
    root.refreshTimer = undefined;
    this.changed.fire(root);
    await root.queue?.stop();
    this.roots.delete(rootPath);
    this.logger.info(`stopped watching ${rootPath}`);
    this.changed.fire(undefined);
  }

  private async rescanRoot(root: QueueRoot): Promise<void> {
    await root.model.rescan();
    this.changed.fire(root);
  }

  /**
   * Other instances' work reaches this window only through the disk: while there are any,
   * the root's files are re-read every few seconds (and once when one joins or leaves).
   */
  private watchOthers(root: QueueRoot): void {
    void this.rescanRoot(root);
    if (root.others.length > 0 && root.refreshTimer === undefined) {
      root.refreshTimer = setInterval(() => void this.rescanRoot(root), OTHERS_REFRESH_MS);
      root.refreshTimer.unref();
    } else if (root.others.length === 0 && root.refreshTimer !== undefined) {
      clearInterval(root.refreshTimer);
      root.refreshTimer = undefined;
    }
  }
}
