// Command-line parsing for `fileflow` (SPEC §6), including the seed system's flag-style
// aliases (--input, --watch, --config, --debug, --trace). Pure: argv in, a command out.

import { parseArgs } from 'node:util';
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
  | ({ kind: 'run'; files: string[]; out: string } & RunStdio & Common)
  | ({ kind: 'watch'; root: string; concurrency?: number; stabilityMs?: number; fileTimeoutSec?: number; once: boolean } & Common)
  | ({ kind: 'validate'; file: string } & Common)
  | ({ kind: 'test'; file: string; fileTimeoutSec?: number } & Common)
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
  once: { type: 'boolean' },
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

const COMMANDS = ['run', 'watch', 'validate', 'test', 'samples', 'help'];

export function parseCommandLine(argv: string[]): Command {
  // `--watch [ROOT]` takes an optional value, which parseArgs cannot express.
  let watchRoot: string | undefined;
  const watchAt = argv.indexOf('--watch');
  if (watchAt !== -1) {
    const next = argv[watchAt + 1];
    const hasValue = next !== undefined && !next.startsWith('-');
    watchRoot = hasValue ? next : 'watch_dir';
    argv = [...argv.slice(0, watchAt), ...argv.slice(watchAt + (hasValue ? 2 : 1))];
  }

  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
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

  switch (command) {
    case undefined:
      return { kind: 'help' };
    case 'help':
      return { kind: 'help', topic: rest[0] };
    case 'run':
      if (rest.length === 0) throw new UsageError('run: give at least one FILE');
      // Silently ignoring a safety limit would be worse than refusing it.
      if (values['file-timeout'] !== undefined) {
        throw new UsageError('run: --file-timeout works only with watch (run processes files in this process, where a stuck processor cannot be stopped)');
      }
      return { kind: 'run', files: rest, out: values.out ?? 'results', ...runStdio(rest, values), ...common };
    case 'watch':
      if (rest.length !== 1) throw new UsageError('watch: give exactly one ROOT folder');
      return {
        kind: 'watch',
        root: rest[0],
        once: values.once ?? false,
        concurrency: optionalInt('--concurrency', values.concurrency, 1),
        stabilityMs: optionalInt('--stability-ms', values['stability-ms'], 0),
        fileTimeoutSec: optionalInt('--file-timeout', values['file-timeout'], 0),
        ...common,
      };
    case 'validate': {
      const file = rest[0] ?? common.pipeline;
      if (file === undefined || rest.length > 1) throw new UsageError('validate: give exactly one PIPELINE file');
      return { kind: 'validate', file, ...common };
    }
    case 'test': {
      const file = rest[0] ?? common.pipeline;
      if (file === undefined || rest.length > 1) throw new UsageError('test: give exactly one PIPELINE file');
      return { kind: 'test', file, fileTimeoutSec: optionalInt('--file-timeout', values['file-timeout'], 0), ...common };
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
      throw new UsageError(`unknown command "${command}" (commands: run, watch, validate, test, samples; see --help)`);
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

function optionalInt(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`${flag} must be a whole number of at least ${min} (got "${value}")`);
  }
  return Number(value);
}

export const HELP = `fileflow — stream files line by line through a tag-routed pipeline of processors

Usage:
  fileflow run FILE... [--pipeline P] [--out DIR] [--json]
      Process files in place (they are never moved). Writes DIR/<name> and
      DIR/<name>.summary.json for each (DIR defaults to ./results).
  fileflow watch ROOT [--pipeline P] [--concurrency N] [--stability-ms MS] [--file-timeout S]
                     [--once] [--json]
      Run the folder queue on ROOT: ROOT/unprocessed -> underprocess -> processed | failed,
      results in ROOT/results. --once recovers, drains what is there, and exits.
      --file-timeout S: a file still processing after S seconds (default 600; 0 = no
      limit) is stopped and fails, so a stuck processor cannot hold up the queue.
  fileflow run - [--name N] [--stdout] [--trace-lines]
      "-" reads standard input, as a file named N (default "stdin"). --stdout writes
      the result to standard output instead of DIR (with --json, the summaries go to
      stderr). --trace-lines (implies --stdout) prints each result line as
      "n<TAB>node>node…<TAB>line": the input line it came from and the nodes it passed.
  fileflow validate PIPELINE
      Check a pipeline file and list every problem with its JSON path.
  fileflow test PIPELINE [--json] [--file-timeout S]
      Run the tests in the pipeline file: one line per test (a line diff when the
      output differs), then "N passed, N failed". Exit 0 all passed, 1 some failed,
      2 the pipeline or a test is invalid. --json: one JSON object per test per line.
  fileflow samples DIR [--count N] [--lines M] [--seed S]
      Write N sample log files of M lines (default 10 x 100, seed 42).

Options:
  --pipeline P      pipeline file (default: ./fileflow.pipeline.json if present,
                    else the built-in log-triage pipeline)
  --json            print the metrics snapshot (and, for run, the summaries) as JSON
  --log-level L     trace | debug | info | warn | error (default warn); logs go to stderr
  -h, --help        show this help
  -v, --version     show the version

Seed-compatible aliases:
  --input FILE      = run FILE            --watch [ROOT]   = watch ROOT (default watch_dir)
  --config P        = --pipeline P        --debug, --trace = --log-level debug / trace

Exit status: 0 every file processed (test: every test passed), 1 some file (test) failed,
2 usage or configuration error.
`;
