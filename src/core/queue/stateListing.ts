// Lists the files of a queue root by state, newest first, for views (the tree view, the HTTP
// API). Uses ctime: a rename updates it, so it tells when a file entered its folder.

import { lstat } from 'node:fs/promises';
import type { QueueLayout, StateFolder } from './layout';
import { walkFiles } from './layout';

export interface ListedFile {
  name: string;
  /** When the file entered this folder (ms since epoch). */
  time: number;
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
      const stat = await lstat(file);
      files.push({ name: layout.nameOf(folder, file), time: stat.ctimeMs });
    } catch {
      // moved on while we looked
    }
  }
  return files.sort((a, b) => b.time - a.time || a.name.localeCompare(b.name));
}
