// Lists the files of a queue root by state, newest first, for views (the tree view, the HTTP
// API, `fileflow status`). Uses ctime: a rename updates it, so it tells when a file entered
// its folder. Files in progress are listed by their names, whichever instance holds them.

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

export const STATE_FOLDER: Record<FileState, StateFolder> = {
  queued: 'unprocessed',
  inProgress: 'underprocess',
  processed: 'processed',
  failed: 'failed',
};

export async function listState(layout: QueueLayout, state: FileState): Promise<ListedFile[]> {
  const folder = STATE_FOLDER[state];
  const files: ListedFile[] = [];
  for await (const file of walkFiles(layout.folder(folder))) {
    try {
      const stat = await lstat(fsPath(file));
      files.push({ ...claimedName(layout.nameOf(folder, file)), time: stat.ctimeMs });
    } catch {
      // moved on while we looked
    }
  }
  return files.sort((a, b) => b.time - a.time || a.name.localeCompare(b.name));
}
