// The queue root's folders (docs/queue.md, "The folder queue"): where each name lives in
// them, the checks that they are real folders, and moving a file back to the inbox.

import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { SUMMARY_SUFFIX } from '../summary';
import { isTemporaryName, temporaryTagOf } from '../util/atomicFile';
import { fsPath } from '../util/rawNames';
import { candidateNames } from '../util/uniqueName';
import { CLAIM_FOLDER_PREFIX } from './instances';
import { exists, walkFiles } from './walk';

export const STATE_FOLDERS = ['unprocessed', 'underprocess', 'processed', 'failed', 'results'] as const;
export type StateFolder = (typeof STATE_FOLDERS)[number];

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
