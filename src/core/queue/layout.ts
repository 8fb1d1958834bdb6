// The queue root's folders (docs/queue.md), where each name lives in them, and the
// rules for which names the inbox takes.

import { lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { SUMMARY_SUFFIX } from '../summary';
import { isTemporaryName, temporaryTagOf } from '../util/atomicFile';
import { decodeName, fsPath } from '../util/rawNames';
import { candidateNames } from '../util/uniqueName';
import { CLAIM_FOLDER_PREFIX } from './instances';

export const STATE_FOLDERS = ['unprocessed', 'underprocess', 'processed', 'failed', 'results'] as const;
export type StateFolder = (typeof STATE_FOLDERS)[number];

/** Suffixes of files still being written by other programs (rsync, browsers, editors). */
const TEMPORARY_SUFFIXES = ['.tmp', '.part', '.partial', '.crdownload', '.swp', '~'];

/** A queue root that cannot be used as it is (a state folder is a link or a file). */
export class QueueRootError extends Error {
  override name = 'QueueRootError';
}

export class QueueLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  folder(state: StateFolder): string {
    return path.join(this.root, state);
  }

  /** Absolute path of `name` (a `/`-separated relative path) in a state folder. */
  pathOf(state: StateFolder, name: string): string {
    return path.join(this.root, state, ...name.split('/'));
  }

  /** The folder of underprocess/ where instance `id` keeps its claims (docs/instances.md). */
  claimFolder(id: string): string {
    return path.join(this.root, 'underprocess', CLAIM_FOLDER_PREFIX + id);
  }

  /** Where instance `id` keeps the claimed file `name`. */
  claimPath(id: string, name: string): string {
    return path.join(this.claimFolder(id), ...name.split('/'));
  }

  resultPath(name: string): string {
    return this.pathOf('results', name);
  }

  summaryPath(name: string): string {
    return this.pathOf('results', name + SUMMARY_SUFFIX);
  }

  /** A file's name: its path relative to the state folder, with `/` separators. */
  nameOf(state: StateFolder, file: string): string {
    return path.relative(this.folder(state), file).split(path.sep).join('/');
  }

  /**
   * Creates the state folders that are missing, and refuses a root whose state folder is a
   * symbolic link or not a folder: the queue moves and writes files there, and a link could
   * send them anywhere on the machine.
   */
  async create(): Promise<void> {
    for (const state of STATE_FOLDERS) await mkdir(this.folder(state), { recursive: true });
    await this.check();
  }

  /** Throws QueueRootError when a state folder is not a real folder (any more). */
  async check(): Promise<void> {
    for (const state of STATE_FOLDERS) {
      const folder = this.folder(state);
      const stat = await lstat(folder).catch((error: NodeJS.ErrnoException) => {
        throw new QueueRootError(`${folder} cannot be used: ${error.code === 'ENOENT' ? 'it was removed' : error.message}`);
      });
      if (stat.isSymbolicLink()) throw new QueueRootError(`${folder} is a symbolic link; the queue's folders must be real folders inside the queue root (links are never followed)`);
      if (!stat.isDirectory()) throw new QueueRootError(`${folder} is not a folder`);
    }
  }

  /**
   * Removes temporary files an interrupted write left in results/, except those of writers
   * that may still be writing (`keep(tag)`). Returns how many.
   */
  async removeTemporaryResults(keep: (tag: string) => boolean = () => false): Promise<number> {
    let removed = 0;
    for await (const file of walkFiles(this.folder('results'))) {
      const base = path.basename(file);
      if (!isTemporaryName(base)) continue;
      const tag = temporaryTagOf(base);
      if (tag !== undefined && keep(tag)) continue;
      await rm(fsPath(file), { force: true });
      removed++;
    }
    return removed;
  }
}

/**
 * Moves `state/name` back to the inbox for another go (Retry, Reprocess), first removing its
 * result and summary so that it is claimed under the same name again. Returns its inbox name.
 */
export async function requeue(layout: QueueLayout, state: 'failed' | 'processed', name: string): Promise<string> {
  const from = layout.pathOf(state, name);
  if (!(await exists(from))) throw new Error(`${state}/${name} does not exist`);
  let target = name;
  for (const candidate of candidateNames(name)) {
    if (!(await exists(layout.pathOf('unprocessed', candidate)))) {
      target = candidate;
      break;
    }
  }
  await rm(layout.resultPath(name), { force: true });
  await rm(layout.summaryPath(name), { force: true });
  const to = layout.pathOf('unprocessed', target);
  await mkdir(path.dirname(to), { recursive: true });
  await rename(from, to);
  return target;
}

/** Builds the inbox filter: built-in rules for temporary files plus the user's ignore globs. */
export function inboxFilter(ignoreGlobs: readonly string[] = []): (name: string) => boolean {
  const ignoredByGlob = ignoreGlobs.length === 0 ? () => false : picomatch([...ignoreGlobs], { dot: true });
  return (name: string): boolean => {
    // A hidden folder hides everything below it: the watcher never descends into one, so the
    // startup scan must not take its files either.
    if (name.split('/').some((segment) => segment.startsWith('.'))) return false;
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (TEMPORARY_SUFFIXES.some((suffix) => base.endsWith(suffix))) return false;
    return !ignoredByGlob(name);
  };
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(fsPath(file));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every non-directory entry below `dir` (symlinks, FIFOs and sockets included, never
 * followed). A missing folder yields nothing; subfolders that cannot be read are skipped.
 * Names that are not valid UTF-8 come out escaped (util/rawNames), so they can be opened.
 */
export async function* walkFiles(dir: string, nested = false, skip?: (folder: string) => boolean): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // A subfolder we may not read is skipped, as the watcher skips it: one locked folder in
    // the inbox must not stop the whole queue from starting. (`dir` itself must be readable.)
    if (nested && (code === 'EACCES' || code === 'EPERM')) return;
    throw error;
  }
  for (const entry of entries) {
    const full = path.join(dir, decodeName(entry.name));
    if (entry.isDirectory()) {
      if (!skip?.(full)) yield* walkFiles(full, true, skip);
    } else yield full;
  }
}

/**
 * Removes the empty folders below `dir` (not `dir` itself) that nobody has touched for
 * `olderThanMs`. rmdir only ever removes an empty folder, so nothing can be lost; the age
 * leaves alone a folder a program has just made and is about to write into. Returns how many.
 */
export async function removeEmptyFolders(dir: string, olderThanMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  const visit = async (folder: string): Promise<boolean> => {
    let entries;
    let mtimeMs = 0;
    try {
      // Its age from before its own empty subfolders go (removing them touches its mtime).
      if (folder !== dir) mtimeMs = (await lstat(fsPath(folder))).mtimeMs;
      entries = await readdir(fsPath(folder), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return false;
    }
    let empty = true;
    for (const entry of entries) {
      if (entry.isDirectory() && (await visit(path.join(folder, decodeName(entry.name))))) continue;
      empty = false;
    }
    if (!empty || folder === dir || now - mtimeMs < olderThanMs) return false;
    try {
      await rmdir(fsPath(folder));
      removed++;
      return true;
    } catch {
      return false; // something arrived meanwhile, or it is gone already
    }
  };
  await visit(dir);
  return removed;
}
