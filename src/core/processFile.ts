// Turns one file into a result and a summary (docs/pipelines.md, docs/results.md): streams
// it through the line splitter and the chosen pipeline, then renames the result and the
// summary, both written under temporary names, into place. The same run, kept in memory or
// streamed to a caller, serves pipeline tests, previews and `run --stdout` (docs/authoring.md).

import { rmSync } from 'node:fs';
import { encodingFor, selectPipeline, type LoadedConfig, type PipelineSpec } from './config/pipelineSpec';
import { errorMessage, FencedError, FileProcessingError, isTransientFsError } from './errors';
import { levelEnabled, silentLogger, type Logger } from './logger';
import { PipelineRun, TracingPipelineRun, type LineTrace, type LineTraceSink } from './pipeline/router';
import { failureSummary, makeSummary, recordFailure, summaryText, type FailurePartial, type FileSummary, type SummaryJob } from './summary';
import { decompressed, ENCODING_NAMES, isGzip } from './text/decode';
import { DEFAULT_MAX_LINE_BYTES } from './defaults';
import { LineSplitter } from './text/lineSplitter';
import { AtomicFileWriter, commitFiles, commitFilesSync, writeTemporaryFile, writeTemporaryFileSync } from './util/atomicFile';
import { ChunkReader, openRegularFile, readSmallFileSync } from './util/openInput';

// Output is handed to the filesystem in pieces of about this many characters.
const WRITE_THRESHOLD = 64 * 1024;
// Past this many characters of output the line splitter is paused until they are written, so
// a file whose lines fan out into a huge result never holds it all in memory.
const OUTPUT_HIGH_WATER = 2 * 1024 * 1024;

/**
 * What a file's lines come from. `text` is already decoded (an editor's, a test's `input`): it
 * is read as UTF-8 and never decompressed. `path`, `bytes` and `stream` are a file's bytes as
 * stored, read as a file on disk is (gzip, the route's encoding, byte-order marks). A stream
 * (standard input for `run -`) and bytes are read in this thread only: they do not cross to a
 * worker.
 */
export type FileInput = { path: string; followSymlinks?: boolean } | { text: string } | { bytes: Buffer } | { stream: AsyncIterable<Buffer> };

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
  /** The writer's mark on its temporary files (a queue instance's id; see util/atomicFile). */
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

export interface FileRunOptions {
  maxLineBytes?: number;
  logger?: Logger;
  /** The input is decoded text (`{ text }`): read as UTF-8 whatever the route's encoding. */
  decoded?: boolean;
  /** Every output line is also pushed here, as a line (for runs kept in memory). */
  collectLines?: string[];
  /**
   * Called for every output line, just before it is written, with the nodes it passed
   * through and the input line it came from. Off (and free) when not given.
   */
  traceLine?: LineTraceSink;
}

/**
 * One file's lines on their way through the pipeline, whatever they come from: the line
 * splitter (reading the encoding the file's route asks for), the pipeline chosen for the file
 * (by its name and, if a route asks, its first line), the output text waiting to be written,
 * and the summary figures. processFile() feeds it from disk and writes what it holds,
 * processStream() hands its output to a caller, processInMemory() keeps it all.
 *
 * `push`, `resume` and `endInput` return false when the output passed OUTPUT_HIGH_WATER and the
 * splitter paused: the caller takes the pending output, then calls `resume()` until it returns
 * true before pushing more.
 */
export class FileRun {
  readonly splitter: LineSplitter;
  run: PipelineRun | undefined;
  /** Output text not yet handed to the writer (each line followed by the file's line ending). */
  pending = '';
  readonly started = Date.now();
  /** True once endInput() was called. */
  ended = false;
  /** For gzip input: how many bytes of the file as stored were read (bytesIn counts those). */
  storedBytes: (() => number) | undefined;
  private eol = '\n';
  /** The pipeline of the route that settled the encoding, when routes disagreed on it. */
  private chosen: PipelineSpec | undefined;

  constructor(
    private readonly config: LoadedConfig,
    private readonly job: SummaryJob,
    private readonly options: FileRunOptions,
  ) {
    // Decoded text is UTF-8; a file is read as its route says (when the routes that may pick
    // it disagree, its first line settles the route, and so the pipeline).
    const encoding = options.decoded ? 'utf8' : encodingFor(config, job.name, (pipeline) => (this.chosen = pipeline));
    this.splitter = new LineSplitter((line, n) => this.onLine(line, n), options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, encoding);
    // Without a first-line route the pipeline is known now (and a broken one fails at once).
    if (!config.needsFirstLine) this.run = this.begin(undefined);
  }

  push(chunk: Buffer): boolean {
    return this.splitter.push(chunk);
  }

  resume(): boolean {
    return this.splitter.resume();
  }

  /** End of input: the last line out of the splitter. */
  endInput(): boolean {
    this.ended = true;
    return this.splitter.end();
  }

  /** After the last line: the pipeline's end-of-file flush. */
  finish(): PipelineRun {
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

  /** The file's bytes as stored: for gzip input, the compressed bytes read. */
  get bytesIn(): number {
    return this.storedBytes?.() ?? this.splitter.bytesIn;
  }

  processedSummary(bytesOut: number): FileSummary {
    const finished = this.run as PipelineRun;
    return makeSummary(this.job, this.started, {
      status: 'processed',
      pipeline: finished.spec.name,
      linesIn: this.splitter.linesIn,
      invalidLines: this.splitter.invalidLines,
      bytesIn: this.bytesIn,
      bytesOut,
      ...finished.stats(),
    });
  }

  /** What a failed file's summary keeps of the run: how far it got. */
  partial(): FailurePartial {
    const stats = this.run?.stats();
    return {
      pipeline: this.run?.spec.name ?? null,
      linesIn: this.splitter.linesIn,
      invalidLines: this.splitter.invalidLines,
      bytesIn: this.bytesIn,
      tags: stats?.tags ?? {},
      nodes: stats?.nodes ?? {},
      processors: stats?.processors ?? {},
    };
  }

  /** Once per file: how many lines had bytes that were not valid in the encoding read. */
  warnInvalid(): void {
    const splitter = this.splitter;
    if (splitter.invalidLines === 0) return;
    const encoding = splitter.encoding ?? 'utf8';
    const hint = encoding === 'utf8' ? '; if the file is not UTF-8, set "encoding" (e.g. "latin1") in its pipeline or route' : '';
    (this.options.logger ?? silentLogger).warn(
      `${this.job.name}: ${splitter.invalidLines} line(s) held bytes that are not valid ${ENCODING_NAMES[encoding]}, replaced with U+FFFD ` +
        `(the first on line ${splitter.firstInvalidLine})${hint}`,
    );
  }

  private begin(firstLine: string | undefined): PipelineRun {
    const logger = this.options.logger ?? silentLogger;
    const spec = this.chosen ?? choosePipeline(this.config, this.job.name, firstLine);
    logger.debug(`${this.job.name}: pipeline "${spec.name}"`);
    const tracer = levelEnabled(logger, 'trace') ? (message: string) => logger.trace(message) : undefined;
    const collect = this.options.collectLines;
    const sink = collect
      ? (line: string): void => {
          collect.push(line);
          this.pending += line;
          this.pending += this.eol;
          if (this.pending.length >= OUTPUT_HIGH_WATER) this.splitter.pause();
        }
      : (line: string): void => {
          this.pending += line;
          this.pending += this.eol;
          if (this.pending.length >= OUTPUT_HIGH_WATER) this.splitter.pause();
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

/** After a push (or end): what to do with its answer (write out while paused, then resume). */
type Settle = (done: boolean) => Promise<void>;

/**
 * Feeds an input into the run: a file opened here (only a regular file is read), bytes or a
 * stream, each decompressed when it starts with the gzip magic, or decoded text. Ends with
 * the last chunk pushed and settled; endInput() is the caller's.
 */
async function feed(file: FileRun, input: FileInput, settle: Settle): Promise<void> {
  if ('text' in input) {
    await settle(file.push(Buffer.from(input.text, 'utf8')));
    return;
  }
  if ('bytes' in input) {
    const bytes = input.bytes;
    if (!isGzip(bytes)) {
      await settle(file.push(bytes));
      return;
    }
    for await (const chunk of decompressed([bytes], () => (file.storedBytes = () => bytes.length))) await settle(file.push(chunk));
    return;
  }
  if ('stream' in input) {
    let read = 0;
    const source = input.stream;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        read += chunk.length;
        yield chunk;
      }
    }
    for await (const chunk of decompressed(counted(), () => (file.storedBytes = () => read))) await settle(file.push(chunk));
    return;
  }
  const opened = await openRegularFile(input.path, input.followSymlinks ?? true);
  try {
    const reader = new ChunkReader(opened.handle, opened.size);
    for await (const chunk of decompressed(reader, () => (file.storedBytes = () => reader.bytesRead))) await settle(file.push(chunk));
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
}

/**
 * Runs `feed` to the end of the file and its end-of-file flush, handing the output to `write`
 * in pieces as it comes. One write may be in flight while the next chunk is processed;
 * awaiting the previous one first keeps the order and bounds memory to two pieces of output.
 */
async function runThrough(file: FileRun, feedInput: (settle: Settle) => Promise<void>, write: (text: string) => Promise<void> | void): Promise<PipelineRun> {
  let writing: Promise<void> = Promise.resolve();
  const flushPending = async (): Promise<void> => {
    const text = file.takePending();
    await writing;
    if (text.length === 0) return;
    writing = Promise.resolve(write(text));
    // Marked handled now; the error still surfaces at the next `await writing`.
    writing.catch(() => undefined);
  };
  /** While the splitter is paused, writes out and resumes it. */
  const settle: Settle = async (done) => {
    while (!done) {
      await flushPending();
      done = file.resume();
    }
    if (file.pending.length >= WRITE_THRESHOLD) await flushPending();
  };
  try {
    await feedInput(settle);
    if (!file.ended) await settle(file.endInput());
    const finished = file.finish();
    await flushPending();
    await writing;
    return finished;
  } catch (error) {
    // Let a write still in flight settle before the caller closes its file.
    await writing.catch(() => undefined);
    throw error;
  }
}

/** Processes one file and writes its result and summary. Resolves with the summary. */
export async function processFile(config: LoadedConfig, job: FileJob, options: ProcessOptions = {}): Promise<FileSummary> {
  let file: FileRun | undefined;
  let writer: AtomicFileWriter | undefined;
  try {
    const run = new FileRun(config, job, { maxLineBytes: options.maxLineBytes, logger: options.logger, decoded: 'text' in job.input });
    file = run;
    const small = 'path' in job.input && options.syncBelowBytes ? readSmallFileSync(job.input.path, job.input.followSymlinks ?? true, options.syncBelowBytes) : undefined;
    const smallText = small !== undefined && !isGzip(small);
    if (smallText) {
      if (run.push(small) && run.endInput()) {
        run.finish();
        const result = writeTemporaryFileSync(job.resultPath, run.takePending(), job.tempTag);
        const summary = run.processedSummary(result.bytes);
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
        run.warnInvalid();
        return summary;
      }
      // Its output outgrew memory: it is written as it comes from here, as a streamed file's.
    }
    writer = await AtomicFileWriter.create(job.resultPath, job.tempTag);
    const out = writer;
    // A small file that is compressed is streamed all the same: a bomb may hide in it.
    const input: FileInput = small !== undefined ? { bytes: small } : job.input;
    await runThrough(run, smallText ? (settle) => settle(false) : (settle) => feed(run, input, settle), (text) => out.write(text));
    await writer.close();
    const summary = run.processedSummary(out.bytesWritten);
    const summaryFile = await writeTemporaryFile(job.summaryPath, summaryText(summary), job.tempTag);
    writer = undefined;
    await commitFiles(
      [
        [out.temporaryPath, job.resultPath],
        [summaryFile, job.summaryPath],
      ],
      options.beforeCommit,
    );
    run.warnInvalid();
    return summary;
  } catch (caught) {
    await writer?.abort().catch(() => undefined);
    if (caught instanceof FencedError) throw caught; // another instance has the file now
    const error = asFileError(caught);
    if (options.finalAttempt === false && isTransientFsError(error)) throw error;
    file?.warnInvalid();
    return await recordFailure(job, error, file?.started ?? Date.now(), file?.partial() ?? {}, options.beforeCommit);
  }
}

/**
 * Streams an input (standard input, a file) through the pipeline as a file named `job.name`,
 * handing the output text to `write` as it comes (for `run --stdout`): nothing is written to
 * disk. The summary is processFile()'s; a file that fails midway has had the lines before
 * the failure written.
 */
export async function processStream(
  config: LoadedConfig,
  job: SummaryJob,
  input: FileInput,
  write: (text: string) => void | Promise<void>,
  options: Omit<FileRunOptions, 'decoded'> = {},
): Promise<FileSummary> {
  let file: FileRun | undefined;
  let bytesOut = 0;
  try {
    const run = new FileRun(config, job, { ...options, decoded: 'text' in input });
    file = run;
    await runThrough(
      run,
      (settle) => feed(run, input, settle),
      (text) => {
        bytesOut += Buffer.byteLength(text, 'utf8');
        return write(text);
      },
    );
    run.warnInvalid();
    return run.processedSummary(bytesOut);
  } catch (caught) {
    file?.warnInvalid();
    return failureSummary(job, asFileError(caught), file?.started ?? Date.now(), file?.partial() ?? {});
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
 * Runs an input through the pipeline exactly as processFile() would run a file of that name
 * (routes, gzip and encodings for bytes, text rules, the same summary) but writes nothing:
 * for pipeline tests and previews.
 */
export async function processInMemory(
  config: LoadedConfig,
  job: Pick<FileJob, 'name' | 'source'>,
  input: Extract<FileInput, { text: string } | { bytes: Buffer }>,
  options: { maxLineBytes?: number; logger?: Logger; trace?: boolean } = {},
): Promise<InMemoryResult> {
  const lines: string[] = [];
  const traces: LineTrace[] | undefined = options.trace ? [] : undefined;
  const summary = await processStream(config, job, input, () => undefined, {
    maxLineBytes: options.maxLineBytes,
    logger: options.logger,
    collectLines: lines,
    traceLine: traces ? (path, n) => traces.push({ path, n }) : undefined,
  });
  // A failed file has no result, so none of its lines (or their traces) are given back.
  if (summary.status === 'failed') return { summary, lines: [], ...(traces ? { traces: [] } : {}) };
  return { summary, lines, ...(traces ? { traces } : {}) };
}

function choosePipeline(config: LoadedConfig, name: string, firstLine: string | undefined): PipelineSpec {
  const spec = selectPipeline(config, name, firstLine);
  if (spec === undefined) {
    throw new FileProcessingError(`no route fits "${name}" (add a route without "match" and "firstLine" as a catch-all)`, 'ENOROUTE');
  }
  return spec;
}

function asFileError(error: unknown): FileProcessingError {
  if (error instanceof FileProcessingError) return error;
  const errno = error as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string') {
    return new FileProcessingError(`filesystem error: ${errno.message}`, 'EIO', undefined, undefined, errno.code);
  }
  return new FileProcessingError(errorMessage(error), 'EPROCESSOR');
}
