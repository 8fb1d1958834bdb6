// The metrics panel's page: renders the host's snapshot as cards, a throughput chart, the
// pipeline graph, a per-node table and recent errors. Talks to the host only through the
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
import type { MetricsSnapshot, NodeStats, PipelineShape } from '../src/shared/metrics';
import type { HostToWebview, PanelState, ThroughputPoint, WebviewToHost } from '../src/shared/protocol';
import { formatBytes } from '../src/shared/format';
import { chartWindow, MAX_CHART_MINUTES } from './chartWindow';
import { busiestPath, END, layoutPipeline } from './graphLayout';
import { connectHost } from './host';

const host = connectHost(receive);
const SVG = 'http://www.w3.org/2000/svg';
let state: PanelState = host.getState() ?? { roots: [], selected: undefined, metrics: undefined, pipelines: [], history: [] };

function post(message: WebviewToHost): void {
  host.post(message);
}

function $(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element;
}

function text(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toLocaleString('en-US');
}

function formatDuration(sec: number): string {
  if (sec < 60) return `${sec.toFixed(0)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${Math.floor(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}

/** [number, unit]; a no-break space joins them where they are shown together. */
function msParts(ms: number): [string, string] {
  if (ms >= 10_000) return [(ms / 1000).toFixed(1), 's'];
  return ms >= 1000 ? [(ms / 1000).toFixed(2), 's'] : [String(Math.round(ms)), 'ms'];
}

function formatMs(ms: number): string {
  return msParts(ms).join('\u00a0');
}

/** "1.48 / 1.78 s": two durations sharing their unit when they can (fits a card's width). */
function formatMsPair(a: number, b: number): string {
  const [x, xUnit] = msParts(a);
  const [y, yUnit] = msParts(b);
  return xUnit === yUnit ? `${x} / ${y}\u00a0${yUnit}` : `${formatMs(a)} / ${formatMs(b)}`;
}

/** The axis maximum: `value` rounded up to 1, 2, 4 or 8 × 10^n, so the quarter lines are round. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 8]) if (step * power >= value) return step * power;
  return 10 * power;
}

// ---------------------------------------------------------------------------------------

function render(): void {
  renderHeader();
  const m = state.metrics;
  $('empty').hidden = m !== undefined;
  $('content').hidden = m === undefined;
  if (!m) return;
  renderCards(m);
  renderChart(state.history);
  renderGraph(m);
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

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  parent?.appendChild(element);
  return element;
}

function renderChart(history: ThroughputPoint[]): void {
  const host = $('chart');
  host.replaceChildren();
  const width = Math.max(320, host.clientWidth || 640);
  const height = 180;
  const pad = { left: 48, right: 56, top: 12, bottom: 24 };
  const now = Date.now();
  const recent = history.filter((p) => p.t >= now - MAX_CHART_MINUTES * 60_000);
  const { from, minutes, ticks } = chartWindow(recent[0]?.t, now);
  const points = recent.filter((p) => p.t >= from);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `throughput over the last ${minutes} minute(s)` }, host);
  const maxFiles = niceMax(Math.max(1, ...points.map((p) => p.filesPerSec)));
  const maxLines = niceMax(Math.max(1, ...points.map((p) => p.linesPerSec)));
  const x = (t: number): number => pad.left + ((t - from) / (now - from)) * (width - pad.left - pad.right);
  const yFiles = (v: number): number => height - pad.bottom - (v / maxFiles) * (height - pad.top - pad.bottom);
  const yLines = (v: number): number => height - pad.bottom - (v / maxLines) * (height - pad.top - pad.bottom);
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (i / 4) * (height - pad.top - pad.bottom);
    svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }, root);
    svg('text', { x: pad.left - 6, y: y + 4, class: 'axis files', 'text-anchor': 'end' }, root).textContent = formatCount(Math.round(maxFiles * (1 - i / 4) * 10) / 10);
    svg('text', { x: width - pad.right + 6, y: y + 4, class: 'axis lines' }, root).textContent = formatCount(Math.round(maxLines * (1 - i / 4)));
  }
  for (const tick of ticks) {
    svg('text', { x: x(tick.t), y: height - 6, class: 'axis', 'text-anchor': 'middle' }, root).textContent = tick.label;
  }
  if (points.length > 1) {
    const line = (y: (p: ThroughputPoint) => number): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
    svg('path', { d: line((p) => yLines(p.linesPerSec)), class: 'series lines' }, root);
    svg('path', { d: line((p) => yFiles(p.filesPerSec)), class: 'series files' }, root);
  } else {
    svg('text', { x: width / 2, y: height / 2, class: 'axis', 'text-anchor': 'middle' }, root).textContent = 'collecting…';
  }
}

function renderGraph(m: MetricsSnapshot): void {
  const host = $('graph');
  host.replaceChildren();
  const pipelines: PipelineShape[] = state.pipelines;
  for (const shape of pipelines) {
    const nodes = m.nodes[shape.name] ?? {};
    const edges = m.edges[shape.name] ?? {};
    const layout = layoutPipeline(shape);
    const boxW = 168;
    const boxH = 46;
    const gapX = 96;
    const gapY = 18;
    const width = layout.columns * (boxW + gapX) - gapX + 24;
    const height = layout.rows * (boxH + gapY) - gapY + 24;
    const title = document.createElement('div');
    title.className = 'graph-title';
    title.textContent = pipelines.length > 1 ? `pipeline "${shape.name}"` : `pipeline "${shape.name}" (start: ${shape.start})`;
    host.appendChild(title);
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'graph', role: 'img', 'aria-label': `pipeline ${shape.name}` }, host);
    // Each column is centred vertically, so `start` and `end` sit level with the middle of the
    // nodes they fan out to and collect from.
    const columnRows = new Map<number, number>();
    for (const n of layout.nodes) columnRows.set(n.column, Math.max(columnRows.get(n.column) ?? 0, n.row + 1));
    const pos = new Map(
      layout.nodes.map((n) => {
        const offset = ((layout.rows - (columnRows.get(n.column) ?? 1)) * (boxH + gapY)) / 2;
        return [n.name, { x: 12 + n.column * (boxW + gapX), y: 12 + offset + n.row * (boxH + gapY) }];
      }),
    );
    const hot = busiestPath(shape.start, edges);
    const maxCount = Math.max(1, ...Object.values(edges).flatMap((targets) => Object.values(targets)));
    const edgeLayer = svg('g', {}, root);
    const labelLayer = svg('g', {}, root);
    for (const node of shape.nodes) {
      const tags = new Set([...node.tags, ...Object.keys(edges[node.name] ?? {})]);
      for (const tag of tags) {
        const a = pos.get(node.name);
        const b = pos.get(tag);
        if (!a || !b) continue;
        const count = edges[node.name]?.[tag] ?? 0;
        const x1 = a.x + boxW;
        const y1 = a.y + boxH / 2;
        const x2 = b.x;
        const y2 = b.y + boxH / 2;
        const back = x2 <= x1;
        const d = back
          ? `M${x1},${y1} C${x1 + 40},${y1 + 60} ${x2 - 40},${y2 + 60} ${x2},${y2}`
          : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
        const widthPx = count === 0 ? 1 : 1.5 + (4 * Math.log(count + 1)) / Math.log(maxCount + 1);
        const isHot = hot.has(`${node.name}->${tag}`);
        svg('path', { d, class: `edge${count === 0 ? ' idle' : ''}${isHot ? ' hot' : ''}`, 'stroke-width': widthPx.toFixed(1), 'marker-end': 'url(#arrow)' }, edgeLayer);
        if (count > 0) {
          const lx = back ? (x1 + x2) / 2 : (x1 + x2) / 2;
          const ly = back ? Math.max(y1, y2) + 48 : (y1 + y2) / 2 - 4;
          svg('text', { x: lx, y: ly, class: `edge-label${isHot ? ' hot' : ''}`, 'text-anchor': 'middle' }, labelLayer).textContent = formatCount(count);
        }
      }
    }
    const defs = svg('defs', {}, root);
    // Arrow heads in user units: sized by the stroke width, thick edges had huge arrows.
    const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse' }, defs);
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }, marker);
    for (const placed of layout.nodes) {
      const p = pos.get(placed.name);
      if (!p) continue;
      const stats: NodeStats | undefined = nodes[placed.name];
      const isEnd = placed.name === END;
      const group = svg('g', { class: `node${isEnd ? ' end' : ''}${stats && stats.errors > 0 ? ' error' : ''}` }, root);
      svg('title', {}, group).textContent = isEnd
        ? `end: ${m.lines.out} lines written`
        : `${placed.name} (${placed.use}): ${stats?.in ?? 0} in, ${stats?.out ?? 0} out, ${stats?.errors ?? 0} errors, ${(stats?.ms ?? 0).toFixed(1)} ms`;
      svg('rect', { x: p.x, y: p.y, width: boxW, height: boxH, rx: 6 }, group);
      const name = svg('text', { x: p.x + 10, y: p.y + 18, class: 'node-name' }, group);
      name.textContent = placed.name;
      if (!isEnd) {
        // The processor on the right of the first line, unless the name needs the room.
        const use = svg('text', { x: p.x + boxW - 10, y: p.y + 18, class: 'node-use', 'text-anchor': 'end' }, group);
        use.textContent = placed.use;
        if (name.getComputedTextLength() + use.getComputedTextLength() + 12 > boxW - 20) use.remove();
      }
      const detail = isEnd ? `${formatCount(m.lines.out)} lines written` : `${formatCount(stats?.in ?? 0)} in · ${formatCount(stats?.out ?? 0)} out`;
      svg('text', { x: p.x + 10, y: p.y + 36, class: 'node-detail' }, group).textContent = detail;
    }
  }
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

window.addEventListener('resize', () => renderChart(state.history));

render();
post({ type: 'ready' });
