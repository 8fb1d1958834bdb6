// `run -` (standard input) and `run --stdout` / `--trace-lines` (docs/authoring.md): quick
// tries of a pipeline, `cat sample.log | fileflow run - --stdout --pipeline p.json`.
// Results stream to standard output; nothing is written to disk.

import * as path from 'node:path';
import type { LoadedConfig } from '../core/config/pipelineSpec';
import type { Logger } from '../core/logger';
import { MetricsCollector } from '../core/metrics';
import { processStream } from '../core/processFile';
import type { FileSummary } from '../core/summary';
import { uniqueName } from '../core/util/uniqueName';
import type { Command } from './args';
import type { CliIo } from './main';

/** The FILE that stands for standard input. */
export const STDIN = '-';

export function readStdin(io: Pick<CliIo, 'stdin'>): AsyncIterable<Buffer> {
  if (!io.stdin) throw new Error('standard input is not available here');
  return io.stdin();
}

/**
 * Each file's result, in order, to standard output (`--trace-lines`: each line as
 * `n<TAB>node>node…<TAB>line`). Failures are told on stderr; with `--json` the summaries and
 * the metrics go to stderr as JSON. Exit 0, or 1 when a file failed.
 */
export async function runToStdout(command: Extract<Command, { kind: 'run' }>, config: LoadedConfig, logger: Logger, io: CliIo): Promise<number> {
  const metrics = new MetricsCollector();
  const taken = new Set<string>();
  const summaries: FileSummary[] = [];
  for (const file of command.files) {
    const name = uniqueName(file === STDIN ? command.stdinName : path.basename(file), (candidate) => taken.has(candidate));
    taken.add(name);
    let traced = '';
    const summary = await processStream(
      config,
      { name, source: file, detectedAt: Date.now() },
      file === STDIN ? { stream: readStdin(io) } : { path: path.resolve(io.cwd, file) },
      command.traceLines
        ? () => {
            io.out(traced);
            traced = '';
          }
        : (text) => io.out(text),
      {
        logger,
        maxLineBytes: command.maxLineBytes,
        ...(command.traceLines ? { traceLine: (nodes: string[], n: number, line: string) => (traced += `${n}\t${nodes.join('>')}\t${line}\n`) } : {}),
      },
    );
    metrics.record(summary);
    summaries.push(summary);
    if (!command.json && summary.status === 'failed') io.err(`fileflow: ✗ ${file === STDIN ? 'standard input' : file}: ${summary.error?.message}\n`);
  }
  if (command.json) io.err(JSON.stringify({ summaries, metrics: metrics.snapshot() }, null, 2) + '\n');
  return summaries.some((s) => s.status === 'failed') ? 1 : 0;
}
