// The queue steps a processing worker does around a file, with synchronous calls: checking
// that a claimed name is free, the claim rename, and the final move. Done here rather than on
// the queue's thread, a small file costs one message each way instead of a dozen thread-pool
// round trips spread over two event loops (see docs/performance.md). Blocking is harmless in
// a worker.
//
// The claim never follows a symbolic link out of the inbox. Between the moment a file was
// seen and the moment it is claimed, someone who may write to the inbox could replace one of
// its folders with a link to a folder elsewhere; a rename by path would then move a file from
// outside the queue root into it. On Linux the claim walks the inbox through open folder
// descriptors (/proc/self/fd/N/…, each folder opened with O_NOFOLLOW), so what it renames is
// inside the folders it opened whatever happens to their names meanwhile; elsewhere it checks
// each folder on the path just before the rename (a narrow race remains; docs/queue.md).

import { closeSync, constants, existsSync, lstatSync, openSync, rmdirSync } from 'node:fs';
import * as path from 'node:path';
import { forgetDir, moveSync } from '../util/ensureDir';
import { fsPath } from '../util/rawNames';

export type ClaimRefusal =
  /** Something already has the name in underprocess/, processed/, failed/ or results/. */
  | { reason: 'taken' }
  /** A folder of the name is a file there ("a" blocks "a/b.log"): vary the folder part. */
  | { reason: 'blocked' }
  /** The filesystem says a path of the name is too long: try a shorter name. */
  | { reason: 'tooLong' }
  /** The inbox file is gone (deleted or moved by someone else). */
  | { reason: 'vanished' }
  /** A folder on the file's path in the inbox is no longer a real folder (a link was put there). */
  | { reason: 'unsafe'; message: string }
  /** The file at that path is not the one that was seen (another file took its place). */
  | { reason: 'changed' }
  /** The queue is stopping: no new claims (the file stays in the inbox). */
  | { reason: 'stopping' }
  /** A step failed; `code` says whether trying again later may help. */
  | { reason: 'error'; message: string; code?: string };

export interface ClaimSource {
  /** The file's path in the inbox (it may hold escaped bytes, see util/rawNames). */
  from: string;
  /** The inbox folder (unprocessed/). */
  inbox: string;
  /** An open descriptor of the inbox folder, where the platform lets us use it (see top). */
  inboxFd?: number;
  /** The file as it was seen, when it was: a different file at the path is not taken. */
  seen?: { dev: number; ino: number };
}

/** Whether descriptor-relative paths work here (Linux's /proc). */
export const CAN_WALK_BY_DESCRIPTOR = process.platform === 'linux' && existsSync('/proc/self/fd');

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Moves the inbox file `source.from` to `to` (in underprocess/) if no path of `mustBeFree`
 * exists. Returns why not, or undefined once the file is claimed.
 */
export function claimSync(source: ClaimSource, to: string, mustBeFree: readonly string[]): ClaimRefusal | undefined {
  for (const candidate of mustBeFree) {
    let taken: boolean;
    try {
      // throwIfNoEntry: the usual answer, "no such file", costs no Error object.
      taken = lstatSync(candidate, { throwIfNoEntry: false }) !== undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') return { reason: 'blocked' };
      if (code === 'ENAMETOOLONG') return { reason: 'tooLong' };
      // Cannot tell (EACCES…): neither "taken" (that would try name after name for ever)
      // nor "free" (that could overwrite something). The queue retries it later.
      return errorRefusal(error);
    }
    if (taken) return { reason: 'taken' };
  }
  const opened: number[] = [];
  try {
    const located = locate(source, opened);
    if ('reason' in located) return located;
    let stat;
    try {
      stat = lstatSync(located.path, { throwIfNoEntry: false });
    } catch (error) {
      return errorRefusal(error);
    }
    if (stat === undefined) return { reason: 'vanished' };
    if (source.seen !== undefined && (stat.dev !== source.seen.dev || stat.ino !== source.seen.ino)) return { reason: 'changed' };
    try {
      moveSync(located.path, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { reason: 'vanished' };
      if (code === 'ENAMETOOLONG') return { reason: 'tooLong' };
      return errorRefusal(error);
    }
    return undefined;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

/** The path to rename the inbox file by (descriptor-relative where possible), or why not. */
function locate(source: ClaimSource, opened: number[]): { path: string | Buffer } | ClaimRefusal {
  const relative = path.relative(source.inbox, source.from);
  const parts = relative.split(path.sep);
  if (relative === '' || parts.some((part) => part === '..' || part === '')) {
    return { reason: 'unsafe', message: `${source.from} is not inside ${source.inbox}` };
  }
  const base = parts.pop() as string;
  if (CAN_WALK_BY_DESCRIPTOR && source.inboxFd !== undefined) {
    let fd = source.inboxFd;
    for (const folder of parts) {
      try {
        fd = openSync(join(`/proc/self/fd/${fd}`, folder), DIRECTORY_FLAGS);
      } catch (error) {
        return folderRefusal(error, folder);
      }
      opened.push(fd);
    }
    return { path: join(`/proc/self/fd/${fd}`, base) };
  }
  // No descriptors to walk by: check each folder on the path just before the rename.
  let dir = source.inbox;
  for (const folder of parts) {
    dir = path.join(dir, folder);
    let stat;
    try {
      stat = lstatSync(fsPath(dir));
    } catch (error) {
      return folderRefusal(error, folder);
    }
    if (!stat.isDirectory()) return { reason: 'unsafe', message: `"${folder}" on the file's path is no longer a folder (links are never followed)` };
  }
  return { path: fsPath(source.from) };
}

/** `dir` + "/" + `name` for the filesystem, keeping the exact bytes of an escaped name. */
function join(dir: string, name: string): string | Buffer {
  const raw = fsPath(name);
  return typeof raw === 'string' ? `${dir}/${raw}` : Buffer.concat([Buffer.from(`${dir}/`), raw]);
}

function folderRefusal(error: unknown, folder: string): ClaimRefusal {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { reason: 'vanished' };
  if (code === 'ENOTDIR' || code === 'ELOOP') {
    return { reason: 'unsafe', message: `"${folder}" on the file's path is no longer a folder (links are never followed)` };
  }
  return errorRefusal(error);
}

function errorRefusal(error: unknown): ClaimRefusal {
  const { message, code } = error as NodeJS.ErrnoException;
  return { reason: 'error', message, ...(code === undefined ? {} : { code }) };
}

/**
 * After a file left `file`'s folder: removes that folder and its parents while they are empty,
 * up to (not including) `stopAt`. For folders the queue made itself (underprocess/…), so that
 * emptied ones do not pile up.
 */
export function removeEmptyFoldersSync(file: string, stopAt: string): void {
  for (let dir = path.dirname(file); dir.length > stopAt.length && dir.startsWith(stopAt + path.sep); dir = path.dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (or already gone): its parents are not empty either
    }
    forgetDir(dir);
  }
}
