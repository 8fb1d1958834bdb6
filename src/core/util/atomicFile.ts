// Results are never seen half-written: they are written under a temporary name in the same
// folder and renamed into place. Temporary names have one fixed shape,
// `.ff-<tag>-<thread>-<n>.tmp`: short whatever the final name's length (a 250-byte name still
// gets a temporary name that fits the filesystem), hidden, and marked with the tag of the
// writer (a queue instance), so recovery removes only the leftovers of writers that are gone.

import { randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { withDir, withDirSync } from './ensureDir';

let counter = 0;

/** A random tag of 8 characters [a-z0-9]: a writer's mark on its temporary files. */
export function randomTag(): string {
  const bytes = randomBytes(8);
  let tag = '';
  for (const byte of bytes) tag += '0123456789abcdefghijklmnopqrstuvwxyz'[byte % 36];
  return tag;
}

/** The tag of writes that name none (single runs, the CLI's `run`): one per thread. */
const DEFAULT_TAG = randomTag();

const TEMPORARY = /^\.ff-([a-z0-9]+)-(\d+)-\d+\.tmp$/;

/**
 * Unique per writer, thread and write. The thread id matters: every worker thread has its
 * own counter, and a worker that died leaves its temporary file behind (until it is cleaned
 * up), so a replacement worker writing the same result again must not reuse that name.
 */
export function temporaryPathFor(finalPath: string, tag: string = DEFAULT_TAG): string {
  return path.join(path.dirname(finalPath), `.ff-${tag}-${threadId}-${++counter}.tmp`);
}

/** Whether `baseName` is a temporary file of ours (this shape, or the older `.<name>.<pid>-<n>.tmp`). */
export function isTemporaryName(baseName: string): boolean {
  return baseName.startsWith('.') && baseName.endsWith('.tmp');
}

/** The writer's tag of a temporary name; undefined for the older shape (no tag). */
export function temporaryTagOf(baseName: string): string | undefined {
  return TEMPORARY.exec(baseName)?.[1];
}

/**
 * Removes the temporary files that writer `tag` (only its thread `thread`, when given) left
 * in `dir`. For a worker that was ended mid-write, or a queue that stops: only call it once
 * those writers can no longer write.
 */
export async function removeTemporaryFilesIn(dir: string, tag: string, thread?: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0; // no folder, no leftovers
  }
  let removed = 0;
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (match === null || match[1] !== tag || (thread !== undefined && Number(match[2]) !== thread)) continue;
    await rm(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

/** A file being written under a temporary name; `commit` renames it into place. */
export class AtomicFileWriter {
  bytesWritten = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly temporaryPath: string,
    readonly finalPath: string,
  ) {}

  static async create(finalPath: string, tag?: string): Promise<AtomicFileWriter> {
    const temporaryPath = temporaryPathFor(finalPath, tag);
    const handle = await withDir(temporaryPath, () => open(temporaryPath, 'wx'));
    return new AtomicFileWriter(handle, temporaryPath, finalPath);
  }

  async write(text: string): Promise<void> {
    if (text.length === 0) return;
    const bytes = Buffer.from(text, 'utf8');
    // write() may take less than all of it; loop until everything is down.
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset, null);
      offset += bytesWritten;
    }
    this.bytesWritten += bytes.length;
  }

  /** Closes the file; after this only `rename` or `abort` may follow. */
  async close(): Promise<void> {
    await this.handle.close();
  }

  async commit(): Promise<void> {
    await this.handle.close();
    await rename(this.temporaryPath, this.finalPath);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.temporaryPath, { force: true });
  }
}

/** Writes `content` to a temporary file beside `finalPath`; returns its path (the caller renames it into place). */
export async function writeTemporaryFile(finalPath: string, content: string, tag?: string): Promise<string> {
  const writer = await AtomicFileWriter.create(finalPath, tag);
  try {
    await writer.write(content);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return writer.temporaryPath;
}

/**
 * Renames written temporary files into place, in order, after `beforeCommit` (which may
 * throw to refuse: the temporary files are then removed). A failed rename removes the
 * temporary files not renamed yet.
 */
export async function commitFiles(files: readonly (readonly [temporaryPath: string, finalPath: string])[], beforeCommit?: () => void): Promise<void> {
  let done = 0;
  try {
    beforeCommit?.();
    for (const [temporaryPath, finalPath] of files) {
      await rename(temporaryPath, finalPath);
      done++;
    }
  } catch (error) {
    for (const [temporaryPath] of files.slice(done)) await rm(temporaryPath, { force: true });
    throw error;
  }
}

/** commitFiles with synchronous calls. */
export function commitFilesSync(files: readonly (readonly [temporaryPath: string, finalPath: string])[], beforeCommit?: () => void): void {
  let done = 0;
  try {
    beforeCommit?.();
    for (const [temporaryPath, finalPath] of files) {
      renameSync(temporaryPath, finalPath);
      done++;
    }
  } catch (error) {
    for (const [temporaryPath] of files.slice(done)) rmSync(temporaryPath, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(finalPath: string, content: string, tag?: string): Promise<void> {
  const writer = await AtomicFileWriter.create(finalPath, tag);
  try {
    await writer.write(content);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * Writes `content` to a temporary file beside `finalPath` with synchronous calls (worker
 * threads, small files) and returns its path and size; the caller renames it into place.
 */
export function writeTemporaryFileSync(finalPath: string, content: string, tag?: string): { temporaryPath: string; bytes: number } {
  const temporaryPath = temporaryPathFor(finalPath, tag);
  const bytes = Buffer.from(content, 'utf8');
  const fd = withDirSync(temporaryPath, () => openSync(temporaryPath, 'wx'));
  // Closed exactly once: fd numbers are shared by every thread, so a second close could
  // close another thread's file.
  let isOpen = true;
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    isOpen = false;
    closeSync(fd);
  } catch (error) {
    if (isOpen) {
      try {
        closeSync(fd);
      } catch {
        // the first error is the one to report
      }
    }
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  return { temporaryPath, bytes: bytes.length };
}

/** writeFileAtomic with synchronous calls (worker threads, small files). Returns the bytes written. */
export function writeFileAtomicSync(finalPath: string, content: string, tag?: string): number {
  const { temporaryPath, bytes } = writeTemporaryFileSync(finalPath, content, tag);
  try {
    renameSync(temporaryPath, finalPath);
  } catch (error) {
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  return bytes;
}
