// The pipeline graph: each pipeline's nodes in the columns of graphLayout.ts, edges as wide
// as the lines they carried (the busiest path highlighted), per-node counts, drawn as SVG.

import { formatCount } from '../src/shared/format';
import type { MetricsSnapshot, NodeStats, PipelineShape } from '../src/shared/metrics';
import { svg } from './dom';
import { busiestPath, END, layoutPipeline } from './graphLayout';

export function renderGraph(host: HTMLElement, pipelines: readonly PipelineShape[], m: MetricsSnapshot): void {
  host.replaceChildren();
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
