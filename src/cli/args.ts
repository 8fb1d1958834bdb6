// Command-line parsing for `fileflow` (docs/cli.md), including the seed system's flag-style
// aliases (--input, --watch, --config, --debug, --trace). Pure: argv in, a command out.

import { parseArgs } from 'node:util';
import {
  DEFAULT_FILE_TIMEOUT_SEC,
  DEFAULT_LEASE_SEC,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_PIPELINE_FILE,
  DEFAULT_RESULTS_FOLDER,
  DEFAULT_STABILITY_MS,
} from '../core/defaults';
import { parseListenAddress, type ListenAddress } from '../core/http/address';
import { LOG_LEVELS, type LogLevel } from '../core/logger';

export class UsageError extends Error {
  override name = 'UsageError';
}

interface Common {
  logLevel: LogLevel;
  json: boolean;
  pipeline?: string;
}

export type Command =
  | ({ kind: 'run'; files: string[]; out: string; maxLineBytes?: number } & RunStdio & Common)
  | ({
      kind: 'watch';
      root: string;
      /** Create ROOT when it does not exist (otherwise a missing ROOT is a usage error). */
      create?: boolean;
      /** 0 means one per CPU. */
      concurrency?: number;
      stabilityMs?: number;
      fileTimeoutSec?: number;
      maxLineBytes?: number;
      /** Extra ignore globs (repeatable flag), in the order given. */
      ignore?: string[];
      /** Attempts for transient filesystem errors (retry.maxAttempts). */
      retries?: number;
      poll?: boolean;
      /** Seconds before other instances may take this one's files over (default 30). */
      leaseSec?: number;
      /** Also serve the HTTP API and dashboard here (docs/http.md). */
      http?: ListenAddress;
      once: boolean;
    } & Common)
  | ({ kind: 'status'; root: string } & Common)
  | ({ kind: 'validate'; file: string } & Common)
  | ({ kind: 'test'; file: string; fileTimeoutSec?: number; maxLineBytes?: number } & Common)
  | ({ kind: 'samples'; dir: string; count: number; lines: number; seed: number } & Common)
  | { kind: 'help'; topic?: string }
  | { kind: 'version' };

/** `run -` (standard input), `--stdout`, `--trace-lines` (see src/cli/runStdio.ts). */
interface RunStdio {
  /** The name standard input (`-`) gets: `--name`, default "stdin". */
  stdinName: string;
  stdout: boolean;
  traceLines: boolean;
}

const OPTIONS = {
  name: { type: 'string' },
  stdout: { type: 'boolean' },
  'trace-lines': { type: 'boolean' },
  pipeline: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  'stability-ms': { type: 'string' },
  'file-timeout': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  ignore: { type: 'string', multiple: true },
  retries: { type: 'string' },
  poll: { type: 'boolean' },
  'lease-sec': { type: 'string' },
  create: { type: 'boolean' },
  once: { type: 'boolean' },
  http: { type: 'string' },
  count: { type: 'string' },
  lines: { type: 'string' },
  seed: { type: 'string' },
  'log-level': { type: 'string' },
  debug: { type: 'boolean' },
  trace: { type: 'boolean' },
  input: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const COMMANDS = ['run', 'watch', 'status', 'validate', 'test', 'samples', 'help'];

/**
 * Flags that mean something to some commands only: given to another they are refused rather
 * than silently ignored (a `run --once` that quietly did nothing would mislead).
 */
const ONLY_FOR: Partial<Record<keyof typeof OPTIONS, readonly string[]>> = {
  out: ['run'],
  name: ['run'],
  stdout: ['run'],
  'trace-lines': ['run'],
  concurrency: ['watch'],
  'stability-ms': ['watch'],
  'file-timeout': ['watch', 'test'],
  'max-line-bytes': ['run', 'watch', 'test'],
  ignore: ['watch'],
  retries: ['watch'],
  poll: ['watch'],
  'lease-sec': ['watch'],
  http: ['watch'],
  create: ['watch'],
  once: ['watch'],
  count: ['samples'],
  lines: ['samples'],
  seed: ['samples'],
};

export function parseCommandLine(argv: string[]): Command {
  // `--watch [ROOT]` takes an optional value, which parseArgs cannot express.
  let watchRoot: string | undefined;
  let watchRootDefaulted = false;
  const watchAt = argv.indexOf('--watch');
  if (watchAt !== -1) {
    const next = argv[watchAt + 1];
    const hasValue = next !== undefined && !next.startsWith('-');
    watchRoot = hasValue ? next : 'watch_dir';
    watchRootDefaulted = !hasValue;
    argv = [...argv.slice(0, watchAt), ...argv.slice(watchAt + (hasValue ? 2 : 1))];
  }

  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains some mistakes over several lines; a usage error is one.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, '').replace(/\s*\n\s*/g, ' '));
  }
  const { values, positionals } = parsed;

  if (values.version) return { kind: 'version' };
  const first = positionals[0];
  if (values.help) return { kind: 'help', topic: first };

  const common: Common = {
    logLevel: logLevel(values['log-level'], values.debug, values.trace),
    json: values.json ?? false,
    pipeline: values.pipeline ?? values.config,
  };
  if (values.pipeline !== undefined && values.config !== undefined) {
    throw new UsageError('give --pipeline or its alias --config, not both');
  }

  let command: string | undefined = first;
  let rest = positionals.slice(1);
  if (watchRoot !== undefined || values.input !== undefined) {
    if (first !== undefined && COMMANDS.includes(first)) {
      throw new UsageError(`--input and --watch stand for a command; do not combine them with "${first}"`);
    }
    if (watchRoot !== undefined && values.input !== undefined) throw new UsageError('give --input or --watch, not both');
    command = watchRoot !== undefined ? 'watch' : 'run';
    rest = watchRoot !== undefined ? [watchRoot, ...positionals] : [...(values.input ?? []), ...positionals];
  }

  // Silently ignoring a safety limit would be worse than refusing it.
  if (command === 'run' && values['file-timeout'] !== undefined) {
    throw new UsageError('run: --file-timeout works only with watch and test (run processes files in this process, where a stuck processor cannot be stopped)');
  }
  if (command !== undefined && command !== 'help' && COMMANDS.includes(command)) {
    for (const [flag, only] of Object.entries(ONLY_FOR)) {
      if (!only.includes(command) && values[flag as keyof typeof values] !== undefined) {
        throw new UsageError(`${command}: --${flag} works only with ${only.join(' and ')}`);
      }
    }
  }

  switch (command) {
    case undefined:
      return { kind: 'help' };
    case 'help':
      return { kind: 'help', topic: rest[0] };
    case 'run':
      if (rest.length === 0) throw new UsageError('run: give at least one FILE');
      return {
        kind: 'run',
        files: rest,
        out: values.out ?? DEFAULT_RESULTS_FOLDER,
        maxLineBytes: optionalInt('--max-line-bytes', values['max-line-bytes'], 1),
        ...runStdio(rest, values),
        ...common,
      };
    case 'watch':
      if (rest.length !== 1) throw new UsageError('watch: give exactly one ROOT folder');
      return {
        kind: 'watch',
        root: rest[0],
        // `--watch` alone names no folder, so no typo can be behind a missing watch_dir: the
        // seed created it, and so do we.
        create: values.create ?? watchRootDefaulted,
        once: values.once ?? false,
        concurrency: optionalInt('--concurrency', values.concurrency, 0),
        stabilityMs: optionalInt('--stability-ms', values['stability-ms'], 0),
        fileTimeoutSec: optionalInt('--file-timeout', values['file-timeout'], 0),
        maxLineBytes: optionalInt('--max-line-bytes', values['max-line-bytes'], 1),
        ignore: ignoreGlobs(values.ignore),
        retries: optionalInt('--retries', values.retries, 1),
        poll: values.poll ?? false,
        leaseSec: optionalInt('--lease-sec', values['lease-sec'], 1),
        ...(values.http === undefined ? {} : { http: listenAddress(values.http) }),
        ...common,
      };
    case 'status':
      if (rest.length !== 1) throw new UsageError('status: give exactly one ROOT folder');
      return { kind: 'status', root: rest[0], ...common };
    case 'validate': {
      const file = rest[0] ?? common.pipeline;
      if (file === undefined || rest.length > 1) throw new UsageError('validate: give exactly one PIPELINE file');
      return { kind: 'validate', file, ...common };
    }
    case 'test': {
      const file = rest[0] ?? common.pipeline;
      if (file === undefined || rest.length > 1) throw new UsageError('test: give exactly one PIPELINE file');
      return {
        kind: 'test',
        file,
        fileTimeoutSec: optionalInt('--file-timeout', values['file-timeout'], 0),
        maxLineBytes: optionalInt('--max-line-bytes', values['max-line-bytes'], 1),
        ...common,
      };
    }
    case 'samples':
      if (rest.length !== 1) throw new UsageError('samples: give exactly one DIR');
      return {
        kind: 'samples',
        dir: rest[0],
        count: optionalInt('--count', values.count, 1) ?? 10,
        lines: optionalInt('--lines', values.lines, 0) ?? 100,
        seed: optionalInt('--seed', values.seed, 0) ?? 42,
        ...common,
      };
    default:
      throw new UsageError(`unknown command "${command}" (commands: run, watch, status, validate, test, samples; see --help)`);
  }
}

function listenAddress(value: string): ListenAddress {
  try {
    return parseListenAddress(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function runStdio(files: string[], values: { name?: string; stdout?: boolean; 'trace-lines'?: boolean; out?: string }): RunStdio {
  const stdinCount = files.filter((file) => file === '-').length;
  if (stdinCount > 1) throw new UsageError('run: give "-" (standard input) at most once');
  if (values.name !== undefined && stdinCount === 0) throw new UsageError('run: --name names standard input; give "-" as the FILE');
  if (values.name !== undefined && (values.name === '' || /[\\/]/.test(values.name) || values.name.startsWith('.'))) {
    throw new UsageError(`run: --name must be a plain file name (no "/", no leading "."), got "${values.name}"`);
  }
  const traceLines = values['trace-lines'] ?? false;
  const stdout = (values.stdout ?? false) || traceLines;
  if (stdout && values.out !== undefined) throw new UsageError('run: --stdout writes the result to standard output; do not give --out with it');
  return { stdinName: values.name ?? 'stdin', stdout, traceLines };
}

function logLevel(value: string | undefined, debug?: boolean, trace?: boolean): LogLevel {
  if (trace) return 'trace';
  if (debug) return 'debug';
  if (value === undefined) return 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`);
  }
  return value as LogLevel;
}

function ignoreGlobs(globs: string[] | undefined): string[] {
  for (const glob of globs ?? []) {
    if (glob.trim() === '') throw new UsageError('--ignore needs a glob (got an empty one)');
  }
  return globs ?? [];
}

function optionalInt(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`${flag} must be a whole number of at least ${min} (got "${value}")`);
  }
  return Number(value);
}

export const HELP = `fileflow — stream files line by line through a tag-routed pipeline of processors

Usage:
  fileflow run FILE... [--pipeline P] [--out DIR] [--max-line-bytes N] [--json]
      Process files in place (they are never moved). Writes DIR/<name> and
      DIR/<name>.summary.json for each (DIR defaults to ./${DEFAULT_RESULTS_FOLDER}). A result or summary
      that would replace one of the inputs (same path, a link to it, or another input's
      result) is refused before anything is written.
  fileflow run - [--name N] [--stdout] [--trace-lines]
      "-" reads standard input, as a file named N (default "stdin"). --stdout writes
      the result to standard output instead of DIR (with --json, the summaries go to
      stderr). --trace-lines (implies --stdout) prints each result line as
      "n<TAB>node>node…<TAB>line": the input line it came from and the nodes it passed.
  fileflow watch ROOT [--pipeline P] [--once] [--json] [--create]
                     [--concurrency N] [--stability-ms MS] [--file-timeout S]
                     [--max-line-bytes N] [--ignore GLOB]... [--retries N] [--poll]
                     [--lease-sec S] [--http HOST:PORT]
      Run the folder queue on ROOT: ROOT/unprocessed -> underprocess -> processed | failed,
      results in ROOT/results. A ROOT named "unprocessed" means its parent. ROOT must exist
      unless --create is given. --once recovers, drains what is there, and exits (1 if a
      file failed or was left unfinished). Any number of instances may watch one ROOT,
      on one machine or several sharing it.
  fileflow status ROOT [--json]
      The instances working ROOT (host, pid, since, last heartbeat, files in flight), the
      files of each state with the newest ones, and why failed files failed.
  fileflow validate PIPELINE
      Check a pipeline file and list every problem with its JSON path.
  fileflow test PIPELINE [--json] [--file-timeout S] [--max-line-bytes N]
      Run the tests in the pipeline file: one line per test (a line diff when the
      output differs), then "N passed, N failed". Exit 0 all passed, 1 some failed,
      2 the pipeline or a test is invalid. --json: one JSON object per test per line.
      --file-timeout and --max-line-bytes as for watch.
  fileflow samples DIR [--count N] [--lines M] [--seed S]
      Write N sample log files of M lines (default 10 x 100, seed 42).

Options:
  --pipeline P        pipeline file (default: ./${DEFAULT_PIPELINE_FILE} if present,
                      else the built-in log-triage pipeline)
  --json              run: the summaries and the metrics snapshot as one JSON object
                      (on stderr with --stdout); watch: one JSON object per line as
                      things happen (NDJSON), the metrics snapshot last; test: one
                      object per test
  --log-level L       trace | debug | info | warn | error (default warn); logs go to stderr
  -h, --help          show this help
  -v, --version       show the version

Watch options:
  --create            create ROOT if it does not exist
  --concurrency N     files processed at once (default and 0: one per CPU)
  --stability-ms MS   a new file is taken once unchanged for MS ms (default ${DEFAULT_STABILITY_MS})
  --file-timeout S    a file still processing after S seconds (default ${DEFAULT_FILE_TIMEOUT_SEC}; 0 = no
                      limit) is stopped and fails, so a stuck processor cannot hold up the queue
  --max-line-bytes N  a longer line fails its file (default ${DEFAULT_MAX_LINE_BYTES}; run and test take
                      it too)
  --ignore GLOB       leave inbox files matching GLOB alone (repeatable; matched against
                      the path below unprocessed/, e.g. "**/*.bak")
  --retries N         attempts for transient filesystem errors (default ${DEFAULT_MAX_ATTEMPTS})
  --poll              poll the inbox instead of file-system events (network drives, WSL)
  --http HOST:PORT    also serve the HTTP API and dashboard there (e.g. 127.0.0.1:8000;
                      port 0 = any free port); the token is $FILEFLOW_HTTP_TOKEN, or
                      generated and written to ROOT/.fileflow/http-token (docs/http.md)
  --lease-sec S       another instance takes this one's files over once it has not renewed
                      its lease for S seconds (default ${DEFAULT_LEASE_SEC}; longer on slow network shares)

Seed-compatible aliases:
  --input FILE      = run FILE            --watch [ROOT]   = watch ROOT (default watch_dir,
  --config P        = --pipeline P                            created if missing)
  --debug, --trace  = --log-level debug / trace

Output to a closed pipe (| head) is dropped: the work goes on and the exit status is unchanged.
Exit status: 0 every file processed (test: every test passed), 1 some file (test) failed,
2 usage or configuration error.
`;
