// Status bar item: queued / in progress / failed over all roots; a click opens the metrics.

import * as vscode from 'vscode';
import { COMMANDS, STATUS_BAR_ITEM } from './constants';
import type { QueueManager } from './queueManager';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: QueueManager) {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Fileflow';
    this.item.command = COMMANDS.showMetrics;
    this.subscription = manager.onDidChange(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.update();
      }, 250);
    });
    this.update();
  }

  update(): void {
    const roots = this.manager.list();
    if (roots.length === 0) {
      this.item.hide();
      return;
    }
    let queued = 0;
    let inProgress = 0;
    let failed = 0;
    for (const root of roots) {
      queued += root.model.count('queued');
      inProgress += root.model.count('inProgress');
      failed += root.model.count('failed');
    }
    const working = inProgress > 0 ? '$(sync~spin)' : this.manager.isPaused ? '$(debug-pause)' : '$(sync)';
    const warnings = roots.flatMap((root) => (root.warning === undefined ? [] : [`${root.name}: ${root.warning}`]));
    this.item.text = `${warnings.length > 0 ? '$(warning) ' : ''}Fileflow $(inbox) ${queued} ${working} ${inProgress} $(error) ${failed}`;
    const counts = vscode.l10n.t('Fileflow: {0} queued, {1} in progress, {2} failed — click for metrics', queued, inProgress, failed);
    this.item.tooltip = [counts, ...warnings].join('\n');
    this.item.backgroundColor = failed > 0 || warnings.length > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}
