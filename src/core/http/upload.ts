// POST /upload: a raw body with `?name=`, or a multipart/form-data form with one or more
// files. Every file is written to a hidden temporary file — in <root>/.fileflow/uploads/, so
// that the inbox's watcher sees only the finished file, or in unprocessed/ itself when that is
// another file system (hidden names are never taken by the queue) — and only appears under its
// real name once the whole request arrived: a cut connection, an oversize body or a bad name
// in any part leaves nothing. A name already taken becomes `stem (2).ext`; the file is linked
// in under a free name (link() fails rather than overwrite), so two uploads of one name at
// once can never replace each other.

import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { errorMessage } from '../errors';
import type { QueueLayout } from '../queue/layout';
import { candidateNames } from '../util/uniqueName';
import { HttpError, uploadNameProblem } from './names';

export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** Temporary upload files: hidden (the queue never takes them) and recognisable for clean-up. */
const TEMPORARY_PREFIX = '.fileflow-upload-';
const TEMPORARY_SUFFIX = '.part';
/** Leftovers of a process that died mid-upload are removed at start once this old. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
const MAX_FILES_PER_FORM = 1000;

export interface SavedUpload {
  /** Its name in unprocessed/ (and, unless another file of that name arrives meanwhile, in processed/ and results/). */
  name: string;
  /** The name it was sent with. */
  requested: string;
  bytes: number;
}

export interface UploadTarget {
  layout: QueueLayout;
  /** Whether the inbox would take a file of this name (a name it ignores would wait for ever). */
  accepts(name: string): boolean;
  maxBytes: number;
}

/** The client went away mid-request: nothing to answer, nothing kept. */
export class ClientGone extends Error {}

export async function receiveUpload(request: IncomingMessage, query: Map<string, string>, target: UploadTarget): Promise<SavedUpload[]> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > target.maxBytes) throw tooLarge(target.maxBytes);
  const type = request.headers['content-type'] ?? '';
  if (/^multipart\/form-data\b/i.test(type)) return receiveForm(request, target);
  const requested = query.get('name');
  if (requested === undefined) throw new HttpError(400, 'give the file name as ?name=FILE, or send a multipart/form-data form');
  checkName(requested, target);
  const small = declared !== undefined && Number(declared) <= SMALL_UPLOAD_BYTES;
  const temporary = small ? await receiveSmall(request, target) : await receiveInto(detachedBody(request), target);
  try {
    return [place(temporary.path, requested, temporary.bytes, target.layout)];
  } finally {
    removeQuietly(temporary.path);
  }
}

/** Where uploads are written before they are linked into the inbox (see the top of this file). */
export const UPLOADS_FOLDER = path.join('.fileflow', 'uploads');

/** Removes temporary uploads a crashed process left behind (older than an hour). */
export async function removeStaleUploads(layout: QueueLayout, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const dir of [path.join(layout.root, UPLOADS_FOLDER), layout.folder('unprocessed')]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!isTemporaryUpload(name)) continue;
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMPORARY_MS) {
        await rm(file, { force: true });
        removed++;
      }
    }
  }
  return removed;
}

export function isTemporaryUpload(name: string): boolean {
  return name.startsWith(TEMPORARY_PREFIX) && name.endsWith(TEMPORARY_SUFFIX);
}

// ---------------------------------------------------------------------------------------

/**
 * The request body as a stream of its own: when writing it fails (too large, a bad form), the
 * stream is destroyed but the request is not, so an answer can still be sent. A client that
 * goes away mid-body makes it fail with ClientGone.
 */
function detachedBody(request: IncomingMessage): PassThrough {
  const body = new PassThrough();
  const onClose = (): void => {
    if (!request.complete) body.destroy(new ClientGone('the client closed the connection mid-request'));
  };
  const onError = (error: Error): void => {
    body.destroy(new ClientGone(error.message));
  };
  request.on('close', onClose);
  request.on('error', onError);
  // Whoever reads the body sees its error through its own listener; a client that goes away
  // after the reader has finished (or before it started) must not become an uncaught error.
  body.on('error', () => undefined);
  body.on('close', () => {
    request.unpipe(body);
    request.off('close', onClose);
    request.off('error', onError);
  });
  request.pipe(body);
  return body;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `the upload is larger than the limit of ${maxBytes} bytes`);
}

function checkName(name: string, target: UploadTarget): void {
  const problem = uploadNameProblem(name);
  if (problem !== undefined) throw new HttpError(400, `unsafe file name "${printable(name)}": ${problem}`);
  if (!target.accepts(name)) {
    throw new HttpError(400, `the queue never takes a file named "${name}" (temporary or ignored names are left alone): rename it`);
  }
}

function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 200);
}

const uploadFolders = new Map<string, Promise<string>>();

/**
 * <root>/.fileflow/uploads/ when it is on the inbox's file system (a hard link cannot cross
 * file systems), else the inbox itself. Decided once per root.
 */
function uploadFolder(layout: QueueLayout): Promise<string> {
  let folder = uploadFolders.get(layout.root);
  if (!folder) {
    folder = (async () => {
      const inbox = layout.folder('unprocessed');
      const staging = path.join(layout.root, UPLOADS_FOLDER);
      try {
        await mkdir(staging, { recursive: true });
        const [a, b] = await Promise.all([stat(staging), stat(inbox)]);
        return a.dev === b.dev ? staging : inbox;
      } catch {
        return inbox;
      }
    })();
    uploadFolders.set(layout.root, folder);
  }
  return folder;
}

async function temporaryPath(layout: QueueLayout): Promise<string> {
  return path.join(await uploadFolder(layout), `${TEMPORARY_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}${TEMPORARY_SUFFIX}`);
}

/** Counts bytes and fails the stream once there are more than `maxBytes`. */
class ByteLimit extends Transform {
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) callback(tooLarge(this.maxBytes));
    else callback(null, chunk);
  }
}

/** Bytes gathered before a write: a small upload is written with one call. */
const WRITE_CHUNK_BYTES = 1024 * 1024;

/** Writes into an open file in large pieces (one write for a small upload). */
class FileSink extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly handle: FileHandle) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < WRITE_CHUNK_BYTES) return callback();
    this.flush().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush().then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    for (let offset = 0; offset < data.length; ) offset += (await this.handle.write(data, offset, data.length - offset)).bytesWritten;
  }
}

/**
 * Writes a (large) body to a new temporary file. On any failure the temporary file is removed
 * and the error rethrown (a vanished client as ClientGone).
 */
async function receiveInto(source: Readable, target: UploadTarget, limit = new ByteLimit(target.maxBytes)): Promise<{ path: string; bytes: number }> {
  // A client that goes away while the temporary file is being made errors `source` (a form's
  // file part, destroyed with the form) before the pipeline below listens: the pipeline still
  // sees it (the stream is destroyed), but without a listener now it would be uncaught.
  source.on('error', () => undefined);
  const file = await temporaryPath(target.layout);
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'wx', 0o644);
    await pipeline(source, limit, new FileSink(handle));
    await handle.close();
  } catch (error) {
    source.destroy();
    await handle?.close().catch(() => undefined);
    await rm(file, { force: true });
    throw uploadError(error);
  }
  return { path: file, bytes: limit.bytes };
}

/** Bodies up to this size (by their Content-Length) are received in memory: see receiveSmall. */
const SMALL_UPLOAD_BYTES = 1024 * 1024;

/**
 * A small body (a typical log) is read into memory — a cut connection then leaves no file at
 * all — and written with a few synchronous calls: on a busy machine every round trip through
 * the thread pool costs a context switch, many times the microseconds of the call itself.
 * Like every other write of the queue (results, summaries, moves), uploads are not fsynced:
 * a crash of the process loses nothing, a power cut within the kernel's write-back delay can
 * lose the latest, as it can a file copied in with cp (docs/http.md).
 */
async function receiveSmall(request: IncomingMessage, target: UploadTarget): Promise<{ path: string; bytes: number }> {
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = (error?: Error): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.off('error', onError);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes));
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > target.maxBytes) done(tooLarge(target.maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = (): void => done();
    const onClose = (): void => {
      if (!request.complete) done(new ClientGone('the client closed the connection mid-request'));
    };
    const onError = (error: Error): void => done(new ClientGone(error.message));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
    request.on('error', onError);
  });
  const file = await temporaryPath(target.layout);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'wx', 0o644);
    for (let offset = 0; offset < body.length; ) offset += writeSync(fd, body, offset, body.length - offset);
    const opened = fd;
    fd = undefined;
    closeSync(opened);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(file);
    throw uploadError(error);
  }
  return { path: file, bytes: body.length };
}

/** What a failed write means for the answer: our refusal, a disk problem, or a vanished client. */
function uploadError(error: unknown): Error {
  if (error instanceof HttpError || error instanceof ClientGone) return error;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (syscall !== undefined && code !== 'ECONNRESET' && code !== 'EPIPE') {
    return new HttpError(code === 'ENOSPC' || code === 'EDQUOT' ? 507 : 500, `could not write the upload: ${(error as Error).message}`);
  }
  return new ClientGone(String(error));
}

/**
 * Whether a name is taken by a file the queue already has: being processed (underprocess/),
 * or finished (every finished file, processed or failed, has a summary). The inbox itself is
 * checked by link(), atomically.
 */
function hasTrace(layout: QueueLayout, name: string): boolean {
  return [layout.pathOf('underprocess', name), layout.summaryPath(name)].some((place) => lstatSync(place, { throwIfNoEntry: false }) !== undefined);
}

/** File systems without hard links say so with one of these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/**
 * Links the complete temporary file in under the first free candidate of `requested`.
 * Synchronous on purpose: a few metadata calls that take microseconds each, where every
 * round trip through the thread pool would cost far more (see receiveSmall).
 */
function place(temporary: string, requested: string, bytes: number, layout: QueueLayout): SavedUpload {
  const inbox = layout.folder('unprocessed');
  let tries = 0;
  for (const candidate of candidateNames(requested)) {
    if (++tries > 10_000) throw new HttpError(409, `no free name for "${requested}" in the queue`);
    if (hasTrace(layout, candidate)) continue;
    const final = path.join(inbox, candidate);
    try {
      linkSync(temporary, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') continue;
      if (code === 'ENAMETOOLONG') throw new HttpError(400, `the file name "${candidate}" is too long for the file system`);
      if (!NO_HARD_LINKS.has(code)) throw error;
      // No hard links here: reserve the name by creating it exclusively, then rename the
      // complete file over the (empty, for a moment) reservation.
      try {
        closeSync(openSync(final, 'wx'));
      } catch (reserveError) {
        if ((reserveError as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw reserveError;
      }
      renameSync(temporary, final);
    }
    return { name: candidate, requested, bytes };
  }
  throw new Error('unreachable');
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone (renamed in, or never written)
  }
}

/** A multipart form: every file part to its own temporary file, all placed only at the end. */
async function receiveForm(request: IncomingMessage, target: UploadTarget): Promise<SavedUpload[]> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      defParamCharset: 'utf8',
      // The name as sent: "../x.log" is refused, not quietly cut down to "x.log".
      preservePath: true,
      limits: { files: MAX_FILES_PER_FORM, fields: 100, fieldSize: 64 * 1024, parts: MAX_FILES_PER_FORM + 100 },
    });
  } catch (error) {
    throw new HttpError(400, `bad multipart form: ${(error as Error).message}`);
  }
  const received: Promise<{ requested: string; path: string; bytes: number }>[] = [];
  let refusal: HttpError | undefined;
  const refuse = (error: HttpError): void => {
    refusal ??= error;
  };
  // Every part counts against one limit for the whole body.
  const total = new ByteLimit(target.maxBytes);
  parser.on('file', (_field, stream, info) => {
    const requested = info.filename;
    try {
      if (requested === undefined) throw new HttpError(400, 'a file part of the form has no file name');
      checkName(requested, target);
    } catch (error) {
      refuse(error as HttpError);
      stream.resume();
      return;
    }
    if (refusal) {
      stream.resume();
      return;
    }
    const partLimit = new ByteLimit(target.maxBytes);
    const written = receiveInto(stream, target, partLimit).then((file) => ({ requested, ...file }));
    written.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    received.push(written);
  });
  parser.on('filesLimit', () => refuse(new HttpError(413, `a form may hold at most ${MAX_FILES_PER_FORM} files`)));
  parser.on('partsLimit', () => refuse(new HttpError(413, 'the form has too many parts')));

  let streamError: unknown;
  try {
    await pipeline(detachedBody(request), total, parser);
  } catch (error) {
    streamError = error;
  }
  const files = await Promise.allSettled(received);
  const kept = files.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : []));
  try {
    if (streamError !== undefined) {
      if (streamError instanceof HttpError || streamError instanceof ClientGone) throw streamError;
      throw new HttpError(400, `bad multipart form: ${errorMessage(streamError)}`);
    }
    if (refusal) throw refusal;
    const failed = files.find((f) => f.status === 'rejected');
    if (failed) throw failed.reason;
    if (kept.length === 0) throw new HttpError(400, 'the form holds no file');
    const saved: SavedUpload[] = [];
    for (const file of kept) saved.push(place(file.path, file.requested, file.bytes, target.layout));
    return saved;
  } finally {
    for (const file of kept) removeQuietly(file.path);
  }
}
