// mkdir -p, remembered: a queue moves thousands of files into the same few folders, and a
// mkdir per move was a measurable share of a burst's system time. A folder someone removes
// behind our back is recreated: callers retry once through `withDir` on ENOENT.

import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
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
