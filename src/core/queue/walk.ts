// Walking the queue's folders on disk: every file below a folder (names that are not UTF-8
// included), whether a path exists, and removing folders left empty.

import { lstat, readdir, rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeName, fsPath } from '../util/rawNames';

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
