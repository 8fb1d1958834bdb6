// Lists the files of a queue root by state, newest first, for views (the tree view, the HTTP
// API, `fileflow status`), whole or only the newest few in bounded memory. Uses ctime: a
// rename updates it, so it tells when a file entered its folder. Files in progress are listed
// by their names, whichever instance holds them.

import { lstat } from 'node:fs/promises';
import type { QueueLayout, StateFolder } from './layout';
import { walkFiles } from './walk';
import { fsPath, safeName } from '../util/rawNames';
import { CLAIM_FOLDER_PREFIX } from './instances';

/**
 * A name as a user knows it: in underprocess/, without the claim folder of the instance that
 * holds it (`.ff-<id>/2025/app.log` is `2025/app.log`, held by instance <id>).
 */
export function claimedName(relative: string): { name: string; instance?: string } {
  if (relative.startsWith(CLAIM_FOLDER_PREFIX)) {
    const slash = relative.indexOf('/');
    if (slash !== -1) return { name: safeName(relative.slice(slash + 1)), instance: relative.slice(CLAIM_FOLDER_PREFIX.length, slash) };
  }
  return { name: safeName(relative) };
}

export interface ListedFile {
  name: string;
  /** When the file entered this folder (ms since epoch). */
  time: number;
  /** In progress: the id of the instance whose claim it is (none for a file an older version left). */
  instance?: string;
}

export type FileState = 'queued' | 'inProgress' | 'processed' | 'failed';

/** The states, in the order views show them. */
export const FILE_STATES: readonly FileState[] = ['queued', 'inProgress', 'processed', 'failed'];

export const STATE_FOLDER: Record<FileState, StateFolder> = {
  queued: 'unprocessed',
  inProgress: 'underprocess',
  processed: 'processed',
  failed: 'failed',
};

/** Whether `a` comes before `b` newest first: later first, then by name. */
export function isNewer(a: ListedFile, b: ListedFile): boolean {
  return a.time > b.time || (a.time === b.time && a.name.localeCompare(b.name) < 0);
}

/**
 * Keeps the `limit` newest of the files offered to it, newest first, without sorting them all:
 * memory stays bounded by `limit` however many there are.
 */
export class NewestFiles {
  readonly files: ListedFile[] = [];

  constructor(readonly limit: number) {}

  get full(): boolean {
    return this.files.length >= this.limit;
  }

  /** Takes a file if it is among the newest so far; false when it is not. */
  offer(file: ListedFile): boolean {
    const { files } = this;
    if (this.limit <= 0 || (this.full && !isNewer(file, files[files.length - 1]))) return false;
    let low = 0;
    let high = files.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (isNewer(files[middle], file)) low = middle + 1;
      else high = middle;
    }
    files.splice(low, 0, file);
    if (files.length > this.limit) files.pop();
    return true;
  }
}

export interface Listing {
  /** How many files the folder holds (that `accepts` takes). */
  total: number;
  /** The newest of them, newest first. */
  files: ListedFile[];
}

export interface ListOptions {
  /** Only names this takes are listed and counted (the inbox filter, for queued files). */
  accepts?: (name: string) => boolean;
  /** Only files this takes are listed and counted (the state model leaves out the running queue's own). */
  include?: (file: ListedFile) => boolean;
  /** Called with each file listed and counted (the state model notes which files a rescan saw). */
  visit?: (file: ListedFile) => void;
}

/** The newest `limit` files of a state and how many there are, in memory bounded by `limit`. */
export async function listNewest(layout: QueueLayout, state: FileState, limit: number, options: ListOptions = {}): Promise<Listing> {
  const newest = new NewestFiles(limit);
  const total = await walkState(layout, state, options, (file) => newest.offer(file));
  return { total, files: newest.files };
}

/** Every file of a state, newest first (`fileflow status`, the HTTP API's /files pages). */
export async function listState(layout: QueueLayout, state: FileState, accepts?: (name: string) => boolean): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  await walkState(layout, state, { accepts }, (file) => files.push(file));
  return files.sort((a, b) => (isNewer(a, b) ? -1 : isNewer(b, a) ? 1 : 0));
}

/** Hands each file of a state to `take`; returns how many there were. */
async function walkState(layout: QueueLayout, state: FileState, options: ListOptions, take: (file: ListedFile) => void): Promise<number> {
  const folder = STATE_FOLDER[state];
  let total = 0;
  for await (const file of walkFiles(layout.folder(folder))) {
    const listed = claimedName(layout.nameOf(folder, file));
    if (options.accepts && !options.accepts(listed.name)) continue;
    let time: number;
    try {
      time = (await lstat(fsPath(file))).ctimeMs;
    } catch {
      continue; // moved on while we looked
    }
    const listedFile = { ...listed, time };
    if (options.include && !options.include(listedFile)) continue;
    total++;
    options.visit?.(listedFile);
    take(listedFile);
  }
  return total;
}
