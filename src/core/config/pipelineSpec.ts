// A pipeline file compiled and ready to run: the forms the router and processFile use.
// Nothing here validates or loads, so this module (unlike pipelineConfig.ts) is cheap to import.

import type { PipelineShape } from '../../shared/metrics';
import type { ProcessorKind } from '../pipeline/builtins';
import type { Processor } from '../pipeline/processor';
import type { EncodingChoice, TextEncoding } from '../text/decode';

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
  /** How its files are read when they start with no byte-order mark. */
  encoding: TextEncoding;
  unmatched: string | undefined;
  /** In declaration order, which is also the end-of-file flush order. */
  nodes: NodeSpec[];
}

export interface RouteSpec {
  pipeline: PipelineSpec;
  match?: (name: string) => boolean;
  firstLine?: RegExp;
  /** Overrides the pipeline's encoding for the files this route picks. */
  encoding?: TextEncoding;
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
  return selectRoute(config, name, firstLine)?.pipeline;
}

/**
 * The pipeline for a file and the encoding its route reads it in, or undefined when no
 * route fits. `firstLine` may be a function giving the first line read in an encoding, so
 * that each route's `firstLine` is tested on the line as that route reads it.
 */
export function selectRoute(
  config: LoadedConfig,
  name: string,
  firstLine: string | undefined | ((encoding: TextEncoding) => string | undefined),
): { pipeline: PipelineSpec; encoding: TextEncoding } | undefined {
  if (config.routes.length === 0) {
    const pipeline = config.pipelines.values().next().value;
    return pipeline && { pipeline, encoding: pipeline.encoding };
  }
  for (const route of config.routes) {
    if (route.match && !route.match(name)) continue;
    const encoding = route.encoding ?? route.pipeline.encoding;
    if (route.firstLine) {
      const line = typeof firstLine === 'function' ? firstLine(encoding) : firstLine;
      if (line === undefined || !route.firstLine.test(line)) continue;
    }
    return { pipeline: route.pipeline, encoding };
  }
  return undefined;
}

/**
 * The encodings a file of this name may be read in: those of the routes that may pick it,
 * up to the first that does not look at the first line. One, nearly always.
 */
export function candidateEncodings(config: LoadedConfig, name: string): TextEncoding[] {
  if (config.routes.length === 0) return [config.pipelines.values().next().value?.encoding ?? 'utf8'];
  const found: TextEncoding[] = [];
  for (const route of config.routes) {
    if (route.match && !route.match(name)) continue;
    const encoding = route.encoding ?? route.pipeline.encoding;
    if (!found.includes(encoding)) found.push(encoding);
    if (!route.firstLine) break;
  }
  return found.length === 0 ? ['utf8'] : found;
}

/**
 * How to read a file of this name: the one encoding the routes that may pick it read it in,
 * or, when they disagree, a choice made on its first line, which also settles the route (its
 * pipeline is handed to `chosen`).
 */
export function encodingFor(config: LoadedConfig, name: string, chosen: (pipeline: PipelineSpec | undefined) => void): TextEncoding | EncodingChoice {
  const candidates = candidateEncodings(config, name);
  if (candidates.length === 1) return candidates[0];
  return {
    candidates,
    choose(firstLine) {
      const route = selectRoute(config, name, firstLine);
      chosen(route?.pipeline);
      return route?.encoding ?? candidates[0];
    },
  };
}
