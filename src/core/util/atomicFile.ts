// Results are never seen half-written: they are written under a temporary name in the same
// folder and renamed into place. Temporary names start with "." and end with ".tmp", a shape
// the folder queue never gives a result, so recovery can remove leftovers safely.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { withDir, withDirSync } from './ensureDir';
import { threadId } from 'node:worker_threads';

let counter = 0;

/**
 * Unique per process, thread and write. The thread id matters: every worker thread has its
 * own counter, and a worker that died leaves its temporary file behind (until the next
 * start), so a replacement worker writing the same result again must not reuse that name.
 */
export function temporaryPathFor(finalPath: string): string {
  return `${temporaryPrefixFor(finalPath, threadId)}${++counter}.tmp`;
}

function temporaryPrefixFor(finalPath: string, thread: number): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${process.pid}-${thread}-`);
}

/**
 * Removes the temporary files that thread `thread` of this process left for `finalPath`. For
 * a worker that was ended mid-write: the next start would remove them too, but a queue that
 * keeps running should not show them until then. Only call it once that thread has ended.
 */
export async function removeTemporaryFilesOf(finalPath: string, thread: number): Promise<void> {
  const prefix = path.basename(temporaryPrefixFor(finalPath, thread));
  const dir = path.dirname(finalPath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return; // no folder, no leftovers
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await rm(path.join(dir, name), { force: true });
  }
}

export function isTemporaryName(baseName: string): boolean {
  return baseName.startsWith('.') && baseName.endsWith('.tmp');
}

/** A file being written under a temporary name; `commit` renames it into place. */
export class AtomicFileWriter {
  bytesWritten = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly temporaryPath: string,
    readonly finalPath: string,
  ) {}

  static async create(finalPath: string): Promise<AtomicFileWriter> {
    const temporaryPath = temporaryPathFor(finalPath);
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

  async commit(): Promise<void> {
    await this.handle.close();
    await rename(this.temporaryPath, this.finalPath);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.temporaryPath, { force: true });
  }
}

export async function writeFileAtomic(finalPath: string, content: string): Promise<void> {
  const writer = await AtomicFileWriter.create(finalPath);
  try {
    await writer.write(content);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** writeFileAtomic with synchronous calls (worker threads, small files). Returns the bytes written. */
export function writeFileAtomicSync(finalPath: string, content: string): number {
  const temporaryPath = temporaryPathFor(finalPath);
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
    renameSync(temporaryPath, finalPath);
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
  return bytes.length;
}
