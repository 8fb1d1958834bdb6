// The metrics panel's page: keeps the host's state and renders it as cards, the throughput
// chart (chart.ts), the pipeline graph (graph.ts), a per-node table and recent errors. Talks to the host only through the
// typed messages of src/shared/protocol.ts, in VS Code and in the HTTP dashboard alike
// (webview/host.ts). No remote resources; no inline handlers.

import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import { formatBytes, formatCount, formatDuration, formatMs, formatMsPair } from '../src/shared/format';
import type { MetricsSnapshot } from '../src/shared/metrics';
import type { HostToWebview, PanelState, WebviewToHost } from '../src/shared/protocol';
import { renderChart } from './chart';
import { byId as $, escapeHtml as text } from './dom';
import { renderGraph } from './graph';
import { connectHost } from './host';

const host = connectHost(receive);
let state: PanelState = host.getState() ?? { roots: [], selected: undefined, metrics: undefined, pipelines: [], history: [] };

function post(message: WebviewToHost): void {
  host.post(message);
}

// ---------------------------------------------------------------------------------------

function render(): void {
  renderHeader();
  const m = state.metrics;
  $('empty').hidden = m !== undefined;
  $('content').hidden = m === undefined;
  if (!m) return;
  renderCards(m);
  renderChart($('chart'), state.history);
  renderGraph($('graph'), state.pipelines, m);
  renderNodeTable(m);
  renderErrors(m);
  post({
    type: 'rendered',
    figures: { processed: m.files.processed, failed: m.files.failed, inProgress: m.files.inProgress, queued: m.files.queued, linesIn: m.lines.in },
  });
}

function renderHeader(): void {
  const select = $('root-select') as HTMLElement & { value: string };
  const wanted = state.roots.map((r) => `${r.root}\n${r.label}`).join('\n');
  if (select.dataset.roots !== wanted) {
    select.dataset.roots = wanted;
    select.innerHTML = state.roots.map((r) => `<vscode-option value="${text(r.root)}">${text(r.label)}</vscode-option>`).join('');
  }
  if (state.selected !== undefined && select.value !== state.selected) select.value = state.selected;
  $('root-picker').hidden = state.roots.length < 2;
  const root = state.roots.find((r) => r.root === state.selected);
  // With several instances on a root, each has its own figures: say whose these are.
  const whose = root?.instance === undefined ? '' : ` · figures of this window's instance (${root.instance})`;
  const others = root?.others?.length ? `; also worked by ${root.others.join(', ')}` : '';
  $('root-status').textContent = root ? `${root.label} — ${root.status}${whose}${others}` : 'no folder watched';
  $('root-path').textContent = root?.root ?? '';
}

function card(id: string, label: string, value: string, detail = '', tone = ''): string {
  return `<div class="card ${tone}" id="card-${id}"><div class="label">${text(label)}</div><div class="value" data-figure="${id}">${text(value)}</div><div class="detail">${text(detail)}</div></div>`;
}

function renderCards(m: MetricsSnapshot): void {
  const last = m.throughput.lastMinute;
  const rate = m.successRate === null ? '—' : `${(m.successRate * 100).toFixed(1)} %`;
  $('cards').innerHTML = [
    card('processed', 'Processed', formatCount(m.files.processed), `${formatCount(m.lines.in)} lines in · ${formatCount(m.lines.out)} out`, 'good'),
    card('failed', 'Failed', formatCount(m.files.failed), m.recentErrors.length > 0 ? 'see recent errors' : 'none', m.files.failed > 0 ? 'bad' : ''),
    card('inProgress', 'In progress', formatCount(m.files.inProgress), 'in worker threads'),
    card('queued', 'Queued', formatCount(m.files.queued), 'waiting or being written'),
    card('success', 'Success rate', rate, `${formatCount(m.files.processed)} of ${formatCount(m.files.processed + m.files.failed)} finished files`),
    card('throughput', 'Throughput (1 min)', `${last.filesPerSec.toFixed(1)} files/s`, `${formatCount(Math.round(last.linesPerSec))} lines/s · ${formatBytes(last.bytesPerSec)}/s`),
    card('latency', 'Latency p50 / p95', formatMsPair(m.latencyMs.p50, m.latencyMs.p95), `p99 ${formatMs(m.latencyMs.p99)} · max ${formatMs(m.latencyMs.max)}`),
    card('uptime', 'Uptime', formatDuration(m.uptimeSec), `since start: ${m.throughput.sinceStart.filesPerSec.toFixed(1)} files/s`),
    card('memory', 'Host process memory · CPU', formatBytes(m.process.rssBytes), `heap ${formatBytes(m.process.heapUsedBytes)} · CPU ${m.process.cpuPercent.toFixed(0)} %`),
  ].join('');
}

function renderNodeTable(m: MetricsSnapshot): void {
  const rows: string[] = [];
  for (const [pipeline, nodes] of Object.entries(m.nodes)) {
    for (const [name, s] of Object.entries(nodes)) {
      const perLine = s.in > 0 ? ((s.ms * 1000) / s.in).toFixed(2) : '—';
      rows.push(
        `<vscode-table-row><vscode-table-cell>${text(pipeline)}</vscode-table-cell><vscode-table-cell>${text(name)}</vscode-table-cell>` +
          `<vscode-table-cell class="num">${formatCount(s.in)}</vscode-table-cell><vscode-table-cell class="num">${formatCount(s.out)}</vscode-table-cell>` +
          `<vscode-table-cell class="num${s.errors > 0 ? ' bad' : ''}">${s.errors}</vscode-table-cell><vscode-table-cell class="num">${s.ms.toFixed(1)}</vscode-table-cell>` +
          `<vscode-table-cell class="num">${perLine}</vscode-table-cell></vscode-table-row>`,
      );
    }
  }
  $('node-rows').innerHTML = rows.join('') || '<vscode-table-row><vscode-table-cell>no files processed yet</vscode-table-cell></vscode-table-row>';
}

function renderErrors(m: MetricsSnapshot): void {
  const list = $('errors');
  $('error-count').textContent = String(m.recentErrors.length);
  if (m.recentErrors.length === 0) {
    list.innerHTML = '<li class="none">No errors.</li>';
    return;
  }
  list.innerHTML = [...m.recentErrors]
    .reverse()
    .map(
      (e) =>
        `<li><a href="#" data-file="${text(e.file)}" title="Open the summary of ${text(e.file)}">${text(e.file)}</a>` +
        `<span class="where">${e.node ? ` node ${text(e.node)}` : ''}${e.line ? ` line ${e.line}` : ''}</span>` +
        `<span class="time">${text(new Date(e.time).toLocaleTimeString())}</span><div class="message">${text(e.message)}</div></li>`,
    )
    .join('');
}

// ---------------------------------------------------------------------------------------

function receive(message: HostToWebview): void {
  if (message.type === 'snapshot') {
    state = message.state;
  } else if (message.type === 'update') {
    state = { ...state, roots: message.roots, selected: message.selected, metrics: message.metrics };
    if (message.point) {
      const cutoff = message.point.t - 15 * 60 * 1000;
      state.history = [...state.history.filter((p) => p.t >= cutoff), message.point];
    }
  } else {
    return; // the dashboard's own messages (file lists): its host handles them
  }
  host.setState(state);
  render();
}

document.addEventListener('click', (event) => {
  const link = (event.target as Element).closest('#errors a[data-file]');
  if (!link || state.selected === undefined) return;
  event.preventDefault();
  post({ type: 'openSummary', root: state.selected, file: link.getAttribute('data-file') ?? '' });
});

$('root-select').addEventListener('change', (event) => {
  const root = (event.target as HTMLElement & { value: string }).value;
  if (root && root !== state.selected) post({ type: 'selectRoot', root });
});

window.addEventListener('resize', () => renderChart($('chart'), state.history));

render();
post({ type: 'ready' });
