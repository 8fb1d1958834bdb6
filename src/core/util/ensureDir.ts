// mkdir -p, remembered: a queue moves thousands of files into the same few folders, and a
// mkdir per move was a measurable share of a burst's system time. A folder someone removes
// behind our back is recreated: callers retry once through `withDir` on ENOENT.

import { lstatSync, mkdirSync, renameSync } from 'node:fs';
import { lstat, mkdir, rename } from 'node:fs/promises';
import * as path from 'node:path';

const known = new Set<string>();
const LIMIT = 10_000;

export async function ensureDir(dir: string): Promise<void> {
  if (known.has(dir)) return;
  await mkdir(dir, { recursive: true });
  if (known.size >= LIMIT) known.clear();
  known.add(dir);
}

/** Runs `step` (which writes or moves something to `target`) with target's folder in place. */
export async function withDir<T>(target: string, step: () => Promise<T>): Promise<T> {
  const dir = path.dirname(target);
  await ensureDir(dir);
  try {
    return await step();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !known.has(dir)) throw error;
    // The folder was removed since we made it: forget it, make it again, try once more.
    known.delete(dir);
    await ensureDir(dir);
    return step();
  }
}

/**
 * Forgets that `dir` exists (it was just removed): the next write there makes it again
 * instead of failing once first.
 */
export function forgetDir(dir: string): void {
  known.delete(dir);
}

/** The same for worker threads, which do a small file's whole life with synchronous calls. */
export function ensureDirSync(dir: string): void {
  if (known.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  if (known.size >= LIMIT) known.clear();
  known.add(dir);
}

export function withDirSync<T>(target: string, step: () => T): T {
  const dir = path.dirname(target);
  ensureDirSync(dir);
  try {
    return step();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !known.has(dir)) throw error;
    known.delete(dir);
    ensureDirSync(dir);
    return step();
  }
}

/**
 * Renames `from` to `to`, making `to`'s folder when needed. Another thread may remove an
 * emptied folder of underprocess/ at any moment (workers do, after moving a file out), so a
 * rename that fails for a missing folder while `from` is still there makes the folder again
 * and tries again: ENOENT reaches the caller only when `from` itself is gone.
 */
export function moveSync(from: string | Buffer, to: string): void {
  const dir = path.dirname(to);
  for (let tries = 1; ; tries++) {
    try {
      // Inside the try: mkdir -p itself fails with ENOENT when the folder goes as it is made.
      ensureDirSync(dir);
      renameSync(from, to);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || tries >= MOVE_TRIES || lstatSync(from, { throwIfNoEntry: false }) === undefined) throw error;
      known.delete(dir);
    }
  }
}

/** moveSync for the queue's own thread. */
export async function move(from: string | Buffer, to: string): Promise<void> {
  const dir = path.dirname(to);
  for (let tries = 1; ; tries++) {
    try {
      await ensureDir(dir);
      await rename(from, to);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || tries >= MOVE_TRIES || !(await lstat(from).then(() => true, () => false))) throw error;
      known.delete(dir);
    }
  }
}

/** Each try follows a removal of the folder by another thread: a few are plenty. */
const MOVE_TRIES = 5;
