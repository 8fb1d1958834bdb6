// Opening and reading an input file for processFile: only regular files are read (never a
// FIFO, socket, device or, when asked, a symbolic link); small files are read whole with
// synchronous calls, others in chunks with one read always in flight.

import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { FileProcessingError } from '../errors';

const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Opens a file for reading, refusing anything but a regular file. O_NONBLOCK keeps a FIFO
 * from blocking the open; O_NOFOLLOW (when asked) refuses symbolic links.
 */
export async function openRegularFile(file: string, followSymlinks: boolean): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, openFlags(followSymlinks));
  } catch (error) {
    throw openError(error, followSymlinks);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw notRegularFile(stat);
  }
  return { handle, size: stat.size };
}

/**
 * The whole content of a regular file of at most `limit` bytes, read with synchronous calls;
 * undefined when the file is larger (the caller streams it instead). The same refusals as
 * openRegularFile.
 */
export function readSmallFileSync(file: string, followSymlinks: boolean, limit: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, openFlags(followSymlinks));
  } catch (error) {
    throw openError(error, followSymlinks);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegularFile(stat);
    if (stat.size > limit) return undefined;
    // One byte more than fstat said, so that a file still growing is noticed and streamed.
    const buffer = Buffer.allocUnsafe(stat.size + 1);
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, total, buffer.length - total, null);
      if (bytesRead === 0) return buffer.subarray(0, total);
      total += bytesRead;
      if (total === buffer.length) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * An open file's content in chunks of up to 256 KiB. Two buffers alternate: the next read
 * runs while the current chunk is processed, so a chunk is only valid until the next one is
 * asked for. Leaving the loop early waits for the read in flight.
 */
export class ChunkReader implements AsyncIterable<Buffer> {
  bytesRead = 0;

  constructor(
    private readonly handle: FileHandle,
    /** The size fstat gave: a short read that reaches it is the end. */
    private readonly expected: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const buffers = [Buffer.allocUnsafe(READ_CHUNK_BYTES), Buffer.allocUnsafe(READ_CHUNK_BYTES)];
    let current = 0;
    const readInto = (buffer: Buffer): Promise<{ bytesRead: number }> => {
      const read = this.handle.read(buffer, 0, READ_CHUNK_BYTES, null);
      read.catch(() => undefined); // handled where it is awaited
      return read;
    };
    let reading: Promise<{ bytesRead: number }> | undefined = readInto(buffers[0]);
    try {
      while (reading) {
        const { bytesRead }: { bytesRead: number } = await reading;
        reading = undefined;
        if (bytesRead === 0) break;
        const chunk = buffers[current].subarray(0, bytesRead);
        this.bytesRead += bytesRead;
        current ^= 1;
        // A short read that reaches the size fstat gave is the end: no read-ahead to find EOF
        // (one syscall less per small file, which is most files in a queue).
        reading = bytesRead < READ_CHUNK_BYTES && this.bytesRead >= this.expected ? undefined : readInto(buffers[current]);
        yield chunk;
      }
    } finally {
      await reading?.catch(() => undefined);
    }
  }
}

function openFlags(followSymlinks: boolean): number {
  // O_NONBLOCK keeps a FIFO from blocking the open; O_NOFOLLOW refuses symbolic links.
  let flags = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;
  if (!followSymlinks) flags |= fsConstants.O_NOFOLLOW;
  return flags;
}

function openError(error: unknown, followSymlinks: boolean): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (!followSymlinks && code === 'ELOOP') {
    return new FileProcessingError('symbolic link: links are never followed in a queue (move the file itself in)', 'ENOTFILE');
  }
  if (code === 'ENXIO') return new FileProcessingError('not a regular file (a socket or device): never read', 'ENOTFILE');
  return error;
}

function notRegularFile(stat: Stats): FileProcessingError {
  const what = stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : stat.isDirectory() ? 'a directory' : 'a device';
  return new FileProcessingError(`not a regular file (${what}): never read`, 'ENOTFILE');
}
