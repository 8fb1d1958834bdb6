// Turns one file into a result and a summary (SPEC §2, §4): streams it through the line
// splitter and the chosen pipeline, writes the result atomically, then the summary.

import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { selectPipeline, type LoadedConfig, type PipelineSpec } from './config/pipelineSpec';
import { FileProcessingError, isTransientFsError } from './errors';
import { levelEnabled, silentLogger, type Logger } from './logger';
import { PipelineRun, TracingPipelineRun, type LineTrace, type LineTraceSink } from './pipeline/router';
import type { FileSummary } from './summary';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './text/lineSplitter';
import { AtomicFileWriter, writeFileAtomic, writeFileAtomicSync } from './util/atomicFile';

const READ_CHUNK_BYTES = 256 * 1024;
// Output is handed to the filesystem in pieces of about this many characters.
const WRITE_THRESHOLD = 64 * 1024;

/** A stream input (standard input for `run -`) is read in this thread only: it cannot cross to a worker. */
export type FileInput = { path: string; followSymlinks?: boolean } | { text: string } | { stream: AsyncIterable<Buffer> };

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
}

/**
 * One file's lines on their way through the pipeline, whatever they come from: the line
 * splitter, the pipeline chosen for the file (by its name and, if a route asks, its first
 * line), the output text waiting to be written, and the summary figures. processFile() feeds
 * it from disk and writes what it holds; processInMemory() feeds it a buffer and keeps it all.
 */
export class FileRun {
  readonly splitter: LineSplitter;
  run: PipelineRun | undefined;
  /** Output text not yet handed to the writer (each line followed by the file's line ending). */
  pending = '';
  readonly started = Date.now();
  private eol = '\n';

  constructor(
    private readonly config: LoadedConfig,
    private readonly job: Pick<FileJob, 'name' | 'source' | 'detectedAt' | 'attempt'>,
    private readonly options: FileRunOptions,
  ) {
    this.splitter = new LineSplitter((line, n) => this.onLine(line, n), options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    // Without a first-line route the pipeline is known now (and a broken one fails at once).
    if (!config.needsFirstLine) this.run = this.begin(undefined);
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  /** End of input: the last line out of the splitter, then the pipeline's end-of-file flush. */
  finishInput(): PipelineRun {
    this.splitter.end();
    this.run ??= this.begin(undefined);
    this.run.finish(this.splitter.linesIn);
    return this.run;
  }

  /** Takes the output text gathered so far. */
  takePending(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  processedSummary(bytesOut: number): FileSummary {
    const finished = this.run as PipelineRun;
    return makeSummary(this.job, this.started, {
      status: 'processed',
      pipeline: finished.spec.name,
      linesIn: this.splitter.linesIn,
      bytesIn: this.splitter.bytesIn,
      bytesOut,
      ...finished.stats(),
    });
  }

  /** What a failed file's summary keeps of the run: how far it got. */
  partial(): Partial<Pick<FileSummary, 'pipeline' | 'linesIn' | 'bytesIn' | 'tags' | 'nodes' | 'processors'>> {
    const stats = this.run?.stats();
    return {
      pipeline: this.run?.spec.name ?? null,
      linesIn: this.splitter.linesIn,
      bytesIn: this.splitter.bytesIn,
      tags: stats?.tags ?? {},
      nodes: stats?.nodes ?? {},
      processors: stats?.processors ?? {},
    };
  }

  private begin(firstLine: string | undefined): PipelineRun {
    const logger = this.options.logger ?? silentLogger;
    const spec = choosePipeline(this.config, this.job.name, firstLine);
    logger.debug(`${this.job.name}: pipeline "${spec.name}"`);
    const tracer = levelEnabled(logger, 'trace') ? (message: string) => logger.trace(message) : undefined;
    const collect = this.options.collectLines;
    const sink = collect
      ? (line: string): void => {
          collect.push(line);
          this.pending += line;
          this.pending += this.eol;
        }
      : (line: string): void => {
          this.pending += line;
          this.pending += this.eol;
        };
    const traceLine = this.options.traceLine;
    return traceLine ? new TracingPipelineRun(spec, this.job.name, sink, traceLine, tracer) : new PipelineRun(spec, this.job.name, sink, tracer);
  }

  private onLine(line: string, n: number): void {
    if (n === 1 && this.splitter.crlf) this.eol = '\r\n';
    this.run ??= this.begin(line);
    this.run.push(line, n);
  }
}

export interface FileRunOptions {
  maxLineBytes?: number;
  logger?: Logger;
  /** Every output line is also pushed here, as a line (for runs kept in memory). */
  collectLines?: string[];
  /**
   * Called for every output line, just before it is written, with the nodes it passed
   * through and the input line it came from. Off (and free) when not given.
   */
  traceLine?: LineTraceSink;
}

/** Processes one file and writes its result and summary. Resolves with the summary. */
export async function processFile(config: LoadedConfig, job: FileJob, options: ProcessOptions = {}): Promise<FileSummary> {
  let file: FileRun | undefined;
  let writer: AtomicFileWriter | undefined;
  let input: FileHandle | undefined;
  let reading: Promise<{ bytesRead: number }> | undefined;
  let writing: Promise<void> = Promise.resolve();
  try {
    const run = new FileRun(config, job, options);
    file = run;
    const small = 'path' in job.input && options.syncBelowBytes ? readSmallFileSync(job.input.path, job.input.followSymlinks ?? true, options.syncBelowBytes) : undefined;
    if (small !== undefined) {
      run.push(small);
      run.finishInput();
      const bytesOut = writeFileAtomicSync(job.resultPath, run.takePending());
      const summary = run.processedSummary(bytesOut);
      writeFileAtomicSync(job.summaryPath, summaryText(summary));
      return summary;
    }
    writer = await AtomicFileWriter.create(job.resultPath);
    const out = writer;
    // One write may be in flight while the next chunk is processed; awaiting the previous
    // one first keeps the order and bounds memory to two pieces of output.
    const flushPending = async (): Promise<void> => {
      const text = run.takePending();
      await writing;
      writing = out.write(text);
      // Marked handled now; the error still surfaces at the next `await writing`.
      writing.catch(() => undefined);
    };
    if ('text' in job.input) {
      run.push(Buffer.from(job.input.text, 'utf8'));
    } else if ('stream' in job.input) {
      for await (const chunk of job.input.stream) {
        run.push(chunk);
        if (run.pending.length >= WRITE_THRESHOLD) await flushPending();
      }
    } else {
      const opened = await openRegularFile(job.input.path, job.input.followSymlinks ?? true);
      input = opened.handle;
      const expected = opened.size;
      let total = 0;
      // Two buffers: the next read runs while the current chunk is split and routed.
      const buffers = [Buffer.allocUnsafe(READ_CHUNK_BYTES), Buffer.allocUnsafe(READ_CHUNK_BYTES)];
      let current = 0;
      const handle = input;
      const readInto = (buffer: Buffer): Promise<{ bytesRead: number }> => {
        const read = handle.read(buffer, 0, READ_CHUNK_BYTES, null);
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
        run.push(chunk);
        if (run.pending.length >= WRITE_THRESHOLD) await flushPending();
      }
    }
    run.finishInput();
    await flushPending();
    await writing;
    await writer.commit();
    writer = undefined;
    const summary = run.processedSummary(out.bytesWritten);
    await writeSummary(job, summary);
    return summary;
  } catch (caught) {
    // Let a read-ahead or a write still in flight settle before closing their files.
    await reading?.catch(() => undefined);
    await writing.catch(() => undefined);
    await writer?.abort().catch(() => undefined);
    const error = asFileError(caught);
    if (options.finalAttempt === false && isTransientFsError(error)) throw error;
    return await recordFailure(job, error, file?.started ?? Date.now(), file?.partial() ?? {});
  } finally {
    await input?.close().catch(() => undefined);
  }
}

/**
 * Streams chunks (standard input, a file read as a stream) through the pipeline as a file
 * named `job.name`, handing the output text to `write` as it comes (for `run --stdout`):
 * nothing is written to disk. The summary is processFile()'s; a file that fails midway has
 * had the lines before the failure written.
 */
export async function processStream(
  config: LoadedConfig,
  job: Pick<FileJob, 'name' | 'source' | 'detectedAt'>,
  chunks: AsyncIterable<Buffer>,
  write: (text: string) => void | Promise<void>,
  options: Pick<FileRunOptions, 'maxLineBytes' | 'logger' | 'traceLine'> = {},
): Promise<FileSummary> {
  let file: FileRun | undefined;
  let bytesOut = 0;
  const flush = async (): Promise<void> => {
    const text = (file as FileRun).takePending();
    if (text.length === 0) return;
    bytesOut += Buffer.byteLength(text, 'utf8');
    await write(text);
  };
  try {
    file = new FileRun(config, job, options);
    for await (const chunk of chunks) {
      file.push(chunk);
      if (file.pending.length >= WRITE_THRESHOLD) await flush();
    }
    file.finishInput();
    await flush();
    return file.processedSummary(bytesOut);
  } catch (caught) {
    return makeSummary(job, file?.started ?? Date.now(), failedOutcome(asFileError(caught), file?.partial() ?? {}));
  }
}

/** What a run kept in memory gives back: the summary, the output lines and, when asked, their traces. */
export interface InMemoryResult {
  summary: FileSummary;
  /** The result lines (none when the file failed: a failed file has no result). */
  lines: string[];
  /** When asked for: per output line, the nodes it passed through and its input line `n`. */
  traces?: LineTrace[];
}

/**
 * Runs bytes through the pipeline exactly as processFile() would run a file of that name
 * (routes, text rules, the same summary) but writes nothing: for pipeline tests and previews.
 */
export function processInMemory(
  config: LoadedConfig,
  job: Pick<FileJob, 'name' | 'source'>,
  bytes: Buffer,
  options: { maxLineBytes?: number; logger?: Logger; trace?: boolean } = {},
): InMemoryResult {
  const lines: string[] = [];
  const traces: LineTrace[] | undefined = options.trace ? [] : undefined;
  let file: FileRun | undefined;
  try {
    file = new FileRun(config, job, {
      maxLineBytes: options.maxLineBytes,
      logger: options.logger,
      collectLines: lines,
      traceLine: traces ? (path, n) => traces.push({ path, n }) : undefined,
    });
    file.push(bytes);
    file.finishInput();
    const summary = file.processedSummary(Buffer.byteLength(file.takePending(), 'utf8'));
    return { summary, lines, ...(traces ? { traces } : {}) };
  } catch (caught) {
    const error = asFileError(caught);
    const summary = makeSummary(job, file?.started ?? Date.now(), failedOutcome(error, file?.partial() ?? {}));
    return { summary, lines: [], ...(traces ? { traces: [] } : {}) };
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
  partial: Partial<Pick<FileSummary, 'pipeline' | 'linesIn' | 'bytesIn' | 'tags' | 'nodes' | 'processors'>> = {},
): Promise<FileSummary> {
  const summary = makeSummary(job, started, failedOutcome(error, partial));
  await rm(job.resultPath, { force: true }).catch(() => undefined);
  await writeSummary(job, summary);
  return summary;
}

function failedOutcome(error: FileProcessingError, partial: Partial<Pick<FileSummary, 'pipeline' | 'linesIn' | 'bytesIn' | 'tags' | 'nodes' | 'processors'>>): Outcome {
  return {
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
  };
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

function makeSummary(job: Pick<FileJob, 'name' | 'source' | 'detectedAt' | 'attempt'>, started: number, outcome: Outcome): FileSummary {
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

async function writeSummary(job: FileJob, summary: FileSummary): Promise<void> {
  await writeFileAtomic(job.summaryPath, summaryText(summary));
}

function summaryText(summary: FileSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
