// Messages between a SampleRunner (the CLI's or the extension host's thread) and its sample
// worker, which compiles pipelines and runs tests and previews in memory.

import type { PipelineShape } from '../../shared/metrics';
import type { ConfigIssue } from '../errors';
import type { LineTrace } from '../pipeline/router';
import type { FileSummary } from '../summary';
import type { PipelineTest } from './pipelineTests';
import type { TestResult } from './testRunner';

/** Which pipeline: a file on disk, or its text as the editor holds it (unsaved edits included). */
export interface PipelineSource {
  /** The pipeline file's absolute path (modules and input files are relative to it); undefined: the built-in default. */
  file: string | undefined;
  /** When given, used instead of the file's content on disk (which the runner reads otherwise, never the worker). */
  text?: string;
  allowCustomModules: boolean;
}

export type InvalidStage = 'json' | 'schema' | 'semantic';

export type SampleInput = { path: string } | { key: string };

/**
 * A sample as a preview holds it: decoded text (an editor's, a test's `input`) or a file's
 * bytes as stored (read as a queue reads the file: gzip, encodings).
 */
export type SampleData = { text: string } | { bytes: Uint8Array };

export type ToSampleWorker =
  /**
   * The pipeline file's path and the text the caller read from it (the worker never reads the
   * pipeline file itself: a worker started again after a timeout must load the same pipeline);
   * undefined for the built-in default.
   */
  | { type: 'load'; id: number; pipeline: { file: string; text: string } | undefined; allowCustomModules: boolean; checkTests: boolean }
  | { type: 'test'; id: number; index: number; maxLineBytes?: number }
  /** Keeps a sample in the worker under `key`, so a preview need not send it again. */
  | { type: 'keep'; id: number; key: string; sample: SampleData }
  | { type: 'run'; id: number; name: string; input: SampleInput; trace: boolean; maxLines: number; maxLineBytes?: number };

/**
 * A sample's result, shaped to cross threads cheaply (a preview of a big sample sends one
 * every few keystrokes): the output as one text, and the traces as two typed arrays (sent
 * without a copy) indexing a table of the distinct paths.
 */
export interface SampleRun {
  summary: FileSummary;
  /** The first `maxLines` output lines, each followed by "\n". */
  text: string;
  /** How many lines `text` holds. */
  lineCount: number;
  /** All the output lines there were (text may hold fewer). */
  totalLines: number;
  durationMs: number;
  /** When asked for: line i came through paths[pathOf[i]] from input line n[i]. */
  traces?: { paths: string[][]; pathOf: Int32Array; n: Int32Array };
}

/** The trace of output line `index` (from 0), if the run has it. */
export function traceAt(run: SampleRun, index: number): LineTrace | undefined {
  const traces = run.traces;
  if (!traces || index < 0 || index >= traces.n.length) return undefined;
  return { path: traces.paths[traces.pathOf[index]], n: traces.n[index] };
}

/** Packs traces into SampleRun's form. */
export function packTraces(traces: LineTrace[]): NonNullable<SampleRun['traces']> {
  const ids = new Map<string, number>();
  const paths: string[][] = [];
  const pathOf = new Int32Array(traces.length);
  const n = new Int32Array(traces.length);
  traces.forEach((trace, i) => {
    const key = trace.path.join('\u0000');
    let id = ids.get(key);
    if (id === undefined) {
      id = paths.length;
      ids.set(key, id);
      paths.push(trace.path);
    }
    pathOf[i] = id;
    n[i] = trace.n;
  });
  return { paths, pathOf, n };
}

export type FromSampleWorker =
  | { type: 'loaded'; id: number; tests: PipelineTest[]; pipelines: PipelineShape[]; usesCustomModules: boolean }
  /**
   * `stage`: where the problems are: `json` (not JSON at all), `schema` (the JSON Schema's
   * checks, which editors that use the schema already show), or `semantic` (the rest).
   */
  | { type: 'invalid'; id: number; message: string; issues: ConfigIssue[]; stage: InvalidStage }
  | { type: 'tested'; id: number; result: TestResult }
  | { type: 'kept'; id: number }
  | { type: 'ran'; id: number; run: SampleRun }
  | { type: 'error'; id: number; message: string };
