// Lays out a pipeline as columns: each node sits one column right of the first node that
// can send it a line (breadth first from `start`), `end` in a last column of its own.
// Pure functions, so the layout can be tested without a DOM.

import type { PipelineShape } from '../src/shared/metrics';

export const END = 'end';

export interface PlacedNode {
  name: string;
  use: string;
  column: number;
  row: number;
}

export interface Layout {
  nodes: PlacedNode[];
  columns: number;
  rows: number;
}

export function layoutPipeline(shape: PipelineShape): Layout {
  const depth = new Map<string, number>();
  const known = new Set(shape.nodes.map((n) => n.name));
  const tagsOf = new Map(shape.nodes.map((n) => [n.name, n.tags]));
  const queue = [shape.start];
  depth.set(shape.start, 0);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    for (const tag of tagsOf.get(name) ?? []) {
      if (tag === END || !known.has(tag) || depth.has(tag)) continue;
      depth.set(tag, (depth.get(name) ?? 0) + 1);
      queue.push(tag);
    }
  }
  let maxDepth = Math.max(0, ...depth.values());
  // Nodes no tag leads to (reached only by custom modules, or `unmatched`) go last.
  for (const node of shape.nodes) if (!depth.has(node.name)) depth.set(node.name, maxDepth + 1);
  maxDepth = Math.max(0, ...depth.values());
  const endColumn = maxDepth + 1;
  const rowsUsed = new Map<number, number>();
  const nodes: PlacedNode[] = [];
  for (const node of shape.nodes) {
    const column = depth.get(node.name) ?? 0;
    const row = rowsUsed.get(column) ?? 0;
    rowsUsed.set(column, row + 1);
    nodes.push({ name: node.name, use: node.use, column, row });
  }
  nodes.push({ name: END, use: 'result', column: endColumn, row: 0 });
  rowsUsed.set(endColumn, 1);
  return { nodes, columns: endColumn + 1, rows: Math.max(...rowsUsed.values()) };
}

/** The busiest path: from start, keep following the outgoing edge that carried most lines. */
export function busiestPath(start: string, edges: Record<string, Record<string, number>>): Set<string> {
  const onPath = new Set<string>();
  let current = start;
  for (let guard = 0; guard < 1000; guard++) {
    const out = Object.entries(edges[current] ?? {}).filter(([, count]) => count > 0);
    if (out.length === 0) break;
    const [next] = out.reduce((best, edge) => (edge[1] > best[1] ? edge : best));
    const key = `${current}->${next}`;
    if (onPath.has(key)) break;
    onPath.add(key);
    if (next === END) break;
    current = next;
  }
  return onPath;
}
