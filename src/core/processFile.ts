// Turns one file into a result and a summary (SPEC §2, §4): streams it through the line
// splitter and the chosen pipeline, writes the result atomically, then the summary.

import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, rmSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { selectPipeline, type LoadedConfig, type PipelineSpec } from './config/pipelineSpec';
import { FencedError, FileProcessingError, isTransientFsError } from './errors';
import { levelEnabled, silentLogger, type Logger } from './logger';
import { PipelineRun } from './pipeline/router';
import type { FileSummary } from './summary';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './text/lineSplitter';
import { AtomicFileWriter, commitFiles, commitFilesSync, writeTemporaryFile, writeTemporaryFileSync } from './util/atomicFile';

const READ_CHUNK_BYTES = 256 * 1024;
// Output is handed to the filesystem in pieces of about this many characters.
const WRITE_THRESHOLD = 64 * 1024;

export type FileInput = { path: string; followSymlinks?: boolean } | { text: string };

export interface FileJob {
  /** The file's name as in its summary (and `{file}` in templates). */
  name: string;
  /** The summary's `source`. */
  source: string;
  input: FileInput;
  resultPath: string;
  summaryPath: string;
  /** When the file was detected (ms since epoch); latency is measured from here. */
  detectedAt?: number;
  /** 1 for the first attempt. */
  attempt?: number;
  /** The writer's mark on its temporary files (a queue instance's tag; see util/atomicFile). */
  tempTag?: string;
}

export interface ProcessOptions {
  maxLineBytes?: number;
  logger?: Logger;
  /**
   * When false, a transient filesystem error (EACCES, ENOSPC…) is thrown to the caller, which
   * retries later, instead of failing the file. Default true.
   */
  finalAttempt?: boolean;
  /**
   * Files up to this many bytes are read, and their result and summary written, with
   * synchronous calls. For worker threads, where blocking is harmless: a small file's dozen
   * thread-pool round trips cost far more than its processing. Default 0 (never).
   */
  syncBelowBytes?: number;
  /**
   * Called once the result and summary are written under temporary names, just before they
   * are renamed into place. It may throw (a FencedError: another instance took the file
   * over) to throw the work away instead; processFile then rethrows that error.
   */
  beforeCommit?: () => void;
}

/** Processes one file and writes its result and summary. Resolves with the summary. */
export async function processFile(config: LoadedConfig, job: FileJob, options: ProcessOptions = {}): Promise<FileSummary> {
  const logger = options.logger ?? silentLogger;
  const started = Date.now();
  const splitter = new LineSplitter((line, n) => onLine(line, n), options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const tracer = levelEnabled(logger, 'trace') ? (message: string) => logger.trace(message) : undefined;

  let run: PipelineRun | undefined;
  let eol = '\n';
  let pending = '';
  const sink = (line: string): void => {
    pending += line;
    pending += eol;
  };
  const begin = (firstLine: string | undefined): PipelineRun => {
    const spec = choosePipeline(config, job.name, firstLine);
    logger.debug(`${job.name}: pipeline "${spec.name}"`);
    return new PipelineRun(spec, job.name, sink, tracer);
  };
  function onLine(line: string, n: number): void {
    if (n === 1 && splitter.crlf) eol = '\r\n';
    run ??= begin(line);
    run.push(line, n);
  }
  /** End of input: the last line out of the splitter, then the pipeline's end-of-file flush. */
  const finishInput = (): PipelineRun => {
    splitter.end();
    run ??= begin(undefined);
    run.finish(splitter.linesIn);
    return run;
  };
  const processedSummary = (finished: PipelineRun, bytesOut: number): FileSummary =>
    makeSummary(job, started, { status: 'processed', pipeline: finished.spec.name, linesIn: splitter.linesIn, bytesIn: splitter.bytesIn, bytesOut, ...finished.stats() });

  let writer: AtomicFileWriter | undefined;
  let input: FileHandle | undefined;
  let reading: Promise<{ bytesRead: number }> | undefined;
  let writing: Promise<void> = Promise.resolve();
  try {
    if (!config.needsFirstLine) run = begin(undefined);
    const small = 'path' in job.input && options.syncBelowBytes ? readSmallFileSync(job.input.path, job.input.followSymlinks ?? true, options.syncBelowBytes) : undefined;
    if (small !== undefined) {
      splitter.push(small);
      const finished = finishInput();
      const result = writeTemporaryFileSync(job.resultPath, pending, job.tempTag);
      pending = '';
      const summary = processedSummary(finished, result.bytes);
      let summaryFile: string;
      try {
        summaryFile = writeTemporaryFileSync(job.summaryPath, summaryText(summary), job.tempTag).temporaryPath;
      } catch (error) {
        rmSync(result.temporaryPath, { force: true });
        throw error;
      }
      commitFilesSync(
        [
          [result.temporaryPath, job.resultPath],
          [summaryFile, job.summaryPath],
        ],
        options.beforeCommit,
      );
      return summary;
    }
    writer = await AtomicFileWriter.create(job.resultPath, job.tempTag);
    const out = writer;
    // One write may be in flight while the next chunk is processed; awaiting the previous
    // one first keeps the order and bounds memory to two pieces of output.
    const flushPending = async (): Promise<void> => {
      const text = pending;
      pending = '';
      await writing;
      writing = out.write(text);
      // Marked handled now; the error still surfaces at the next `await writing`.
      writing.catch(() => undefined);
    };
    if ('text' in job.input) {
      splitter.push(Buffer.from(job.input.text, 'utf8'));
    } else {
      const opened = await openRegularFile(job.input.path, job.input.followSymlinks ?? true);
      input = opened.handle;
      const expected = opened.size;
      let total = 0;
      // Two buffers: the next read runs while the current chunk is split and routed.
      const buffers = [Buffer.allocUnsafe(READ_CHUNK_BYTES), Buffer.allocUnsafe(READ_CHUNK_BYTES)];
      let current = 0;
      const file = input;
      const readInto = (buffer: Buffer): Promise<{ bytesRead: number }> => {
        const read = file.read(buffer, 0, READ_CHUNK_BYTES, null);
        read.catch(() => undefined); // handled where it is awaited
        return read;
      };
      reading = readInto(buffers[0]);
      while (reading) {
        const { bytesRead }: { bytesRead: number } = await reading;
        reading = undefined;
        if (bytesRead === 0) break;
        const chunk = buffers[current].subarray(0, bytesRead);
        total += bytesRead;
        current ^= 1;
        // A short read that reaches the size fstat gave is the end: no read-ahead to find EOF
        // (one syscall less per small file, which is most files in a queue).
        reading = bytesRead < READ_CHUNK_BYTES && total >= expected ? undefined : readInto(buffers[current]);
        splitter.push(chunk);
        if (pending.length >= WRITE_THRESHOLD) await flushPending();
      }
    }
    const finished = finishInput();
    await flushPending();
    await writing;
    await writer.close();
    const summary = processedSummary(finished, out.bytesWritten);
    const summaryFile = await writeTemporaryFile(job.summaryPath, summaryText(summary), job.tempTag);
    writer = undefined;
    await commitFiles(
      [
        [out.temporaryPath, job.resultPath],
        [summaryFile, job.summaryPath],
      ],
      options.beforeCommit,
    );
    return summary;
  } catch (caught) {
    // Let a read-ahead or a write still in flight settle before closing their files.
    await reading?.catch(() => undefined);
    await writing.catch(() => undefined);
    await writer?.abort().catch(() => undefined);
    if (caught instanceof FencedError) throw caught; // another instance has the file now
    const error = asFileError(caught);
    if (options.finalAttempt === false && isTransientFsError(error)) throw error;
    const stats = run?.stats();
    return await recordFailure(
      job,
      error,
      started,
      {
        pipeline: run?.spec.name ?? null,
        linesIn: splitter.linesIn,
        bytesIn: splitter.bytesIn,
        tags: stats?.tags ?? {},
        nodes: stats?.nodes ?? {},
        processors: stats?.processors ?? {},
      },
      options.beforeCommit,
    );
  } finally {
    await input?.close().catch(() => undefined);
  }
}

/**
 * Writes the summary of a file that failed (and removes any older result under its name:
 * a failed file has no result, and a stale one would mislead). Also used by the queue when
 * a file fails outside processFile, e.g. when its worker died.
 */
export async function recordFailure(
  job: FileJob,
  error: FileProcessingError,
  started: number = Date.now(),
  partial: FailurePartial = {},
  beforeCommit?: () => void,
): Promise<FileSummary> {
  const summary = failureSummary(job, error, started, partial);
  const summaryFile = await writeTemporaryFile(job.summaryPath, summaryText(summary), job.tempTag);
  await commitFiles([[summaryFile, job.summaryPath]], () => {
    beforeCommit?.();
    rmSync(job.resultPath, { force: true });
  });
  return summary;
}

type FailurePartial = Partial<Pick<FileSummary, 'pipeline' | 'linesIn' | 'bytesIn' | 'tags' | 'nodes' | 'processors'>>;

/** The summary of a failed file, not written anywhere (recordFailure writes it). */
export function failureSummary(job: FileJob, error: FileProcessingError, started: number = Date.now(), partial: FailurePartial = {}): FileSummary {
  return makeSummary(job, started, {
    status: 'failed',
    pipeline: partial.pipeline ?? null,
    linesIn: partial.linesIn ?? 0,
    bytesIn: partial.bytesIn ?? 0,
    bytesOut: 0,
    linesOut: 0,
    tags: partial.tags ?? {},
    nodes: partial.nodes ?? {},
    processors: partial.processors ?? {},
    error: {
      message: error.message,
      code: error.code,
      ...(error.node === undefined ? {} : { node: error.node }),
      ...(error.line === undefined ? {} : { line: error.line }),
    },
  });
}

function choosePipeline(config: LoadedConfig, name: string, firstLine: string | undefined): PipelineSpec {
  const spec = selectPipeline(config, name, firstLine);
  if (spec === undefined) {
    throw new FileProcessingError(`no route fits "${name}" (add a route without "match" and "firstLine" as a catch-all)`, 'ENOROUTE');
  }
  return spec;
}

/**
 * Opens a file for reading, refusing anything but a regular file. O_NONBLOCK keeps a FIFO
 * from blocking the open; O_NOFOLLOW (when asked) refuses symbolic links.
 */
async function openRegularFile(file: string, followSymlinks: boolean): Promise<{ handle: FileHandle; size: number }> {
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
function readSmallFileSync(file: string, followSymlinks: boolean, limit: number): Buffer | undefined {
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

function asFileError(error: unknown): FileProcessingError {
  if (error instanceof FileProcessingError) return error;
  const errno = error as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string') {
    return new FileProcessingError(`filesystem error: ${errno.message}`, 'EIO', undefined, undefined, errno.code);
  }
  return new FileProcessingError(error instanceof Error ? error.message : String(error), 'EPROCESSOR');
}

type Outcome = Pick<
  FileSummary,
  'status' | 'pipeline' | 'linesIn' | 'linesOut' | 'bytesIn' | 'bytesOut' | 'tags' | 'nodes' | 'edges' | 'processors' | 'error'
>;

function makeSummary(job: FileJob, started: number, outcome: Outcome): FileSummary {
  const finished = Date.now();
  const { error, ...rest } = outcome;
  return {
    name: job.name,
    source: job.source,
    status: rest.status,
    pipeline: rest.pipeline,
    attempts: job.attempt ?? 1,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    latencyMs: finished - (job.detectedAt ?? started),
    linesIn: rest.linesIn,
    linesOut: rest.linesOut,
    bytesIn: rest.bytesIn,
    bytesOut: rest.bytesOut,
    tags: rest.tags,
    nodes: rest.nodes,
    ...(rest.edges ? { edges: rest.edges } : {}),
    processors: rest.processors,
    ...(error ? { error } : {}),
  };
}

function summaryText(summary: FileSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
