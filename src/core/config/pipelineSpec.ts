// A pipeline file compiled and ready to run: the forms the router and processFile use.
// Nothing here validates or loads, so this module (unlike pipelineConfig.ts) is cheap to import.

import type { PipelineShape } from '../../shared/metrics';
import type { ProcessorKind } from '../pipeline/builtins';
import type { Processor } from '../pipeline/processor';

export const END_TAG = 'end';
export const DEFAULT_MAX_HOPS = 64;
export const DEFAULT_MAX_FAN_OUT = 100_000;

/** One node, ready to instantiate once per file. */
export interface NodeSpec {
  name: string;
  /** What `use` says, for messages: a built-in's name or the module path. */
  use: string;
  kind: ProcessorKind | 'custom';
  /** Tag of the lines it emits without naming one. */
  then: string;
  /** Tags it can emit, as far as the configuration tells (for drawing the pipeline). */
  tags: string[];
  create(): Processor;
}

export interface PipelineSpec {
  name: string;
  start: string;
  maxHops: number;
  /** Most lines routed for one input line (or one node's end-of-file flush). */
  maxFanOut: number;
  unmatched: string | undefined;
  /** In declaration order, which is also the end-of-file flush order. */
  nodes: NodeSpec[];
}

export interface RouteSpec {
  pipeline: PipelineSpec;
  match?: (name: string) => boolean;
  firstLine?: RegExp;
}

export interface LoadedConfig {
  /** The pipeline file's path, or "built-in default". */
  source: string;
  pipelines: Map<string, PipelineSpec>;
  /** Empty when one pipeline serves every file. */
  routes: RouteSpec[];
  /** True when some route looks at the first line, so the choice waits for it. */
  needsFirstLine: boolean;
  usesCustomModules: boolean;
}

/** The shapes of a configuration's pipelines, for drawing them (no functions: they cross threads). */
export function pipelineShapes(config: LoadedConfig): PipelineShape[] {
  return [...config.pipelines.values()].map((p) => ({
    name: p.name,
    start: p.start,
    nodes: p.nodes.map((n) => ({ name: n.name, use: n.use, kind: n.kind, tags: n.tags })),
  }));
}

/** The pipeline for a file, or undefined when no route fits. */
export function selectPipeline(config: LoadedConfig, name: string, firstLine: string | undefined): PipelineSpec | undefined {
  if (config.routes.length === 0) return config.pipelines.values().next().value;
  for (const route of config.routes) {
    if (route.match && !route.match(name)) continue;
    if (route.firstLine && (firstLine === undefined || !route.firstLine.test(firstLine))) continue;
    return route.pipeline;
  }
  return undefined;
}
