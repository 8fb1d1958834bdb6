// Pipeline files (docs/pipelines.md): parse JSON with comments, validate against
// the shipped JSON Schema, then check what a schema cannot say (tags that lead nowhere,
// regexes, templates, routes), load custom modules, and compile it all into PipelineSpecs.
// Every problem is reported at once, each with its JSON path.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import picomatch from 'picomatch';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inputFileIssues, readTests } from '../authoring/pipelineTests';
import { ConfigError, type ConfigIssue, errorMessage } from '../errors';
import { BUILTINS } from '../pipeline/builtins';
import type { CreateProcessor, Processor, ProcessorOptions } from '../pipeline/processor';
import type { TextEncoding } from '../text/decode';
import { didYouMean } from '../util/didYouMean';
import { DEFAULT_MAX_FAN_OUT, DEFAULT_MAX_HOPS, END_TAG, type LoadedConfig, type NodeSpec, type PipelineSpec, type RouteSpec } from './pipelineSpec';

// The compiled forms live in pipelineSpec.ts (no validator there, so code that only runs
// pipelines stays small); re-exported for callers that load and run.
export { END_TAG, DEFAULT_MAX_FAN_OUT, DEFAULT_MAX_HOPS, pipelineShapes, selectPipeline } from './pipelineSpec';
export type { LoadedConfig, NodeSpec, PipelineSpec, RouteSpec } from './pipelineSpec';

/** The pipeline file as written (after schema validation). */
export interface NodeConfig {
  use: string | { module: string };
  with?: ProcessorOptions;
  then?: string;
}
export interface PipelineConfig {
  start?: string;
  maxHops?: number;
  maxFanOut?: number;
  encoding?: TextEncoding;
  unmatched?: string;
  nodes: Record<string, NodeConfig>;
}
export interface RouteConfig {
  match?: string;
  firstLine?: string;
  encoding?: TextEncoding;
  pipeline: string;
}
export interface PipelineFile extends Partial<PipelineConfig> {
  version?: 1;
  routes?: RouteConfig[];
  pipelines?: Record<string, PipelineConfig>;
}

export interface LoadOptions {
  /**
   * Custom modules run user code. The extension passes VS Code's workspace trust here; a
   * pipeline that needs a module is refused, with the reason, when this is false.
   */
  allowCustomModules?: boolean;
  /**
   * Also check the file's `tests` beyond the schema (input given once, unique names, input
   * files that exist): for `validate`, `test` and the editor. Processing files does not
   * need the tests, so a queue never refuses a pipeline for a missing test fixture.
   */
  checkTests?: boolean;
}

/** The built-in default: the `logs` pipeline of docs/pipelines.md (log triage with file and line number). */
export const DEFAULT_PIPELINE_FILE_CONTENT: PipelineFile = {
  version: 1,
  pipelines: {
    logs: {
      start: 'start',
      maxHops: 64,
      nodes: {
        start: { use: 'tagByLevel' },
        debug: { use: 'drop' },
        info: { use: 'drop' },
        other: { use: 'drop' },
        warn: { use: 'template', with: { format: '{file}:{n}: {line}' } },
        error: { use: 'template', with: { format: '{file}:{n}: {line}' } },
        critical: { use: 'template', with: { format: '{file}:{n}: {line}' } },
      },
    },
  },
};

export const DEFAULT_CONFIG_SOURCE = 'built-in default';

// A real dynamic import. tsc (module: commonjs) rewrites `import()` into `require()`, which
// cannot load an ES module or a file: URL, so custom modules failed whenever this file was
// compiled by tsc rather than bundled by esbuild.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed body, no caller text: the only way to keep import() under tsc
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

// Generated from pipeline.schema.json at build time (esbuild.mjs --codegen): no ajv at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validateSchema = require('./pipelineSchema.validate') as ValidateFunction;

/** Reads, validates and compiles a pipeline file. Throws ConfigError listing every problem. */
export async function loadPipelineFile(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the pipeline file: ${(error as Error).message}` }]);
  }
  return compilePipelineText(text, file, options);
}

export async function compilePipelineText(text: string, file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  return compilePipelineObject(parsePipelineText(text, file), file, options);
}

/** The pipeline file's text as a value (JSON with comments); a ConfigError when it is not JSON. */
export function parsePipelineText(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  // Offsets in parse errors are into the text without its BOM.
  const json = text.replace(/^\uFEFF/, '');
  const raw: unknown = parseJsonc(json, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    throw new ConfigError(
      file,
      errors.map((e) => ({ path: '', message: `invalid JSON at ${lineColumn(json, e.offset)}: ${printParseErrorCode(e.error)}` })),
    );
  }
  return raw;
}

/** Whether a parsed pipeline file passes the JSON Schema (editors that validate with the schema show those problems themselves). */
export function matchesSchema(raw: unknown): boolean {
  return validateSchema(raw) === true;
}

export function loadDefaultConfig(): Promise<LoadedConfig> {
  return compilePipelineObject(DEFAULT_PIPELINE_FILE_CONTENT, DEFAULT_CONFIG_SOURCE);
}

export async function compilePipelineObject(raw: unknown, file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  if (!validateSchema(raw)) {
    const issues = schemaIssues(validateSchema.errors ?? []);
    // Semantic checks on a structurally broken file would mostly repeat the same problems.
    if (issues.length > 0) throw new ConfigError(file, issues.concat(useIssues(raw)));
  }
  const compiler = new Compiler(file, options);
  const config = await compiler.compile(raw as PipelineFile);
  if (options.checkTests) {
    const { tests, issues } = readTests(raw, file);
    compiler.issues.push(...issues, ...(await inputFileIssues(tests)));
  }
  if (compiler.issues.length > 0) throw new ConfigError(file, compiler.issues);
  return config;
}

// ---------------------------------------------------------------------------------------

class Compiler {
  readonly issues: ConfigIssue[] = [];
  private usesCustomModules = false;

  constructor(
    private readonly file: string,
    private readonly options: LoadOptions,
  ) {}

  async compile(raw: PipelineFile): Promise<LoadedConfig> {
    const pipelines = new Map<string, PipelineSpec>();
    const shorthand = raw.nodes !== undefined;
    if (shorthand && raw.pipelines !== undefined) {
      this.issue('/pipelines', 'give either top-level "nodes" (one pipeline) or "pipelines", not both');
    } else if (!shorthand && raw.pipelines === undefined) {
      this.issue('', 'no pipeline: add "nodes" (one pipeline) or "pipelines"');
    }
    if (!shorthand) {
      for (const key of ['start', 'maxHops', 'maxFanOut', 'encoding', 'unmatched'] as const) {
        if (raw[key] !== undefined) this.issue(`/${key}`, `"${key}" belongs inside a pipeline (or use top-level "nodes")`);
      }
    }
    const entries: [string, PipelineConfig, string][] = shorthand
      ? [['default', raw as PipelineConfig, '']]
      : Object.entries(raw.pipelines ?? {}).map(([name, p]) => [name, p, `/pipelines/${pointer(name)}`]);
    for (const [name, pipeline, at] of entries) {
      pipelines.set(name, await this.compilePipeline(name, pipeline, at));
    }

    const routes: RouteSpec[] = [];
    let needsFirstLine = false;
    if (raw.routes === undefined) {
      if (pipelines.size > 1) {
        this.issue('/routes', `there are ${pipelines.size} pipelines but no "routes" to choose between them`);
      }
    } else {
      raw.routes.forEach((route, i) => {
        const pipeline = pipelines.get(route.pipeline);
        if (!pipeline) {
          this.issue(`/routes/${i}/pipeline`, `no pipeline named "${route.pipeline}"${didYouMean(route.pipeline, pipelines.keys())}`);
          return;
        }
        const spec: RouteSpec = { pipeline };
        if (route.encoding !== undefined) spec.encoding = route.encoding;
        if (route.match !== undefined) {
          try {
            spec.match = compileMatch(route.match);
          } catch (error) {
            this.issue(`/routes/${i}/match`, `invalid glob: ${(error as Error).message}`);
          }
        }
        if (route.firstLine !== undefined) {
          needsFirstLine = true;
          try {
            spec.firstLine = new RegExp(route.firstLine);
          } catch (error) {
            this.issue(`/routes/${i}/firstLine`, `invalid regular expression: ${(error as Error).message}`);
          }
        }
        routes.push(spec);
      });
    }
    return { source: this.file, pipelines, routes, needsFirstLine, usesCustomModules: this.usesCustomModules };
  }

  private async compilePipeline(name: string, config: PipelineConfig, at: string): Promise<PipelineSpec> {
    const nodeNames = Object.keys(config.nodes);
    const start = config.start ?? 'start';
    const unmatched = config.unmatched;
    const has = (tag: string): boolean => tag === END_TAG || Object.hasOwn(config.nodes, tag);
    const known = [...nodeNames, END_TAG];

    if (!Object.hasOwn(config.nodes, start)) {
      this.issue(`${at}/start`, `the start node "${start}" does not exist${didYouMean(start, nodeNames)} (nodes: ${nodeNames.join(', ')})`);
    }
    if (unmatched !== undefined && !has(unmatched)) {
      this.issue(`${at}/unmatched`, `no node named "${unmatched}"${didYouMean(unmatched, known)}; "unmatched" must name a node or "end"`);
    }
    const leadsSomewhere = (tag: string, where: string, what: string): void => {
      if (has(tag) || unmatched !== undefined) return;
      this.issue(where, `${what} "${tag}", but there is no node "${tag}"${didYouMean(tag, known)} (add that node, use "end", or set "unmatched")`);
    };

    const nodes: NodeSpec[] = [];
    for (const nodeName of nodeNames) {
      const node = config.nodes[nodeName];
      const nodeAt = `${at}/nodes/${pointer(nodeName)}`;
      if (nodeName === END_TAG) {
        this.issue(nodeAt, `"${END_TAG}" is the terminal tag (lines that reach it are written to the result) and cannot be a node`);
        continue;
      }
      const options = node.with ?? {};
      const then = node.then ?? END_TAG;
      if (typeof node.use !== 'string' && (!isObject(node.use) || typeof node.use.module !== 'string')) continue; // reported by useIssues()
      if (typeof node.use === 'object') {
        const spec = await this.customNode(nodeName, node.use.module, options, then, `${nodeAt}/use/module`);
        if (spec) nodes.push(spec);
        if (node.then !== undefined) leadsSomewhere(then, `${nodeAt}/then`, `node "${nodeName}" sends its lines to tag`);
        continue;
      }
      const builtin = BUILTINS[node.use];
      if (!builtin) continue; // reported by useIssues()
      for (const issue of builtin.check?.(options) ?? []) this.issue(`${nodeAt}/with${issue.path}`, issue.message);
      if (builtin.kind !== 'transform' && node.then !== undefined) {
        const why = builtin.kind === 'sink' ? 'discards its lines' : 'chooses the tag of each line itself';
        this.issue(`${nodeAt}/then`, `"then" has no effect: ${node.use} ${why}`);
      }
      if (builtin.kind === 'transform') {
        leadsSomewhere(then, node.then === undefined ? nodeAt : `${nodeAt}/then`, `node "${nodeName}" sends its lines to tag`);
      }
      for (const { tag, path: where } of builtin.emits?.(options) ?? []) {
        leadsSomewhere(tag, where === '' ? nodeAt : `${nodeAt}/with${where}`, `node "${nodeName}" (${node.use}) can emit tag`);
      }
      const tags = builtin.kind === 'routing' ? [...new Set((builtin.emits?.(options) ?? []).map((e) => e.tag))] : builtin.kind === 'sink' ? [] : [then];
      nodes.push({ name: nodeName, use: node.use, kind: builtin.kind, then, tags, create: () => builtin.create(options) });
    }
    for (const issue of useIssuesOf(config, at)) this.issues.push(issue);
    for (const issue of unconditionalLoops(config, nodes, at)) this.issues.push(issue);
    return { name, start, maxHops: config.maxHops ?? DEFAULT_MAX_HOPS, maxFanOut: config.maxFanOut ?? DEFAULT_MAX_FAN_OUT, encoding: config.encoding ?? 'utf8', unmatched, nodes };
  }

  private async customNode(
    name: string,
    modulePath: string,
    options: ProcessorOptions,
    then: string,
    at: string,
  ): Promise<NodeSpec | undefined> {
    this.usesCustomModules = true;
    if (this.options.allowCustomModules === false) {
      this.issue(
        at,
        `custom processor module "${modulePath}" was not loaded: modules run code from the workspace, ` +
          'so they are only loaded in a trusted workspace (Restricted Mode is on). Built-in processors still work.',
      );
      return undefined;
    }
    const base = this.file === DEFAULT_CONFIG_SOURCE ? process.cwd() : path.dirname(path.resolve(this.file));
    const resolved = path.resolve(base, modulePath);
    let createProcessor: CreateProcessor | undefined;
    try {
      const loaded = (await importModule(pathToFileURL(resolved).href)) as {
        createProcessor?: unknown;
        default?: { createProcessor?: unknown };
      };
      const candidate = loaded.createProcessor ?? loaded.default?.createProcessor;
      if (typeof candidate === 'function') createProcessor = candidate as CreateProcessor;
    } catch (error) {
      this.issue(at, `cannot load module ${resolved}: ${(error as Error).message}`);
      return undefined;
    }
    if (!createProcessor) {
      this.issue(at, `module ${resolved} does not export a createProcessor(options) function`);
      return undefined;
    }
    const factory = createProcessor;
    // Called once now, so that a module that throws here, or returns something that is no
    // (synchronous) processor, is a configuration error and no file is touched. That instance
    // serves the first file; every further file gets a fresh one, so state never leaks.
    let spare: Processor | undefined;
    try {
      spare = checkedProcessor(callFactory(factory, options, resolved), resolved);
    } catch (error) {
      this.issue(at, (error as Error).message);
      return undefined;
    }
    return {
      name,
      use: modulePath,
      kind: 'custom',
      tags: [then],
      then,
      create(): Processor {
        const processor = spare ?? checkedProcessor(factory({ ...options }), modulePath);
        spare = undefined;
        return processor;
      },
    };
  }

  private issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

/**
 * A route's `match` glob, as in .gitignore: without a `/` it is matched against the last part
 * of the name (`*.csv` fits `2025/x.csv`), with one against the whole name (a leading `/` only
 * anchors it there). So `run`, whose names are base names, and `watch`, whose names keep their
 * subfolders, choose alike. (picomatch's own `basename` option also cuts names for patterns
 * that do have a `/`, so it is not used.)
 */
export function compileMatch(glob: string): (name: string) => boolean {
  if (!glob.includes('/')) {
    const test = picomatch(glob, { dot: true });
    return (name) => test(name.slice(name.lastIndexOf('/') + 1));
  }
  return picomatch(glob.startsWith('/') ? glob.slice(1) : glob, { dot: true });
}

function callFactory(factory: CreateProcessor, options: ProcessorOptions, module: string): unknown {
  try {
    return factory({ ...options });
  } catch (error) {
    throw new Error(`createProcessor() of ${module} threw: ${errorMessage(error)}`);
  }
}

/**
 * What createProcessor returned, if it is a processor that works line by line: an object
 * with a synchronous process(), and flush()/summary() functions when present. An async
 * process() would return before its lines are emitted, and they would be lost.
 */
function checkedProcessor(value: unknown, module: string): Processor {
  if (isThenable(value)) {
    value.then(undefined, () => undefined); // refused, so its outcome does not matter
    throw new Error(`createProcessor() of ${module} returned a Promise: it must return the processor itself (processors are synchronous)`);
  }
  if (!isObject(value) || typeof value.process !== 'function') {
    throw new Error(`createProcessor() of ${module} did not return an object with a process(line, ctx) method`);
  }
  for (const method of ['process', 'flush', 'summary'] as const) {
    const fn = value[method];
    if (fn === undefined && method !== 'process') continue;
    if (typeof fn !== 'function') throw new Error(`${method} of the processor from ${module} must be a function`);
    const kind = Object.prototype.toString.call(fn);
    if (method !== 'summary' && kind !== '[object Function]') {
      const what = kind.includes('Async') ? 'an async function' : 'a generator function';
      throw new Error(
        `${method}() of the processor from ${module} is ${what}: processors are synchronous, so emit every line with ctx.emit before ${method}() returns`,
      );
    }
  }
  return value as unknown as Processor;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Loops no line can leave. A transform or custom node sends each line on to its `then` (or,
 * when that tag has no node, to `unmatched`), so a cycle of such nodes with no routing node
 * in it passes every line that reaches it round until maxHops fails the file. (A custom
 * processor may name other tags in ctx.emit, but its `then` is where its lines go by default;
 * one that leaves a loop on purpose names its way back in, not just out.) Each cycle is
 * reported once, at the `then` of its first node in declaration order.
 */
function unconditionalLoops(config: PipelineConfig, nodes: NodeSpec[], at: string): ConfigIssue[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const next = (node: NodeSpec): NodeSpec | undefined => {
    if ((node.kind !== 'transform' && node.kind !== 'custom') || node.then === END_TAG) return undefined;
    if (Object.hasOwn(config.nodes, node.then)) return byName.get(node.then);
    const unmatched = config.unmatched;
    return unmatched === undefined || unmatched === END_TAG ? undefined : byName.get(unmatched);
  };
  const issues: ConfigIssue[] = [];
  const done = new Set<NodeSpec>();
  for (const first of nodes) {
    const path: NodeSpec[] = [];
    let node: NodeSpec | undefined = first;
    while (node !== undefined && !done.has(node) && !path.includes(node)) {
      path.push(node);
      node = next(node);
    }
    if (node !== undefined && !done.has(node)) {
      const cycle = path.slice(path.indexOf(node));
      const head = nodes.find((candidate) => cycle.includes(candidate)) as NodeSpec;
      const from = cycle.indexOf(head);
      const round = [...cycle.slice(from), ...cycle.slice(0, from), head].map((n) => `"${n.name}"`).join(' → ');
      const custom = cycle.some((n) => n.kind === 'custom') ? ' (a custom processor that loops on purpose must name the tag back into the loop in ctx.emit, not leave it to its "then")' : '';
      issues.push({
        path: `${at}/nodes/${pointer(head.name)}/then`,
        message:
          `routing loop: ${round} passes every line that reaches it round and round, with no routing node in the loop to let it out, ` +
          `so maxHops would fail the file; send a "then" out of the loop or put a routing node ("route", "tagByLevel") in it${custom}`,
      });
    }
    for (const visited of path) done.add(visited);
  }
  return issues;
}

/** JSON Pointer escaping for a key. */
function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `use` is checked here rather than by the schema, whose anyOf errors would be noise. */
function useIssues(raw: unknown): ConfigIssue[] {
  if (!isObject(raw)) return [];
  const issues: ConfigIssue[] = [];
  if (isObject(raw.nodes)) issues.push(...useIssuesOf(raw as unknown as PipelineConfig, ''));
  if (isObject(raw.pipelines)) {
    for (const [name, pipeline] of Object.entries(raw.pipelines)) {
      if (isObject(pipeline) && isObject(pipeline.nodes)) {
        issues.push(...useIssuesOf(pipeline as unknown as PipelineConfig, `/pipelines/${pointer(name)}`));
      }
    }
  }
  return issues;
}

function useIssuesOf(pipeline: PipelineConfig, at: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, node] of Object.entries(pipeline.nodes)) {
    if (!isObject(node) || !('use' in node)) continue;
    const use: unknown = node.use;
    const where = `${at}/nodes/${pointer(name)}/use`;
    if (typeof use === 'string') {
      if (!Object.hasOwn(BUILTINS, use)) {
        issues.push({ path: where, message: `unknown processor "${use}"${didYouMean(use, Object.keys(BUILTINS))} (built-ins: ${Object.keys(BUILTINS).join(', ')})` });
      }
    } else if (!isObject(use) || typeof use.module !== 'string' || Object.keys(use).length !== 1) {
      issues.push({ path: where, message: 'must be the name of a built-in processor or { "module": "./path.js" }' });
    }
  }
  return issues;
}

function schemaIssues(errors: ErrorObject[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // `use` has its own check; if/then and anyOf wrappers only repeat their inner errors.
    if (/\/use(\/|$)/.test(error.instancePath) || error.keyword === 'if' || error.keyword === 'anyOf') continue;
    const issue = describeSchemaError(error);
    const key = `${issue.path}\n${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

function describeSchemaError(error: ErrorObject): ConfigIssue {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const known = Object.keys(parent?.properties ?? {});
      const hint = known.length === 0 ? ' (this processor takes no options)' : didYouMean(name, known) || ` (known: ${known.join(', ')})`;
      return { path: `${at}/${pointer(name)}`, message: `unknown property "${name}"${hint}` };
    }
    case 'required':
      return { path: at, message: `missing required property "${String(params.missingProperty)}"` };
    case 'minProperties':
      return { path: at, message: at.endsWith('/nodes') ? 'needs at least one node' : 'must not be empty' };
    case 'type':
      return { path: at, message: `must be ${article(String(params.type))}, not ${describeValue(error.data)}` };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : '';
      return { path: at, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${hint}` };
    }
    case 'pattern':
      return { path: at, message: at.endsWith('flags') ? 'invalid regular expression flags (allowed: d g i m s u v y)' : `${error.message}` };
    default:
      return { path: at, message: error.message ?? 'is invalid' };
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}
