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
  /** When given, used instead of the file's content on disk. */
  text?: string;
  allowCustomModules: boolean;
}

export type InvalidStage = 'json' | 'schema' | 'semantic';

export type SampleInput = { path: string } | { key: string };

export type ToSampleWorker =
  | { type: 'load'; id: number; source: PipelineSource; checkTests: boolean }
  | { type: 'test'; id: number; index: number; maxLineBytes?: number }
  /** Keeps a sample's bytes in the worker under `key`, so a preview need not send them again. */
  | { type: 'keep'; id: number; key: string; bytes: Uint8Array }
  | { type: 'run'; id: number; name: string; input: SampleInput; trace: boolean; maxLines: number; maxLineBytes?: number };

export interface SampleRun {
  summary: FileSummary;
  /** The first `maxLines` output lines. */
  lines: string[];
  /** Their traces, when asked for. */
  traces?: LineTrace[];
  /** All the output lines there were (lines may hold fewer). */
  totalLines: number;
  durationMs: number;
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
