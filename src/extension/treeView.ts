// The Fileflow tree: one node per queue root (plus "Single runs"), under each the files by
// state with counts, newest first and paged. Refreshes are batched so a burst of thousands
// of files costs a few redraws, not thousands.

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SeenInstance } from '../core/queue/instances';
import { FILE_STATES, STATE_FOLDER, type FileState } from '../core/queue/stateListing';
import type { FileSummary } from '../core/summary';
import { COMMANDS, VSCODE_COMMANDS } from './constants';
import type { QueueManager, QueueRoot, RootStatus } from './queueManager';
import type { SingleRun, SingleRunner } from './singleRuns';

export const PAGE_SIZE = 200;
const REFRESH_DELAY_MS = 250;

// Each label is a literal l10n.t call, so that the build finds it for the bundle translators copy.
const STATE_LABELS: Record<FileState, () => string> = {
  queued: () => vscode.l10n.t('Queued'),
  inProgress: () => vscode.l10n.t('In progress'),
  processed: () => vscode.l10n.t('Processed'),
  failed: () => vscode.l10n.t('Failed'),
};

const STATUS_LABELS: Record<RootStatus, () => string> = {
  starting: () => vscode.l10n.t('starting'),
  watching: () => vscode.l10n.t('watching'),
  paused: () => vscode.l10n.t('paused'),
  error: () => vscode.l10n.t('error'),
  stopping: () => vscode.l10n.t('stopping'),
};

const STATE_ICONS: Record<FileState, vscode.ThemeIcon> = {
  queued: new vscode.ThemeIcon('inbox'),
  inProgress: new vscode.ThemeIcon('sync~spin'),
  processed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

export type FileflowNode =
  | { kind: 'root'; root: QueueRoot }
  | { kind: 'group'; root: QueueRoot; state: FileState }
  | { kind: 'file'; root: QueueRoot; state: FileState; name: string }
  | { kind: 'more'; root: QueueRoot; state: FileState; shown: number }
  /** Another instance (window, CLI, machine) working the same root. */
  | { kind: 'instance'; root: QueueRoot; instance: SeenInstance }
  | { kind: 'singles' }
  | { kind: 'single'; run: SingleRun };

export class FileflowTreeProvider implements vscode.TreeDataProvider<FileflowNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FileflowNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pages = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** How many refreshes were actually sent to VS Code (tests check the batching). */
  refreshCount = 0;

  constructor(
    private readonly manager: QueueManager,
    private readonly singles: SingleRunner,
  ) {
    this.disposables.push(
      manager.onDidChange(() => this.scheduleRefresh()),
      singles.onDidRun(() => this.scheduleRefresh()),
    );
  }

  /** Coalesces change notifications into at most one redraw per REFRESH_DELAY_MS. */
  scheduleRefresh(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.refreshCount++;
      this.changed.fire(undefined);
    }, REFRESH_DELAY_MS);
  }

  showMore(node: Extract<FileflowNode, { kind: 'more' }>): void {
    this.pages.set(pageKey(node.root, node.state), node.shown + PAGE_SIZE);
    this.changed.fire(undefined);
  }

  /** Children of a node; a group's files come from its root's model (from disk when paged past what it keeps in memory). */
  async getChildren(node?: FileflowNode): Promise<FileflowNode[]> {
    if (!node) {
      const roots: FileflowNode[] = this.manager.list().map((root) => ({ kind: 'root', root }));
      if (this.singles.recent().length > 0) roots.push({ kind: 'singles' });
      return roots;
    }
    switch (node.kind) {
      case 'root':
        return [
          ...FILE_STATES.map((state): FileflowNode => ({ kind: 'group', root: node.root, state })),
          ...node.root.others.map((instance): FileflowNode => ({ kind: 'instance', root: node.root, instance })),
        ];
      case 'group': {
        const shown = this.pages.get(pageKey(node.root, node.state)) ?? PAGE_SIZE;
        const files = await node.root.model.page(node.state, 0, shown);
        const children: FileflowNode[] = files.map((f) => ({ kind: 'file', root: node.root, state: node.state, name: f.name }));
        if (node.root.model.count(node.state) > files.length) children.push({ kind: 'more', root: node.root, state: node.state, shown: files.length });
        return children;
      }
      case 'singles':
        return this.singles.recent().map((run) => ({ kind: 'single', run }));
      default:
        return [];
    }
  }

  getTreeItem(node: FileflowNode): vscode.TreeItem {
    switch (node.kind) {
      case 'root': {
        const item = new vscode.TreeItem(node.root.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `root:${node.root.root}`;
        item.description = STATUS_LABELS[node.root.status]();
        // In a multi-root window, roots of the same name in different folders are told apart here.
        if ((vscode.workspace.workspaceFolders?.length ?? 0) > 1) item.description += ` · ${node.root.folder.name}`;
        const problem = node.root.error ?? node.root.warning;
        if (node.root.warning !== undefined && node.root.status !== 'error') item.description = vscode.l10n.t('{0} — needs attention', String(item.description));
        item.tooltip = problem ? `${node.root.root}\n\n${problem}` : node.root.root;
        item.iconPath = new vscode.ThemeIcon(problem !== undefined ? 'warning' : node.root.status === 'paused' ? 'debug-pause' : 'eye');
        item.contextValue = `root.${node.root.status}`;
        item.resourceUri = vscode.Uri.file(node.root.root);
        return item;
      }
      case 'group': {
        const count = node.root.model.count(node.state);
        const item = new vscode.TreeItem(
          STATE_LABELS[node.state](),
          node.state === 'failed' && count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `group:${node.root.root}:${node.state}`;
        item.description = String(count);
        item.iconPath = STATE_ICONS[node.state];
        item.contextValue = `group.${node.state}`;
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(path.posix.basename(node.name), vscode.TreeItemCollapsibleState.None);
        item.id = `file:${node.root.root}:${node.state}:${node.name}`;
        const dir = path.posix.dirname(node.name);
        item.description = dir === '.' ? undefined : dir;
        item.iconPath = STATE_ICONS[node.state];
        item.contextValue = `file.${node.state}`;
        item.resourceUri = vscode.Uri.file(filePath(node));
        item.command = openCommand(node);
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(vscode.l10n.t('Show more…'), vscode.TreeItemCollapsibleState.None);
        item.description = vscode.l10n.t('{0} of {1} shown', node.shown, node.root.model.count(node.state));
        item.command = { command: COMMANDS.showMore, title: vscode.l10n.t('Show more…'), arguments: [node] };
        return item;
      }
      case 'instance': {
        const { instance } = node;
        const item = new vscode.TreeItem(vscode.l10n.t('Also worked by {0}:{1}', instance.host, instance.pid), vscode.TreeItemCollapsibleState.None);
        item.id = `instance:${node.root.root}:${instance.id}`;
        item.description = vscode.l10n.t('{0} in flight', node.root.othersInFlight.get(instance.id) ?? 0);
        item.tooltip = vscode.l10n.t(
          'Another Fileflow instance ({0}, id {1}) works this folder too, since {2}; last heartbeat {3}. Its files count as in progress here; its figures are its own.',
          instance.kind,
          instance.id,
          instance.startedAt,
          new Date(instance.heartbeatAt).toLocaleTimeString(),
        );
        item.iconPath = new vscode.ThemeIcon('server-process');
        item.contextValue = 'instance';
        return item;
      }
      case 'singles': {
        const item = new vscode.TreeItem(vscode.l10n.t('Single runs'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'singles';
        item.description = String(this.singles.recent().length);
        item.iconPath = new vscode.ThemeIcon('run');
        return item;
      }
      case 'single': {
        const { summary } = node.run;
        const item = new vscode.TreeItem(path.posix.basename(summary.name), vscode.TreeItemCollapsibleState.None);
        item.id = `single:${node.run.resultsFolder}:${summary.name}`;
        item.description = summary.status === 'processed' ? `${summary.linesIn} → ${summary.linesOut}` : summary.error?.message;
        item.iconPath = STATE_ICONS[summary.status];
        item.contextValue = `file.single.${summary.status}`;
        item.tooltip = summaryTooltip(summary);
        const target = summary.status === 'processed' ? path.join(node.run.resultsFolder, summary.name) : summaryPathOf(node);
        item.command = { command: VSCODE_COMMANDS.open, title: vscode.l10n.t('Open'), arguments: [vscode.Uri.file(target)] };
        return item;
      }
    }
  }

  /** Tooltips read the summary lazily, only for the row the pointer is on. */
  async resolveTreeItem(item: vscode.TreeItem, node: FileflowNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'file') return item;
    if (node.state === 'processed' || node.state === 'failed') {
      try {
        const summary = JSON.parse(await readFile(node.root.layout.summaryPath(node.name), 'utf8')) as FileSummary;
        item.tooltip = summaryTooltip(summary);
      } catch {
        item.tooltip = node.name;
      }
    } else {
      item.tooltip = `${node.name}\n${STATE_LABELS[node.state]()}`;
    }
    return item;
  }

  /** Total failed files over all roots, for the view's badge. */
  failedCount(): number {
    return this.manager.list().reduce((sum, root) => sum + root.model.count('failed'), 0);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function pageKey(root: QueueRoot, state: FileState): string {
  return `${root.root}\n${state}`;
}

export function filePath(node: Extract<FileflowNode, { kind: 'file' }>): string {
  return node.root.layout.pathOf(STATE_FOLDER[node.state], node.name);
}

function summaryPathOf(node: Extract<FileflowNode, { kind: 'single' }>): string {
  return path.join(node.run.resultsFolder, node.run.summary.name) + '.summary.json';
}

function openCommand(node: Extract<FileflowNode, { kind: 'file' }>): vscode.Command {
  if (node.state === 'processed') return { command: COMMANDS.openResult, title: vscode.l10n.t('Open Result'), arguments: [node] };
  if (node.state === 'failed') return { command: COMMANDS.openSummary, title: vscode.l10n.t('Open Summary'), arguments: [node] };
  return { command: VSCODE_COMMANDS.open, title: vscode.l10n.t('Open'), arguments: [vscode.Uri.file(filePath(node))] };
}

export function summaryTooltip(summary: FileSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const status = summary.status === 'processed' ? STATE_LABELS.processed() : STATE_LABELS.failed();
  md.appendMarkdown(`**${escape(summary.name)}** — ${status}\n\n`);
  if (summary.error) {
    const where = summary.error.line ? ` ${vscode.l10n.t('(line {0})', summary.error.line)}` : '';
    md.appendMarkdown(`$(error) ${escape(summary.error.message)}${where}\n\n`);
  }
  md.appendMarkdown(`| | |\n|---|---|\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('pipeline')} | ${escape(summary.pipeline ?? '—')} |\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('lines')} | ${vscode.l10n.t('{0} in, {1} out', summary.linesIn, summary.linesOut)} |\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('bytes')} | ${vscode.l10n.t('{0} in, {1} out', summary.bytesIn, summary.bytesOut)} |\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('time')} | ${vscode.l10n.t('{0} ms (latency {1} ms)', summary.durationMs, summary.latencyMs)} |\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('attempts')} | ${summary.attempts} |\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('finished')} | ${summary.finishedAt} |\n`);
  md.supportThemeIcons = true;
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
