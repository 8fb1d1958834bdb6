// `fileflow status ROOT`: who works a queue root and what it holds, read from disk (works
// beside running instances, on any machine that sees the share). `--json` for scripts.

import * as path from 'node:path';
import { readRootStatus, type RootStatus } from '../core/queue/rootStatus';
import type { FileState } from '../core/queue/stateListing';
import { stat } from 'node:fs/promises';
import { UsageError, type Command } from './args';

type StatusCommand = Extract<Command, { kind: 'status' }>;

const STATE_LABELS: Record<FileState, string> = { queued: 'queued', inProgress: 'in progress', processed: 'processed', failed: 'failed' };

export async function statusCommand(command: StatusCommand, io: { out(text: string): void; cwd: string }): Promise<number> {
  // Read-only: unlike `watch`, it needs no write access and creates nothing.
  let root = path.resolve(io.cwd, command.root);
  if (path.basename(root) === 'unprocessed') root = path.dirname(root);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`status ${command.root}: ${root} is not a folder`);
  const status = await readRootStatus(root);
  io.out(command.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
  return 0;
}

export function formatStatus(status: RootStatus): string {
  const lines: string[] = [`queue root ${status.root}`];
  const alive = status.instances.filter((instance) => instance.state === 'alive');
  lines.push(alive.length === 0 ? 'instances: none running' : `instances (${alive.length}):`);
  for (const instance of status.instances) {
    const age = Math.max(0, Math.round((status.readAt - instance.heartbeatAt) / 1000));
    const state = instance.state === 'alive' ? '' : instance.state === 'dead' ? '  [process gone; its files are taken over]' : '  [lease expired; its files are taken over]';
    lines.push(
      `  ${instance.host}:${instance.pid} (${instance.kind}, id ${instance.id}) since ${instance.startedAt}, heartbeat ${age} s ago, ` +
        `${instance.inFlight.length} file(s) in flight${instance.inFlight.length > 0 ? `: ${instance.inFlight.slice(0, 5).join(', ')}${instance.inFlight.length > 5 ? ', …' : ''}` : ''}${state}`,
    );
  }
  if (status.unowned.length > 0) lines.push(`  ${status.unowned.length} file(s) in underprocess/ that no instance holds (taken over by the next instance to start)`);
  lines.push('files:');
  for (const state of Object.keys(STATE_LABELS) as FileState[]) {
    const newest = status.newest[state].map((file) => file.name);
    lines.push(`  ${STATE_LABELS[state].padEnd(12)} ${String(status.counts[state]).padStart(7)}${newest.length > 0 ? `   newest: ${newest.join(', ')}` : ''}`);
  }
  if (status.failed.length > 0) {
    lines.push(`failed files${status.counts.failed > status.failed.length ? ` (newest ${status.failed.length} of ${status.counts.failed})` : ''}:`);
    for (const file of status.failed) lines.push(`  ${file.name}: ${file.code ? `${file.code} ` : ''}${file.message}`);
  }
  lines.push(`results: ${path.join(status.root, 'results')}`);
  return lines.join('\n') + '\n';
}
