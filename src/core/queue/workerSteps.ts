// The queue steps a processing worker does around a file, with synchronous calls: checking
// that a claimed name is free, the claim rename, and the final move. Done here rather than on
// the queue's thread, a small file costs one message each way instead of a dozen thread-pool
// round trips spread over two event loops (the burst benchmark's main cost; see
// docs/performance.md). Blocking is harmless in a worker.

import { lstatSync, renameSync } from 'node:fs';
import { withDirSync } from '../util/ensureDir';

export type ClaimRefusal =
  /** Something already has the name in underprocess/, processed/, failed/ or results/. */
  | { reason: 'taken' }
  /** A folder of the name is a file there ("a" blocks "a/b.log"): vary the folder part. */
  | { reason: 'blocked' }
  /** The inbox file is gone (deleted or moved by someone else). */
  | { reason: 'vanished' }
  /** The queue is stopping: no new claims (the file stays in the inbox). */
  | { reason: 'stopping' }
  /** The rename failed; `code` says whether trying again later may help. */
  | { reason: 'error'; message: string; code?: string };

/**
 * Moves `from` (in the inbox) to `to` (in underprocess/) if no path of `mustBeFree` exists.
 * Returns why not, or undefined once the file is claimed. (SPEC §1 "Claim".)
 */
export function claimSync(from: string, to: string, mustBeFree: readonly string[]): ClaimRefusal | undefined {
  let taken = false;
  for (const candidate of mustBeFree) {
    try {
      // throwIfNoEntry: the usual answer, "no such file", costs no Error object.
      if (lstatSync(candidate, { throwIfNoEntry: false }) !== undefined) taken = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return { reason: 'blocked' };
      taken = true; // cannot tell (EACCES…): do not risk overwriting anything
    }
  }
  if (taken) return { reason: 'taken' };
  try {
    moveSync(from, to);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { reason: 'vanished' };
    return { reason: 'error', message: (error as Error).message, ...(code === undefined ? {} : { code }) };
  }
}

/** Renames `from` to `to`, making `to`'s folder first when needed. */
export function moveSync(from: string, to: string): void {
  withDirSync(to, () => renameSync(from, to));
}
