// Command handlers. Each takes what VS Code passes (an Explorer URI, a tree node, nothing
// from the palette) and asks for what is missing.

import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { writeSamples } from '../core/samples';
import { SUMMARY_SUFFIX } from '../core/summary';
import { COMMANDS, CONTEXT_KEYS, VSCODE_COMMANDS } from './constants';
import { showError } from './errorMessages';
import { registerHttpCommands, type HttpService } from './httpService';
import { STARTER_PIPELINE } from './pipelineStarter';
import type { QueueManager, QueueRoot } from './queueManager';
import { readSettings } from './settings';
import type { SingleRun, SingleRunner } from './singleRuns';
import { filePath, type FileflowNode, type FileflowTreeProvider } from './treeView';

type FileNode = Extract<FileflowNode, { kind: 'file' }>;

/** Retry / Reprocess from the palette offer the newest this many files of each root. */
const PICK_LIMIT = 1000;
type SingleNode = Extract<FileflowNode, { kind: 'single' }>;

export interface CommandDeps {
  manager: QueueManager;
  singles: SingleRunner;
  tree: FileflowTreeProvider;
  log: vscode.LogOutputChannel;
  http: HttpService;
  showMetrics(): void;
}

/** A command that failed: what the user was shown, and when. */
export interface CommandFailure {
  command: string;
  message: string;
  at: number;
}

/** How many failures are kept (the newest). */
const KEPT_FAILURES = 20;

/**
 * The commands, each wrapped so that an error reaches the user as one notification (with a
 * way out where there is one) and the log, and is recorded in `failures`, newest last. The
 * command then resolves to undefined rather than rejecting: a rejection would make VS Code
 * show the same error a second time, in a dialog, when the command ran from the palette or a
 * menu. Tests read `failures` (the extension's API) to see that a command did not fail.
 */
export function registerCommands(deps: CommandDeps, failures: CommandFailure[] = []): vscode.Disposable[] {
  const { manager, singles, tree, log } = deps;
  const register = (id: string, handler: (...args: never[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        const message = errorMessage(error);
        log.error(`${id}: ${message}`);
        failures.push({ command: id, message, at: Date.now() });
        if (failures.length > KEPT_FAILURES) failures.splice(0, failures.length - KEPT_FAILURES);
        showError('Fileflow', error);
        return undefined;
      }
    });

  return [
    ...registerHttpCommands(deps.http, register),
    register(COMMANDS.processCurrentFile, async (uri?: vscode.Uri) => {
      const document = await documentFor(uri);
      const run = await singles.processDocument(document);
      announce(run);
      return run.summary;
    }),

    register(COMMANDS.processFolder, async (uri?: vscode.Uri) => {
      const dir = uri?.fsPath ?? (await pickFolder(vscode.l10n.t('Process Folder')));
      if (!dir) return undefined;
      const runs = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Fileflow: processing {0}', path.basename(dir)), cancellable: true },
        (progress, token) => singles.processFolder(dir, progress, token),
      );
      const failed = runs.filter((r) => r.summary.status === 'failed').length;
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Fileflow processed {0} file(s) in {1}: {2} failed.', runs.length, path.basename(dir), failed),
      );
      return runs.map((r) => r.summary);
    }),

    register(COMMANDS.watchFolder, async (uri?: vscode.Uri) => {
      const dir = uri?.fsPath ?? (await pickFolder(vscode.l10n.t('Watch Folder')));
      if (!dir) return undefined;
      const root = await manager.watch(dir);
      if (root.status !== 'error') {
        void vscode.window.showInformationMessage(vscode.l10n.t('Fileflow is watching {0}', path.join(root.root, 'unprocessed')));
      }
      return root.root;
    }),

    register(COMMANDS.stopWatchingFolder, async (arg?: vscode.Uri | FileflowNode) => {
      let dir = arg instanceof vscode.Uri ? arg.fsPath : arg && 'root' in arg ? arg.root.root : undefined;
      if (!dir) {
        const picked = await vscode.window.showQuickPick(
          manager.list().map((r) => ({ label: r.name, description: r.root, root: r.root })),
          { placeHolder: vscode.l10n.t('Stop watching which folder?') },
        );
        dir = picked?.root;
      }
      if (dir) await manager.unwatch(dir);
      return dir;
    }),

    register(COMMANDS.pause, () => setPaused(manager, true)),
    register(COMMANDS.resume, () => setPaused(manager, false)),

    register(COMMANDS.retry, async (node?: FileNode) => {
      const target = node ?? (await pickFile(manager, 'failed'));
      if (!target) return undefined;
      return manager.retry(target.root, target.name);
    }),
    register(COMMANDS.retryAllFailed, async (node?: FileflowNode) => {
      const roots = node && 'root' in node ? [node.root] : manager.list();
      let count = 0;
      for (const root of roots) count += await manager.retryAll(root);
      void vscode.window.showInformationMessage(vscode.l10n.t('Fileflow: {0} failed file(s) moved back to the inbox.', count));
      return count;
    }),
    register(COMMANDS.reprocess, async (node?: FileNode) => {
      const target = node ?? (await pickFile(manager, 'processed'));
      if (!target) return undefined;
      return manager.reprocess(target.root, target.name);
    }),

    register(COMMANDS.openResult, async (node?: FileNode | SingleNode) => {
      const file = node?.kind === 'single' ? path.join(node.run.resultsFolder, node.run.summary.name) : node && node.root.layout.resultPath(node.name);
      if (file) await openIfExists(file);
    }),
    register(COMMANDS.openSummary, async (node?: FileNode | SingleNode) => {
      const file =
        node?.kind === 'single' ? path.join(node.run.resultsFolder, node.run.summary.name) + SUMMARY_SUFFIX : node && node.root.layout.summaryPath(node.name);
      if (file) await openIfExists(file);
    }),
    register(COMMANDS.revealInExplorer, async (node?: FileNode | SingleNode) => {
      if (!node) return;
      const file = node.kind === 'single' ? path.join(node.run.resultsFolder, node.run.summary.name) : filePath(node);
      await vscode.commands.executeCommand(VSCODE_COMMANDS.revealInExplorer, vscode.Uri.file(file));
    }),

    register(COMMANDS.openPipelineConfiguration, async () => {
      const folder = await pickWorkspaceFolder();
      if (!folder) return undefined;
      const file = readSettings(folder).pipelineFile;
      if (!existsSync(file)) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, STARTER_PIPELINE, { flag: 'wx' });
      }
      await vscode.window.showTextDocument(vscode.Uri.file(file));
      return file;
    }),

    register(COMMANDS.generateSampleLogs, async (uri?: vscode.Uri) => {
      const choices = manager.list().map((r) => ({ label: r.name, description: path.join(r.root, 'unprocessed'), dir: path.join(r.root, 'unprocessed') }));
      let dir = uri?.fsPath;
      if (!dir && choices.length > 0) {
        const picked = await vscode.window.showQuickPick([...choices, { label: vscode.l10n.t('Choose a folder…'), description: '', dir: '' }], {
          placeHolder: vscode.l10n.t('Where should the sample logs go?'),
        });
        if (!picked) return undefined;
        dir = picked.dir || undefined;
      }
      dir ??= await pickFolder(vscode.l10n.t('Generate Sample Logs'));
      if (!dir) return undefined;
      const files = await writeSamples(dir, { count: 10, lines: 200, seed: Date.now() % 100000 });
      void vscode.window.showInformationMessage(vscode.l10n.t('Fileflow wrote {0} sample log(s) to {1}', files.length, dir));
      return files;
    }),

    register(COMMANDS.showLog, () => log.show(true)),
    register(COMMANDS.showMetrics, () => deps.showMetrics()),
    register(COMMANDS.refresh, async () => {
      await manager.rescan();
      tree.scheduleRefresh();
    }),
    register(COMMANDS.showMore, (node: Extract<FileflowNode, { kind: 'more' }>) => tree.showMore(node)),
  ];
}

/** Pauses or resumes every root, and shows the other of the two commands (the `fileflow.paused` context key). */
export function setPaused(manager: QueueManager, paused: boolean): void {
  manager.setPaused(paused);
  void vscode.commands.executeCommand(VSCODE_COMMANDS.setContext, CONTEXT_KEYS.paused, paused);
}

function announce(run: SingleRun): void {
  const { summary } = run;
  const result = vscode.Uri.file(path.join(run.resultsFolder, summary.name));
  const summaryUri = vscode.Uri.file(path.join(run.resultsFolder, summary.name) + SUMMARY_SUFFIX);
  if (summary.status === 'processed') {
    const open = vscode.l10n.t('Open Result');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Fileflow: {0} — {1} lines in, {2} out.', summary.name, summary.linesIn, summary.linesOut), open)
      .then((choice) => (choice === open ? vscode.window.showTextDocument(result) : undefined));
  } else {
    const open = vscode.l10n.t('Open Summary');
    void vscode.window
      .showErrorMessage(vscode.l10n.t('Fileflow: {0} failed: {1}', summary.name, summary.error?.message ?? ''), open)
      .then((choice) => (choice === open ? vscode.window.showTextDocument(summaryUri) : undefined));
  }
}

async function documentFor(uri: vscode.Uri | undefined): Promise<vscode.TextDocument> {
  if (uri) {
    // Prefer the open document (it may have unsaved edits) over the file on disk.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return open ?? vscode.workspace.openTextDocument(uri);
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error(vscode.l10n.t('Open a file in the editor first: Process Current File runs the active editor.'));
  return editor.document;
}

async function pickFolder(title: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title });
  return picked?.[0]?.fsPath;
}

async function pickWorkspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new Error(vscode.l10n.t('Open a folder first: the pipeline file lives in a workspace folder.'));
  if (folders.length === 1) return folders[0];
  const editorFolder = vscode.window.activeTextEditor && vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri);
  return editorFolder ?? vscode.window.showWorkspaceFolderPick();
}

async function pickFile(manager: QueueManager, state: 'failed' | 'processed'): Promise<{ root: QueueRoot; name: string } | undefined> {
  const perRoot = await Promise.all(manager.list().map(async (root) => ({ root, files: await root.model.page(state, 0, PICK_LIMIT) })));
  const items = perRoot.flatMap(({ root, files }) => files.map((f) => ({ label: f.name, description: root.name, root, name: f.name })));
  if (items.length === 0) {
    void vscode.window.showInformationMessage(state === 'failed' ? vscode.l10n.t('No failed files.') : vscode.l10n.t('No processed files.'));
    return undefined;
  }
  return vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Which file?') });
}

async function openIfExists(file: string): Promise<void> {
  if (!existsSync(file)) throw new Error(vscode.l10n.t('{0} does not exist (yet).', file));
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}
