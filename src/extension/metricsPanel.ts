// Hosts the metrics webview (docs/results.md, "Metrics snapshot"): builds its HTML under a strict CSP, answers the
// webview's `ready` with a full snapshot, then sends throttled updates. No
// retainContextWhenHidden: the webview keeps its state with setState and gets a fresh
// snapshot when shown again; a serializer brings the panel back after a reload.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { htmlPage, panelBody } from '../shared/panelMarkup';
import type { HostToWebview, PanelState, RenderedFigures, RootSummary, WebviewToHost } from '../shared/protocol';
import { METRICS_PANEL } from './constants';
import type { MetricsHistory } from './metricsHistory';
import type { QueueManager } from './queueManager';

/** At most this many updates a second reach the webview, however busy the queue is. */
const MAX_UPDATES_PER_SEC = 4;
const TICK_MS = 2000;

export class MetricsPanel implements vscode.Disposable {
  private static current: MetricsPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private selected: string | undefined;
  private pending: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private lastPoint = 0;
  /** For tests and the note: what the webview last said it rendered, and how many messages went. */
  lastRendered: RenderedFigures | undefined;
  messagesSent = 0;
  readonly openedAt = Date.now();

  static show(extensionUri: vscode.Uri, manager: QueueManager, history: MetricsHistory): MetricsPanel {
    if (MetricsPanel.current) {
      MetricsPanel.current.panel.reveal();
      return MetricsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(METRICS_PANEL, vscode.l10n.t('Fileflow Metrics'), vscode.ViewColumn.Active, panelOptions(extensionUri));
    MetricsPanel.current = new MetricsPanel(panel, extensionUri, manager, history, undefined);
    return MetricsPanel.current;
  }

  /** Registers the serializer that restores the panel when VS Code reloads. */
  static registerSerializer(extensionUri: vscode.Uri, manager: QueueManager, history: MetricsHistory): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(METRICS_PANEL, {
      // eslint-disable-next-line @typescript-eslint/require-await -- the API wants a Thenable; async also turns a throw into the rejection VS Code reports
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        panel.webview.options = panelOptions(extensionUri);
        MetricsPanel.current?.dispose();
        const selected = (state as Partial<PanelState> | undefined)?.selected;
        MetricsPanel.current = new MetricsPanel(panel, extensionUri, manager, history, selected);
      },
    });
  }

  static get instance(): MetricsPanel | undefined {
    return MetricsPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly manager: QueueManager,
    private readonly history: MetricsHistory,
    selected: string | undefined,
  ) {
    this.selected = selected;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    panel.webview.html = html(panel.webview, extensionUri);
    const tick = setInterval(() => this.scheduleUpdate(), TICK_MS);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: WebviewToHost) => void this.onMessage(message)),
      manager.onDidChange(() => this.scheduleUpdate()),
      { dispose: () => clearInterval(tick) },
    );
  }

  /** The root shown: the chosen one if still watched, else the first. */
  private root(): string | undefined {
    const roots = this.manager.list();
    if (this.selected && roots.some((r) => r.root === this.selected)) return this.selected;
    return roots[0]?.root;
  }

  private roots(): RootSummary[] {
    return this.manager.list().map((r) => ({
      root: r.root,
      label: r.name,
      status: r.status,
      ...(r.queue?.instance ? { instance: `${r.queue.instance.host}:${r.queue.instance.pid}` } : {}),
      others: r.others.map((other) => `${other.host}:${other.pid}`),
    }));
  }

  private snapshotState(): PanelState {
    const selected = this.root();
    const queue = selected ? this.manager.get(selected)?.queue : undefined;
    return {
      roots: this.roots(),
      selected,
      metrics: queue?.metrics.snapshot(),
      pipelines: queue?.pipelines ?? [],
      history: selected ? this.history.history(selected) : [],
    };
  }

  private async onMessage(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.send({ type: 'snapshot', state: this.snapshotState() });
        break;
      case 'selectRoot':
        this.selected = message.root;
        this.send({ type: 'snapshot', state: this.snapshotState() });
        break;
      case 'openSummary': {
        const root = this.manager.get(message.root);
        if (!root) return;
        await vscode.window.showTextDocument(vscode.Uri.file(root.layout.summaryPath(message.file)), { viewColumn: vscode.ViewColumn.Beside });
        break;
      }
      case 'rendered':
        this.lastRendered = message.figures;
        break;
    }
  }

  /** Coalesces bursts of changes into at most MAX_UPDATES_PER_SEC messages. */
  private scheduleUpdate(): void {
    if (this.pending || !this.panel.visible) return;
    const wait = Math.max(0, this.lastSent + 1000 / MAX_UPDATES_PER_SEC - Date.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const selected = this.root();
      const queue = selected ? this.manager.get(selected)?.queue : undefined;
      const point = selected ? this.history.latest(selected) : undefined;
      const fresh = point && point.t > this.lastPoint ? point : undefined;
      if (fresh) this.lastPoint = fresh.t;
      this.send({ type: 'update', roots: this.roots(), selected, metrics: queue?.metrics.snapshot(), point: fresh });
    }, wait);
  }

  private send(message: HostToWebview): void {
    this.lastSent = Date.now();
    this.messagesSent++;
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (MetricsPanel.current === this) MetricsPanel.current = undefined;
    clearTimeout(this.pending);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  return htmlPage({
    csp: ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource}`],
    title: 'Fileflow Metrics',
    styles: [asset('styles.css')],
    body: `${panelBody({ empty: 'No folder is being watched. Right-click a folder in the Explorer and choose <b>Watch Folder</b>, or run <b>Fileflow: Watch Folder</b>.' })}
<script nonce="${nonce}" src="${asset('main.js')}"></script>`,
  });
}


