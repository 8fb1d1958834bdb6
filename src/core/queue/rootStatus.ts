// What a queue root holds right now, read from disk alone (no running queue needed): the
// instances working it, the files of each state, and why failed files failed. For
// `fileflow status`, and for hosts that show a root they do not run themselves.

import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileSummary } from '../summary';
import { randomTag } from '../util/atomicFile';
import { instancesFolder, readInstances, type SeenInstance } from './instances';
import { inboxFilter } from './inboxRules';
import { QueueLayout } from './layout';
import { FILE_STATES, listState, type FileState, type ListedFile } from './stateListing';

export interface InstanceStatus extends SeenInstance {
  /** Names of the files in its claim folder. */
  inFlight: string[];
}

export interface RootStatus {
  root: string;
  /** When this was read (ms since epoch, this machine's clock). */
  readAt: number;
  instances: InstanceStatus[];
  /** Files in underprocess/ that no instance's folder holds (left by an older version). */
  unowned: string[];
  counts: Record<FileState, number>;
  /** The newest files of each state, newest first. */
  newest: Record<FileState, ListedFile[]>;
  /** Failed files, newest first, with the reason from their summaries. */
  failed: { name: string; time: number; code?: string; message: string }[];
}

/** Reads a root's status. `newest` files per state are listed (default 5), `failed` up to `failedLimit` (default 20). */
export async function readRootStatus(root: string, options: { newest?: number; failedLimit?: number } = {}): Promise<RootStatus> {
  const layout = new QueueLayout(root);
  // Queued: what the queue would take (its built-in rules leave hidden and temporary files alone).
  const accepts = inboxFilter();
  const lists = Object.fromEntries(
    await Promise.all(FILE_STATES.map(async (state) => [state, await listState(layout, state, state === 'queued' ? accepts : undefined)] as const)),
  ) as Record<FileState, ListedFile[]>;
  const seen = await readInstances(root, undefined, await filesystemNow(root));
  const byInstance = new Map<string, string[]>();
  const unowned: string[] = [];
  for (const file of lists.inProgress) {
    if (file.instance === undefined) unowned.push(file.name);
    else byInstance.set(file.instance, [...(byInstance.get(file.instance) ?? []), file.name]);
  }
  const instances = seen.map((instance) => ({ ...instance, inFlight: byInstance.get(instance.id) ?? [] }));
  const failed = [];
  for (const file of lists.failed.slice(0, options.failedLimit ?? 20)) {
    const summary = await readSummary(layout.summaryPath(file.name));
    failed.push({ name: file.name, time: file.time, ...(summary?.error?.code ? { code: summary.error.code } : {}), message: summary?.error?.message ?? 'no summary' });
  }
  const newest = options.newest ?? 5;
  return {
    root: layout.root,
    readAt: Date.now(),
    instances,
    unowned,
    counts: { queued: lists.queued.length, inProgress: lists.inProgress.length, processed: lists.processed.length, failed: lists.failed.length },
    newest: { queued: lists.queued.slice(0, newest), inProgress: lists.inProgress.slice(0, newest), processed: lists.processed.slice(0, newest), failed: lists.failed.slice(0, newest) },
    failed,
  };
}

/**
 * "Now" by the filesystem's clock, as the instances themselves judge leases (on a share,
 * this machine's clock may be off): the mtime of a file written just now. This machine's
 * clock where nothing can be written.
 */
async function filesystemNow(root: string): Promise<number> {
  const probe = path.join(instancesFolder(root), `.probe-${randomTag()}`);
  try {
    await writeFile(probe, '');
    return (await stat(probe)).mtimeMs;
  } catch {
    return Date.now();
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

async function readSummary(file: string): Promise<FileSummary | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as FileSummary;
  } catch {
    return undefined;
  }
}
