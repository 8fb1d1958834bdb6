// Runs pipeline tests and previews in a worker thread, under the per-file time limit: a
// request that runs past it has its worker ended (the only way to stop synchronous
// JavaScript) and answers with a timeout; the next request starts a new worker, which is
// given the pipeline and the sample again first.

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PipelineShape } from '../../shared/metrics';
import { formatConfigIssues, type ConfigIssue } from '../errors';
import type { PipelineTest } from './pipelineTests';
import type { FromSampleWorker, InvalidStage, PipelineSource, SampleData, SampleInput, SampleRun, ToSampleWorker } from './sampleProtocol';
import type { TestResult } from './testRunner';

export { traceAt, type InvalidStage, type PipelineSource, type SampleData, type SampleInput, type SampleRun } from './sampleProtocol';

export interface SampleRunnerOptions {
  /** Per request (a load, a test, a sample run); 0 or undefined: no limit. */
  timeoutMs?: number;
  /** The worker script. Defaults to sampleWorker.js beside this module (dist/ or out/). */
  script?: string;
  /**
   * Run the worker thread at a lower CPU priority (where the system allows it per thread, as
   * Linux does), so that an editor's previews and checks never take the CPU from the thread
   * that serves the UI, whatever else the machine is doing.
   */
  background?: boolean;
}

export type LoadOutcome =
  | { ok: true; tests: PipelineTest[]; pipelines: PipelineShape[]; usesCustomModules: boolean }
  | { ok: false; message: string; issues: ConfigIssue[]; stage: InvalidStage };

/** A request ran past the time limit (its worker was ended). */
export class SampleTimeoutError extends Error {
  override name = 'SampleTimeoutError';
}

type Request = ToSampleWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

const MAX_TIMER_MS = 2 ** 31 - 1;

export class SampleRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(message: FromSampleWorker): void; reject(error: Error): void }>();
  /** Given to every new worker before anything else: the last load and the kept sample. */
  private lastLoad: Request | undefined;
  private lastKeep: Request | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(private readonly options: SampleRunnerOptions = {}) {}

  /** Compiles a pipeline (checking its tests when asked) and keeps it for test() and run(). */
  async load(source: PipelineSource, checkTests = true): Promise<LoadOutcome> {
    let pipeline: { file: string; text: string } | undefined;
    if (source.file !== undefined) {
      // Read here, once: a worker started again after a timeout gets this same text.
      let text = source.text;
      if (text === undefined) {
        try {
          text = await readFile(source.file, 'utf8');
        } catch (error) {
          const issues = [{ path: '', message: `cannot read the pipeline file: ${(error as Error).message}` }];
          return { ok: false, message: formatConfigIssues(source.file, issues), issues, stage: 'json' };
        }
      }
      pipeline = { file: source.file, text };
    }
    const request: Request = { type: 'load', pipeline, allowCustomModules: source.allowCustomModules, checkTests };
    const reply = await this.request(request);
    this.lastLoad = request;
    if (reply.type === 'invalid') return { ok: false, message: reply.message, issues: reply.issues, stage: reply.stage };
    if (reply.type !== 'loaded') throw unexpected(reply);
    return { ok: true, tests: reply.tests, pipelines: reply.pipelines, usesCustomModules: reply.usesCustomModules };
  }

  /** Runs the loaded pipeline's test number `index`. A test that runs past the limit fails with the reason. */
  async test(test: PipelineTest, maxLineBytes?: number): Promise<TestResult> {
    let reply: FromSampleWorker;
    try {
      reply = await this.request({ type: 'test', index: test.index, ...(maxLineBytes === undefined ? {} : { maxLineBytes }) });
    } catch (error) {
      if (!(error instanceof SampleTimeoutError)) throw error;
      const message = `processing took longer than ${formatSeconds(this.options.timeoutMs ?? 0)} and was stopped (a processor may be stuck)`;
      return {
        name: test.name,
        index: test.index,
        path: test.path,
        passed: false,
        failures: [{ key: 'status', expected: test.expect.status, actual: 'failed', error: message }],
        actual: { status: 'failed', output: [], tags: {}, error: message },
        durationMs: this.options.timeoutMs ?? 0,
      };
    }
    if (reply.type !== 'tested') throw unexpected(reply);
    return reply.result;
  }

  /** Keeps a sample in the worker, for run() with `{ key }`. */
  async keep(key: string, sample: SampleData): Promise<void> {
    const request: Request = { type: 'keep', key, sample };
    await this.request(request);
    this.lastKeep = request;
  }

  /** Runs a sample through the loaded pipeline, as a file named `name`. Rejects with SampleTimeoutError past the limit. */
  async run(name: string, input: SampleInput, options: { trace?: boolean; maxLines?: number; maxLineBytes?: number } = {}): Promise<SampleRun> {
    const reply = await this.request({
      type: 'run',
      name,
      input,
      trace: options.trace ?? false,
      maxLines: options.maxLines ?? Number.MAX_SAFE_INTEGER,
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    });
    if (reply.type !== 'ran') throw unexpected(reply);
    return reply.run;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    for (const waiting of this.waiting.values()) waiting.reject(new Error('the sample runner was closed'));
    this.waiting.clear();
    await worker?.terminate();
  }

  /** One request at a time, so that each one's time limit is its own. */
  private request(request: Request): Promise<FromSampleWorker> {
    const next = this.chain.then(() => this.send(request));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private send(request: Request): Promise<FromSampleWorker> {
    if (this.disposed) return Promise.reject(new Error('the sample runner was closed'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<FromSampleWorker>((resolve, reject) => {
      const limit = this.options.timeoutMs ?? 0;
      const timer =
        limit > 0
          ? setTimeout(() => {
              this.waiting.delete(id);
              this.retire(worker);
              reject(new SampleTimeoutError(`took longer than ${formatSeconds(limit)}`));
            }, Math.min(limit, MAX_TIMER_MS))
          : undefined;
      this.waiting.set(id, {
        resolve: (message) => {
          clearTimeout(timer);
          if (message.type === 'error') reject(new Error(message.message));
          else resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.postMessage({ ...request, id });
    });
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.script ?? path.join(__dirname, 'sampleWorker.js'), { workerData: { background: this.options.background ?? false } });
    worker.on('message', (message: FromSampleWorker) => {
      const waiting = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      waiting?.resolve(message);
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the sample worker stopped (exit code ${code})`)));
    this.worker = worker;
    // A new worker after a timeout: the pipeline and sample the caller loaded come first.
    // Their answers carry ids nobody waits for.
    for (const replay of [this.lastLoad, this.lastKeep]) {
      if (replay) worker.postMessage({ ...replay, id: this.nextId++ });
    }
    return worker;
  }

  private retire(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate().catch(() => undefined);
  }
}

function unexpected(reply: FromSampleWorker): Error {
  return new Error(`unexpected answer from the sample worker: ${reply.type}`);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
