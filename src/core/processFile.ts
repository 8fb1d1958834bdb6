// Turns one file into a result and a summary (docs/pipelines.md, docs/results.md): streams
// it through the line splitter and the chosen pipeline, then renames the result and the
// summary, both written under temporary names, into place.

import { rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { encodingFor, selectPipeline, type LoadedConfig, type PipelineSpec } from './config/pipelineSpec';
import { FencedError, FileProcessingError, isTransientFsError } from './errors';
import { levelEnabled, silentLogger, type Logger } from './logger';
import { PipelineRun } from './pipeline/router';
import type { FileSummary } from './summary';
import { decompressed, ENCODING_NAMES, isGzip } from './text/decode';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './text/lineSplitter';
import { AtomicFileWriter, commitFiles, commitFilesSync, writeTemporaryFile, writeTemporaryFileSync } from './util/atomicFile';
import { ChunkReader, openRegularFile, readSmallFileSync } from './util/openInput';

// Output is handed to the filesystem in pieces of about this many characters.
const WRITE_THRESHOLD = 64 * 1024;
// Past this many characters of output the line splitter is paused until they are written, so
// a file whose lines fan out into a huge result never holds it all in memory.
const OUTPUT_HIGH_WATER = 2 * 1024 * 1024;

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

/** Processes one file and writes its result and summary. Resolves with the summary. */
export async function processFile(config: LoadedConfig, job: FileJob, options: ProcessOptions = {}): Promise<FileSummary> {
  const logger = options.logger ?? silentLogger;
  const started = Date.now();
  // Text from an editor is already decoded; a file is read as its route says (when the routes
  // that may pick it disagree, its first line settles the route, and so the pipeline).
  let chosen: PipelineSpec | undefined;
  const encoding = 'text' in job.input ? 'utf8' : encodingFor(config, job.name, (pipeline) => (chosen = pipeline));
  const splitter = new LineSplitter((line, n) => onLine(line, n), options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, encoding);
  const tracer = levelEnabled(logger, 'trace') ? (message: string) => logger.trace(message) : undefined;

  let run: PipelineRun | undefined;
  let eol = '\n';
  let pending = '';
  const sink = (line: string): void => {
    pending += line;
    pending += eol;
    if (pending.length >= OUTPUT_HIGH_WATER) splitter.pause();
  };
  const begin = (firstLine: string | undefined): PipelineRun => {
    const spec = chosen ?? choosePipeline(config, job.name, firstLine);
    logger.debug(`${job.name}: pipeline "${spec.name}"`);
    return new PipelineRun(spec, job.name, sink, tracer);
  };
  function onLine(line: string, n: number): void {
    if (n === 1 && splitter.crlf) eol = '\r\n';
    run ??= begin(line);
    run.push(line, n);
  }
  let ended = false;
  const endInput = (): boolean => {
    ended = true;
    return splitter.end();
  };
  /** After the last line: the pipeline's end-of-file flush. */
  const finishRun = (): PipelineRun => {
    run ??= begin(undefined);
    run.finish(splitter.linesIn);
    return run;
  };
  // bytesIn counts the file's bytes as stored: for gzip input, the compressed bytes read.
  let storedBytes: (() => number) | undefined;
  const bytesIn = (): number => storedBytes?.() ?? splitter.bytesIn;
  const processedSummary = (finished: PipelineRun, bytesOut: number): FileSummary =>
    makeSummary(job, started, {
      status: 'processed',
      pipeline: finished.spec.name,
      linesIn: splitter.linesIn,
      invalidLines: splitter.invalidLines,
      bytesIn: bytesIn(),
      bytesOut,
      ...finished.stats(),
    });

  let writer: AtomicFileWriter | undefined;
  let input: FileHandle | undefined;
  let writing: Promise<void> = Promise.resolve();
  try {
    if (!config.needsFirstLine) run = begin(undefined);
    const small = 'path' in job.input && options.syncBelowBytes ? readSmallFileSync(job.input.path, job.input.followSymlinks ?? true, options.syncBelowBytes) : undefined;
    const smallText = small !== undefined && !isGzip(small);
    if (smallText) {
      if (splitter.push(small) && endInput()) {
        const finished = finishRun();
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
        warnInvalid(logger, job, splitter);
        return summary;
      }
      // Its output outgrew memory: it is written as it comes from here, as a streamed file's.
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
    /** After a push (or end): while the splitter is paused, writes out and resumes it. */
    const settle = async (done: boolean): Promise<void> => {
      while (!done) {
        await flushPending();
        done = splitter.resume();
      }
      if (pending.length >= WRITE_THRESHOLD) await flushPending();
    };
    if (smallText) {
      await settle(false);
    } else if ('text' in job.input) {
      await settle(splitter.push(Buffer.from(job.input.text, 'utf8')));
    } else {
      let chunks: AsyncIterable<Buffer> | Buffer[];
      let read: () => number;
      if (small !== undefined) {
        chunks = [small]; // small, but compressed: streamed, as a bomb may hide in it
        read = () => small.length;
      } else {
        const opened = await openRegularFile(job.input.path, job.input.followSymlinks ?? true);
        input = opened.handle;
        const reader = new ChunkReader(opened.handle, opened.size);
        chunks = reader;
        read = () => reader.bytesRead;
      }
      for await (const chunk of decompressed(chunks, () => (storedBytes = read))) await settle(splitter.push(chunk));
    }
    if (!ended) await settle(endInput());
    const finished = finishRun();
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
    warnInvalid(logger, job, splitter);
    return summary;
  } catch (caught) {
    // Let a write still in flight settle before closing its file.
    await writing.catch(() => undefined);
    await writer?.abort().catch(() => undefined);
    if (caught instanceof FencedError) throw caught; // another instance has the file now
    const error = asFileError(caught);
    if (options.finalAttempt === false && isTransientFsError(error)) throw error;
    const stats = run?.stats();
    warnInvalid(logger, job, splitter);
    return await recordFailure(
      job,
      error,
      started,
      {
      pipeline: run?.spec.name ?? null,
      linesIn: splitter.linesIn,
      invalidLines: splitter.invalidLines,
      bytesIn: bytesIn(),
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

/** Once per file: how many lines had bytes that were not valid in the encoding read. */
function warnInvalid(logger: Logger, job: FileJob, splitter: LineSplitter): void {
  if (splitter.invalidLines === 0) return;
  const encoding = splitter.encoding ?? 'utf8';
  const hint = encoding === 'utf8' ? '; if the file is not UTF-8, set "encoding" (e.g. "latin1") in its pipeline or route' : '';
  logger.warn(
    `${job.name}: ${splitter.invalidLines} line(s) held bytes that are not valid ${ENCODING_NAMES[encoding]}, replaced with U+FFFD ` +
      `(the first on line ${splitter.firstInvalidLine})${hint}`,
  );
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

type FailurePartial = Partial<Pick<FileSummary, 'pipeline' | 'linesIn' | 'invalidLines' | 'bytesIn' | 'tags' | 'nodes' | 'processors'>>;

/** The summary of a failed file, not written anywhere (recordFailure writes it). */
export function failureSummary(job: FileJob, error: FileProcessingError, started: number = Date.now(), partial: FailurePartial = {}): FileSummary {
  return makeSummary(job, started, {
    status: 'failed',
    pipeline: partial.pipeline ?? null,
    linesIn: partial.linesIn ?? 0,
    invalidLines: partial.invalidLines ?? 0,
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
  'status' | 'pipeline' | 'linesIn' | 'linesOut' | 'invalidLines' | 'bytesIn' | 'bytesOut' | 'tags' | 'nodes' | 'edges' | 'processors' | 'error'
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
    invalidLines: rest.invalidLines,
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
