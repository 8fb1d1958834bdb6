// A fixed set of worker threads that process files. Jobs go to the least busy worker; a
// worker that dies is replaced, and the jobs it held are reported as failures of the pool
// (the queue decides what happens to those files).

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PipelineShape } from '../../shared/metrics';
import { ConfigError, FileProcessingError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import type { FileJob } from '../processFile';
import type { FileSummary } from '../summary';
import type { FromWorker, JobOutcome, QueueSteps, ToWorker, WorkerSettings } from './workerProtocol';

export interface WorkerPoolOptions {
  size: number;
  settings: WorkerSettings;
  logger?: Logger;
  /** The worker script. Defaults to worker.js beside this module (dist/ or out/). */
  script?: string;
}

interface Pending {
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
  onClaimed?: () => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Pending>;
}

export class PoolClosedError extends Error {
  override name = 'PoolClosedError';
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly logger: Logger;
  private readonly script: string;
  private settings: WorkerSettings;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.logger = options.logger ?? silentLogger;
    this.script = options.script ?? path.join(__dirname, 'worker.js');
    this.settings = options.settings;
  }

  /** The pipelines' shapes, as the workers loaded them (for drawing the pipeline). */
  pipelines: PipelineShape[] = [];

  /**
   * Starts the workers and waits until each has loaded the pipeline. A pipeline that cannot
   * be loaded rejects with its ConfigError (and ends the workers that did start).
   */
  async start(): Promise<void> {
    const starting: Promise<void>[] = [];
    for (let i = 0; i < this.options.size; i++) starting.push(this.spawn(i));
    try {
      await Promise.all(starting);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Jobs currently held by workers. */
  get busy(): number {
    return this.slots.reduce((sum, slot) => sum + slot.jobs.size, 0);
  }

  /**
   * Runs a job on the least busy worker. Rejects with a FileProcessingError when processing
   * hit a transient filesystem error (finalAttempt false) or the worker died, and with
   * PoolClosedError when the pool closed first. `onClaimed` is called when the claim step
   * has moved the file.
   */
  run(request: { job: FileJob; maxLineBytes: number; finalAttempt: boolean; steps?: QueueSteps; onClaimed?: () => void }): Promise<JobOutcome> {
    if (this.closed) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    let slot = this.slots[0];
    for (const candidate of this.slots) if (candidate.jobs.size < slot.jobs.size) slot = candidate;
    const id = this.nextId++;
    const { job, maxLineBytes, finalAttempt, steps, onClaimed } = request;
    return new Promise<JobOutcome>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject, onClaimed });
      slot.worker.postMessage({ type: 'job', id, job, maxLineBytes, finalAttempt, ...(steps ? { steps } : {}) } satisfies ToWorker);
    });
  }

  /** Processes a file with no queue steps (single runs): resolves with its summary. */
  async process(job: FileJob, maxLineBytes: number, finalAttempt: boolean): Promise<FileSummary> {
    const outcome = await this.run({ job, maxLineBytes, finalAttempt });
    if (outcome.type !== 'done') throw new Error('a job without a claim step cannot be refused');
    return outcome.summary;
  }

  /** New pipeline settings; jobs sent after this use them. */
  reload(settings: WorkerSettings): void {
    this.settings = settings;
    for (const slot of this.slots) slot.worker.postMessage({ type: 'reload', settings } satisfies ToWorker);
  }

  /** Ends every worker now; jobs still held are rejected with PoolClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      for (const pending of slot.jobs.values()) pending.reject(new PoolClosedError('the worker pool was closed'));
      slot.jobs.clear();
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(index: number): Promise<void> {
    const worker = new Worker(this.script, { workerData: this.settings });
    const slot: Slot = { worker, jobs: new Map() };
    this.slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            started = true;
            this.pipelines = message.pipelines;
            resolve();
            break;
          case 'startFailed':
            reject(
              message.issues && message.file !== undefined
                ? new ConfigError(message.file, message.issues)
                : new Error(`a processing worker could not load the pipeline: ${message.message}`),
            );
            break;
          case 'claimed':
            slot.jobs.get(message.id)?.onClaimed?.();
            break;
          case 'done':
            this.settle(slot, message.id)?.resolve({ type: 'done', summary: message.summary, ...(message.moveError ? { moveError: message.moveError } : {}) });
            break;
          case 'notClaimed':
            this.settle(slot, message.id)?.resolve({ type: 'notClaimed', refusal: message.refusal });
            break;
          case 'transient':
            this.settle(slot, message.id)?.reject(
              new FileProcessingError(message.message, message.code, undefined, undefined, message.sysCode),
            );
            break;
          case 'log':
            this.logger[message.level](message.message);
            break;
        }
      });
      worker.on('error', (error) => {
        this.logger.error(`processing worker ${index} crashed: ${error.message}`, error);
        if (!started) reject(error);
      });
      worker.on('exit', (code) => {
        if (this.closed || this.slots[index] !== slot) return;
        for (const pending of slot.jobs.values()) {
          pending.reject(new FileProcessingError(`the processing worker stopped unexpectedly (exit code ${code})`, 'EPROCESSOR'));
        }
        slot.jobs.clear();
        if (!started) {
          reject(new Error(`a processing worker exited (code ${code}) while loading the pipeline`));
          return;
        }
        this.logger.warn(`processing worker ${index} exited (code ${code}); starting a new one`);
        this.spawn(index).catch((error: unknown) => this.logger.error('could not restart a processing worker', error));
      });
    });
  }

  private settle(slot: Slot, id: number): Pending | undefined {
    const pending = slot.jobs.get(id);
    slot.jobs.delete(id);
    return pending;
  }
}
