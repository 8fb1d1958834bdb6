// Entry point of the `fileflow` command: parses arguments, runs the command, maps outcomes
// to exit codes (0 all processed, 1 some file failed, 2 usage or configuration error).

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { loadDefaultConfig, loadPipelineFile, type LoadedConfig } from '../core/config/pipelineConfig';
import { DEFAULT_PIPELINE_FILE } from '../core/defaults';
import { ConfigError, FileProcessingError } from '../core/errors';
import { streamLogger } from '../core/logger';
import { MetricsCollector } from '../core/metrics';
import { processFile, type FileInput } from '../core/processFile';
import { QueueRootError } from '../core/queue/layout';
import { writeSamples } from '../core/samples';
import { failureSummary, logFileOutcome, SUMMARY_SUFFIX, type FileSummary } from '../core/summary';
import { uniqueName } from '../core/util/uniqueName';
import { HELP, parseCommandLine, UsageError, type Command } from './args';
import { formatMetrics } from './formatMetrics';
import { safeStream } from './output';
import { checkFolder, checkRunInput, describeFsError, isFsError, makeFolder, mayChange, refuseOverwritingInputs, type PlannedOutput, type RunInput } from './paths';
import { readStdin, runToStdout, STDIN } from './runStdio';
import { statusCommand } from './statusCommand';
import { testCommand } from './testCommand';
import { watchCommand } from './watchCommand';
import { version } from '../../package.json';

/** The process around a command. Its callbacks are function properties, not methods: commands hand io.out and io.err on without their object. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress lines are only drawn there). */
  errIsTty: boolean;
  cwd: string;
  /** Standard input, for `run -`. */
  stdin?: () => AsyncIterable<Buffer>;
  /** Registers a SIGINT/SIGTERM handler (long-running commands); returns its remover. */
  onSignal?: (handler: (signal: string) => void) => () => void;
}

export const EXIT_OK = 0;
export const EXIT_FAILED_FILES = 1;
export const EXIT_USAGE = 2;

export async function main(argv: string[], io: CliIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`fileflow: ${error.message} (see "fileflow --help")\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  try {
    switch (command.kind) {
      case 'help':
        io.out(HELP);
        return EXIT_OK;
      case 'version':
        io.out(`${version}\n`);
        return EXIT_OK;
      case 'validate':
        return await validateCommand(command, io);
      case 'test':
        return await testCommand(command, io);
      case 'samples': {
        await makeFolder(command.dir, `samples ${command.dir}`, io.cwd);
        const files = await writeSamples(path.resolve(io.cwd, command.dir), command);
        io.out(`wrote ${files.length} sample log file(s) of ${command.lines} lines to ${command.dir}\n`);
        return EXIT_OK;
      }
      case 'run':
        return await runCommand(command, io);
      case 'watch':
        return await watchCommand(command, resolvePipelinePath(command.pipeline, io.cwd), {
          ...io,
          onSignal: io.onSignal ?? (() => () => undefined),
        });
      case 'status':
        return await statusCommand(command, io);
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof QueueRootError) {
      io.err(`fileflow: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // A path the user gave that the filesystem refused (a file where a folder must be, no
    // permission, a read-only disk…): one line, not a stack trace.
    if (isFsError(error)) {
      io.err(`fileflow: ${describeFsError(error, io.cwd)}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

async function validateCommand(command: Extract<Command, { kind: 'validate' }>, io: CliIo): Promise<number> {
  const config = await loadPipelineFile(path.resolve(io.cwd, command.file), { checkTests: true });
  const pipelines = [...config.pipelines.values()].map((p) => `${p.name} (${p.nodes.length} nodes)`);
  const routes = config.routes.length === 0 ? 'no routes (one pipeline for every file)' : `${config.routes.length} route(s)`;
  io.out(`${command.file}: ok — pipelines: ${pipelines.join(', ')}; ${routes}\n`);
  return EXIT_OK;
}

/**
 * The pipeline file to use: --pipeline, else ./fileflow.pipeline.json when present;
 * undefined means the built-in default.
 */
export function resolvePipelinePath(pipeline: string | undefined, cwd: string): string | undefined {
  if (pipeline !== undefined) return path.resolve(cwd, pipeline);
  const local = path.join(cwd, DEFAULT_PIPELINE_FILE);
  return existsSync(local) ? local : undefined;
}

export async function resolveConfig(pipeline: string | undefined, cwd: string): Promise<LoadedConfig> {
  const file = resolvePipelinePath(pipeline, cwd);
  return file === undefined ? loadDefaultConfig() : loadPipelineFile(file);
}

async function runCommand(command: Extract<Command, { kind: 'run' }>, io: CliIo): Promise<number> {
  const logger = streamLogger(command.logLevel, io.err);
  // Check every input, the pipeline and every output before touching anything, so that a
  // typo costs nothing. Standard input ("-") has nothing to check.
  const inputs: (RunInput | typeof STDIN)[] = [];
  for (const file of command.files) inputs.push(file === STDIN ? STDIN : await checkRunInput(file, io.cwd));
  const config = await resolveConfig(command.pipeline, io.cwd);
  logger.debug(`pipeline file: ${config.source}`);
  if (command.stdout) return runToStdout(command, config, logger, io);
  const outDir = path.resolve(io.cwd, command.out);
  await checkFolder(outDir, `--out ${command.out}`, io.cwd);
  const taken = new Set<string>();
  const planned = inputs.map((input) => {
    const file = input === STDIN ? STDIN : input.file;
    const name = uniqueName(input === STDIN ? command.stdinName : path.basename(input.file), (candidate) => taken.has(candidate));
    taken.add(name);
    // Standard input is read when its turn comes.
    const fileInput = (): FileInput => (input === STDIN ? { stream: readStdin(io) } : { path: input.absolute });
    return { file, fileInput, name, resultPath: path.join(outDir, name), summaryPath: path.join(outDir, name + SUMMARY_SUFFIX) };
  });
  const outputs: PlannedOutput[] = planned.flatMap((p) => {
    const of = p.file === STDIN ? 'standard input' : p.file;
    return [
      { path: p.resultPath, kind: 'result', of },
      { path: p.summaryPath, kind: 'summary', of },
    ];
  });
  await refuseOverwritingInputs(
    inputs.filter((input): input is RunInput => input !== STDIN),
    outputs,
    io.cwd,
  );
  await makeFolder(outDir, `--out ${command.out}`, io.cwd);
  await mayChange(outDir, `--out ${command.out}`, io.cwd, 'so no result can be written there');

  const metrics = new MetricsCollector();
  metrics.queued = planned.length;
  const summaries: FileSummary[] = [];
  const showProgress = io.errIsTty && !command.json && planned.length > 1;

  for (const [i, { file, fileInput, name, resultPath, summaryPath }] of planned.entries()) {
    if (showProgress) io.err(`\r\x1b[K[${i + 1}/${planned.length}] ${name}`);
    metrics.queued--;
    metrics.inProgress++;
    const started = Date.now();
    const job = { name, source: file, input: fileInput(), resultPath, summaryPath, detectedAt: started };
    let summary: FileSummary;
    try {
      summary = await processFile(config, job, { logger, maxLineBytes: command.maxLineBytes });
    } catch (error) {
      // Not even a failed summary could be written (a full disk, a folder removed meanwhile):
      // the file counts as failed, with the reason, and the run goes on with the next one.
      if (!isFsError(error)) throw error;
      summary = failureSummary(job, new FileProcessingError(describeFsError(error, io.cwd, summaryPath), 'EIO'), started);
    } finally {
      metrics.inProgress--;
    }
    metrics.record(summary);
    summaries.push(summary);
    logFileOutcome(logger, summary);
  }
  if (showProgress) io.err('\r\x1b[K');

  const snapshot = metrics.snapshot();
  if (command.json) {
    io.out(JSON.stringify({ summaries, metrics: snapshot }, null, 2) + '\n');
  } else {
    for (const s of summaries) {
      const where = path.join(command.out, s.name);
      io.out(
        s.status === 'processed'
          ? `✓ ${s.source} -> ${where} (${s.linesIn} lines in, ${s.linesOut} out, ${s.durationMs} ms)\n`
          : `✗ ${s.source}: ${s.error?.message}\n`,
      );
    }
    io.out(formatMetrics(snapshot, command.out));
  }
  return snapshot.files.failed > 0 ? EXIT_FAILED_FILES : EXIT_OK;
}

if (require.main === module) {
  // A reader that goes away (`| head`, `run --stdout | head`) must stop nothing and change no
  // exit status.
  const stdout = safeStream(process.stdout);
  const stderr = safeStream(process.stderr);
  main(process.argv.slice(2), {
    out: (text) => stdout.write(text),
    err: (text) => stderr.write(text),
    errIsTty: process.stderr.isTTY === true,
    cwd: process.cwd(),
    stdin: () => process.stdin,
    onSignal(handler) {
      const listener = (signal: NodeJS.Signals): void => handler(signal);
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      stderr.write(`fileflow: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
