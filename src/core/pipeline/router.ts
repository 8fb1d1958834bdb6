// The tag router (docs/pipelines.md): runs one file's lines through a pipeline's nodes. Each emitted
// line is delivered at once, depth first, so output order is fully determined by input order.
// This is the per-line hot path: no allocation per hop beyond what processors do themselves.

import { END_TAG, type PipelineSpec } from '../config/pipelineSpec';
import { errorMessage, FileProcessingError } from '../errors';
import type { Processor, ProcessorContext } from './processor';

import type { NodeStats } from '../../shared/metrics';

export type { NodeStats } from '../../shared/metrics';

export interface RouteStats {
  linesOut: number;
  tags: Record<string, number>;
  nodes: Record<string, NodeStats>;
  /** Lines sent from each node to each tag. */
  edges: Record<string, Record<string, number>>;
  processors: Record<string, Record<string, unknown>>;
}

/** Called with each line that reaches `end`. */
export type LineSink = (line: string) => void;
/** Called for every hop when trace logging is on. */
export type RouteTracer = (message: string) => void;

/** The way one output line came: the nodes it passed through, in order, and its input line. */
export interface LineTrace {
  path: string[];
  n: number;
}
/** Told, for each line that reaches `end` (just before it is written), the nodes it passed through and its `n`. */
export type LineTraceSink = (path: string[], n: number, line: string) => void;

// Node time is measured on a sample of input lines (and everything they fan out into), so
// that timing costs almost nothing per line; `ms` is extrapolated from the sample.
const TIMED_PREFIX = 16;
const TIMING_INTERVAL = 16;

interface Edge {
  target: NodeRuntime | null;
  count: number;
  /** The tag had no node; the lines went to `unmatched`. */
  unknown: boolean;
}

class NodeRuntime {
  in = 0;
  out = 0;
  errors = 0;
  sampledMs = 0;
  sampledIn = 0;
  flushMs = 0;
  /** Received a line since it was last flushed. */
  dirty = false;
  lastN = 0;
  /** Where untagged emits go: null means `end`, undefined a tag with no node. */
  then: NodeRuntime | null | undefined = null;
  thenTag = END_TAG;
  /** Lines emitted to `then` without naming a tag. */
  thenOut = 0;
  /** Every tag this node has emitted by name, resolved once, with its count. */
  readonly edges = new Map<string, Edge>();
  /** A `drop` node: delivering to it only counts the line. */
  sink = false;
  readonly ctx: ProcessorContext & { n: number };

  constructor(
    readonly name: string,
    readonly processor: Processor,
    file: string,
    emit: (from: NodeRuntime, line: string, tag: string | undefined) => void,
  ) {
    const ctx = {
      n: 0,
      file,
      tag: name,
      emit: (line: string, tag?: string): void => emit(this, line, tag),
    };
    this.ctx = ctx;
  }
}

export class PipelineRun {
  linesOut = 0;
  protected readonly nodes: NodeRuntime[] = [];
  private readonly byTag = new Map<string, NodeRuntime | null>();
  private readonly start: NodeRuntime;
  private readonly unmatched: NodeRuntime | null | undefined;
  private readonly maxHops: number;
  private readonly maxFanOut: number;
  /** Lines emitted for the current input line (or end-of-file flush call). */
  private fanOut = 0;
  private fanOutError: FileProcessingError | undefined;
  private flushing: NodeRuntime | undefined;
  private depth = 0;
  private timing = false;
  private nestedMs = 0;

  constructor(
    readonly spec: PipelineSpec,
    private readonly file: string,
    private readonly sink: LineSink,
    private readonly trace?: RouteTracer,
  ) {
    this.maxHops = spec.maxHops;
    this.maxFanOut = spec.maxFanOut;
    const emit = (from: NodeRuntime, line: string, tag: string | undefined): void => this.emit(from, line, tag);
    this.byTag.set(END_TAG, null);
    for (const node of spec.nodes) {
      let processor: Processor;
      try {
        processor = node.create();
      } catch (error) {
        throw new FileProcessingError(`node "${node.name}" could not start: ${(error as Error).message}`, 'EPROCESSOR', node.name);
      }
      const runtime = new NodeRuntime(node.name, processor, file, emit);
      this.nodes.push(runtime);
      this.byTag.set(node.name, runtime);
    }
    spec.nodes.forEach((node, i) => {
      this.nodes[i].thenTag = node.then;
      this.nodes[i].then = this.byTag.get(node.then);
      this.nodes[i].sink = node.kind === 'sink';
    });
    this.start = this.byTag.get(spec.start) as NodeRuntime;
    this.unmatched = spec.unmatched === undefined ? undefined : (this.byTag.get(spec.unmatched) ?? null);
  }

  /** Routes one input line, and everything it fans out into, before returning. */
  push(line: string, n: number): void {
    this.timing = n <= TIMED_PREFIX || n % TIMING_INTERVAL === 0;
    this.depth = 0;
    this.fanOut = 0;
    this.deliver(this.start, line, n);
    // Also when a processor caught the error that its emit threw, and went on.
    if (this.fanOutError) throw this.fanOutError;
  }

  /**
   * End of file: flushes every node that holds lines back, in declaration order. Lines a
   * flush sends to a node that was already flushed are flushed in a further pass, so nothing
   * held back is ever lost whatever the declaration order.
   */
  finish(lastInputLine: number): void {
    this.timing = true;
    let pending = this.nodes.filter((node) => typeof node.processor.flush === 'function');
    for (let pass = 0; pending.length > 0 && pass <= this.nodes.length; pass++) {
      for (const node of pending) {
        // Cleared here, not at the start of the pass: lines an earlier node's flush sent to
        // this node are flushed now, so they must not earn it a second flush.
        node.dirty = false;
        const ctx = node.ctx;
        ctx.n = node.lastN || lastInputLine;
        this.depth = 1;
        this.fanOut = 0;
        this.flushing = node;
        const started = performance.now();
        this.nestedMs = 0;
        let returned: unknown;
        try {
          returned = this.flushNode(node, ctx);
        } catch (error) {
          throw this.processorError(node, error, ctx.n);
        }
        if (returned !== undefined) this.checkReturned(node, returned, 'flush', ctx.n);
        if (this.fanOutError) throw this.fanOutError;
        node.flushMs += performance.now() - started - this.nestedMs;
      }
      pending = pending.filter((node) => node.dirty);
    }
  }

  stats(): RouteStats {
    const tags: Record<string, number> = {};
    const nodes: Record<string, NodeStats> = {};
    const processors: Record<string, Record<string, unknown>> = {};
    const edges: Record<string, Record<string, number>> = {};
    const unknown = new Map<string, number>();
    for (const node of this.nodes) {
      const out: Record<string, number> = {};
      if (node.thenOut > 0) out[node.thenTag] = node.thenOut;
      for (const [tag, edge] of node.edges) {
        if (edge.count === 0) continue;
        out[tag] = (out[tag] ?? 0) + edge.count;
        // A tag with no node still counts as delivered to that tag (then to `unmatched`).
        if (edge.unknown) unknown.set(tag, (unknown.get(tag) ?? 0) + edge.count);
      }
      if (node.out > 0) edges[node.name] = out;
      if (node.in > 0) tags[node.name] = node.in;
      const perLine = node.sampledIn > 0 ? node.sampledMs / node.sampledIn : 0;
      nodes[node.name] = {
        in: node.in,
        out: node.out,
        errors: node.errors,
        ms: round3(perLine * node.in + node.flushMs),
      };
      const summary = node.processor.summary?.();
      if (summary) processors[node.name] = summary;
    }
    for (const [tag, count] of unknown) tags[tag] = (tags[tag] ?? 0) + count;
    tags[END_TAG] = this.linesOut;
    return { linesOut: this.linesOut, tags, nodes, edges, processors };
  }

  private emit(from: NodeRuntime, line: string, tag: string | undefined): void {
    if (++this.fanOut > this.maxFanOut) throw this.tooManyLines(from);
    from.out++;
    let target: NodeRuntime | null;
    if (tag === undefined && from.then !== undefined) {
      from.thenOut++;
      target = from.then;
    } else {
      const key = tag ?? from.thenTag;
      const edge = from.edges.get(key) ?? this.resolveEdge(from, key);
      edge.count++;
      target = edge.target;
    }
    if (this.trace) this.trace(`${this.file}:${from.ctx.n} ${from.name} -> ${target ? target.name : END_TAG}: ${line}`);
    this.deliver(target, line, from.ctx.n);
  }

  /** Bounds the work and memory one input line can cost, whatever a processor emits. */
  private tooManyLines(from: NodeRuntime): FileProcessingError {
    const what = this.flushing ? `the end-of-file flush of node "${this.flushing.name}"` : `line ${from.ctx.n}`;
    this.fanOutError ??= new FileProcessingError(
      `${what} fanned out into more than maxFanOut (${this.maxFanOut}) lines, the last emitted by node "${from.name}" ` +
        '(a processor may be emitting without end; raise "maxFanOut" if the pipeline really makes that many)',
      'EPROCESSOR',
      from.name,
      from.ctx.n,
    );
    return this.fanOutError;
  }

  /** First time a node emits a tag: find where it leads (a node, `end`, or `unmatched`). */
  private resolveEdge(from: NodeRuntime, tag: string): Edge {
    const known = this.byTag.get(tag);
    let edge: Edge;
    if (known !== undefined) {
      edge = { target: known, count: 0, unknown: false };
    } else if (this.unmatched !== undefined) {
      edge = { target: this.unmatched, count: 0, unknown: true };
    } else {
      // Counted before failing, so the failed file's summary shows the tag that broke it.
      from.edges.set(tag, { target: null, count: 1, unknown: true });
      throw new FileProcessingError(`no node for tag "${tag}" (emitted by node "${from.name}")`, 'EROUTING', from.name, from.ctx.n);
    }
    from.edges.set(tag, edge);
    return edge;
  }

  /**
   * One node's end-of-file flush (a hook for TracingPipelineRun: once per node and file, never
   * per line). Returns what flush returned, for the check that it is not a Promise.
   */
  protected flushNode(node: NodeRuntime, ctx: ProcessorContext): unknown {
    return node.processor.flush?.(ctx);
  }

  protected deliver(node: NodeRuntime | null, line: string, n: number): void {
    if (node === null) {
      this.linesOut++;
      this.sink(line);
      return;
    }
    if (++this.depth > this.maxHops) {
      throw new FileProcessingError(
        `routing loop: a line passed through more than maxHops (${this.maxHops}) nodes, the last "${node.name}"`,
        'EROUTING',
        node.name,
        n,
      );
    }
    node.in++;
    if (node.sink) {
      this.depth--;
      return;
    }
    node.dirty = true;
    node.lastN = n;
    const ctx = node.ctx;
    const previousN = ctx.n;
    ctx.n = n;
    if (this.timing) this.runTimed(node, line, ctx);
    else this.run(node, line, ctx);
    ctx.n = previousN;
    this.depth--;
  }

  /** run(), measuring the node's own time (its emits' downstream time subtracted). */
  private runTimed(node: NodeRuntime, line: string, ctx: ProcessorContext): void {
    const outerNested = this.nestedMs;
    this.nestedMs = 0;
    const started = performance.now();
    this.run(node, line, ctx);
    const elapsed = performance.now() - started;
    node.sampledMs += elapsed - this.nestedMs;
    node.sampledIn++;
    this.nestedMs = outerNested + elapsed;
  }

  private run(node: NodeRuntime, line: string, ctx: ProcessorContext): void {
    let returned: unknown;
    try {
      returned = node.processor.process(line, ctx);
    } catch (error) {
      throw this.processorError(node, error, ctx.n);
    }
    if (returned !== undefined) this.checkReturned(node, returned, 'process', ctx.n);
  }

  /**
   * A processor's methods return nothing; a Promise means an async function (or one that
   * returns a Promise), whose lines would come after the file was finished: refused.
   */
  private checkReturned(node: NodeRuntime, returned: unknown, method: 'process' | 'flush', n: number): void {
    const then = (returned as { then?: unknown } | null)?.then;
    if (typeof then !== 'function') return;
    (returned as PromiseLike<unknown>).then(undefined, () => undefined); // its outcome no longer matters
    node.errors++;
    throw new FileProcessingError(
      `node "${node.name}" returned a Promise from ${method}() on line ${n}: processors must be synchronous (emit every line with ctx.emit before ${method}() returns)`,
      'EPROCESSOR',
      node.name,
      n,
    );
  }

  private processorError(node: NodeRuntime, error: unknown, n: number): FileProcessingError {
    if (error instanceof FileProcessingError) return error;
    node.errors++;
    const message = errorMessage(error);
    const wrapped = new FileProcessingError(`node "${node.name}" failed on line ${n}: ${message}`, 'EPROCESSOR', node.name, n);
    if (error instanceof Error && error.stack) wrapped.stack = error.stack;
    return wrapped;
  }
}

/**
 * A PipelineRun that also tells, for every line that reaches `end`, the nodes it passed
 * through and the input line it came from: for previews and `run --trace-lines`. A subclass
 * rather than a flag, so that normal processing runs the base class's code unchanged and pays
 * nothing for it. Delivery is depth first and synchronous, so the nodes whose delivery is
 * under way when a line reaches `end` are exactly its path.
 */
export class TracingPipelineRun extends PipelineRun {
  private readonly path: string[] = [];

  constructor(spec: PipelineSpec, file: string, sink: LineSink, private readonly traceSink: LineTraceSink, trace?: RouteTracer) {
    super(spec, file, sink, trace);
  }

  protected override flushNode(node: NodeRuntime, ctx: ProcessorContext): unknown {
    this.path.push(node.name);
    try {
      return super.flushNode(node, ctx);
    } finally {
      this.path.pop();
    }
  }

  protected override deliver(node: NodeRuntime | null, line: string, n: number): void {
    if (node === null) {
      this.traceSink(this.path.slice(), n, line);
      super.deliver(node, line, n);
      return;
    }
    this.path.push(node.name);
    try {
      super.deliver(node, line, n);
    } finally {
      this.path.pop();
    }
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
