// A fixed set of worker threads that process files. Jobs go to the least busy worker; a
// worker that dies is replaced, and the jobs it held are reported as failures of the pool
// (the queue decides what happens to those files). A job that runs past the time limit has
// its worker ended: terminating the thread is the only way to stop synchronous JavaScript
// (a processor's endless loop, a regular expression backtracking for ever).

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PipelineShape } from '../../shared/metrics';
import { ConfigError, errorMessage, FencedError, FileProcessingError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import type { FileJob } from '../processFile';
import type { FileSummary } from '../summary';
import { removeTemporaryFilesIn } from '../util/atomicFile';
import type { FromWorker, JobOutcome, QueueSteps, ToWorker, WorkerData, WorkerSettings } from './workerProtocol';

export interface WorkerPoolOptions {
  size: number;
  settings: WorkerSettings;
  logger?: Logger;
  /** The worker script. Defaults to worker.js beside this module (dist/ or out/). */
  script?: string;
  /**
   * A job that runs longer than this (from when its worker starts it: a worker runs its jobs
   * one after another, and the clock of a waiting job starts when the one before it ends) is stopped: its
   * worker is ended and replaced, and the job rejects with a FileProcessingError
   * 'EPROCESSOR'. 0 or undefined: no limit.
   */
  fileTimeoutMs?: number;
}

interface Pending {
  job: FileJob;
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
  onClaimed?: () => void;
  /** The job's time limit; armed once the worker has loaded the pipeline and the job is next. */
  timer?: NodeJS.Timeout;
}

interface Slot {
  index: number;
  worker: Worker;
  /** Kept from the start: worker.threadId reads -1 once the thread has ended. */
  threadId: number;
  /** The pipeline is loaded: time spent loading it does not count against a job's limit. */
  ready: boolean;
  jobs: Map<number, Pending>;
}

/** A worker ended for a job's time limit, until its thread is gone and its jobs are rejected. */
interface Retiring {
  slot: Slot;
  done: Promise<void>;
}

/**
 * How long to wait for an ended worker's thread to go before rejecting its jobs anyway. A
 * thread blocked in a system call (a hung network drive) ends only when the call returns.
 */
const TERMINATE_GRACE_MS = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class PoolClosedError extends Error {
  override name = 'PoolClosedError';
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly logger: Logger;
  private readonly script: string;
  private readonly settings: WorkerSettings;
  private nextId = 1;
  private closed = false;
  /** Shared with every worker: 1 once claims must stop (stopClaims). */
  private readonly claimGate = new Int32Array(new SharedArrayBuffer(4));
  private readonly retiring = new Set<Retiring>();

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
    // A custom module that never returns while it loads would hold start() for ever: the same
    // limit as for a file applies to loading the pipeline.
    const limit = this.options.fileTimeoutMs ?? 0;
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      if (limit > 0) {
        timer = setTimeout(
          () => reject(new Error(`the pipeline did not load within ${formatSeconds(limit)} (a custom processor module may be stuck while loading)`)),
          Math.min(limit, MAX_TIMER_MS),
        );
      }
    });
    try {
      await Promise.race([Promise.all(starting), stuck]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Jobs currently held by workers. */
  get busy(): number {
    return this.slots.reduce((sum, slot) => sum + slot.jobs.size, 0);
  }

  /**
   * Runs a job on the least busy worker. Rejects with a FileProcessingError when processing
   * hit a transient filesystem error (finalAttempt false), the worker died, or the job (or
   * another on its worker) ran past fileTimeoutMs, and with PoolClosedError when the pool
   * closed first. `onClaimed` is called when the claim step has moved the file.
   */
  run(request: { job: FileJob; maxLineBytes: number; finalAttempt: boolean; steps?: QueueSteps; onClaimed?: () => void }): Promise<JobOutcome> {
    if (this.closed) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    let slot = this.slots[0];
    for (const candidate of this.slots) if (candidate.jobs.size < slot.jobs.size) slot = candidate;
    const id = this.nextId++;
    const { job, maxLineBytes, finalAttempt, steps, onClaimed } = request;
    return new Promise<JobOutcome>((resolve, reject) => {
      const pending: Pending = { job, resolve, reject, onClaimed };
      slot.jobs.set(id, pending);
      this.startHeadClock(slot);
      slot.worker.postMessage({ type: 'job', id, job, maxLineBytes, finalAttempt, ...(steps ? { steps } : {}) } satisfies ToWorker);
    });
  }

  /** Processes a file with no queue steps (single runs): resolves with its summary. */
  async process(job: FileJob, maxLineBytes: number, finalAttempt: boolean): Promise<FileSummary> {
    const outcome = await this.run({ job, maxLineBytes, finalAttempt });
    if (outcome.type !== 'done') throw new Error('a job without a claim step cannot be refused');
    return outcome.summary;
  }

  /**
   * Ends every worker now; jobs still held (also those of a worker being ended for its time
   * limit) are rejected with PoolClosedError, once their threads have ended and the
   * temporary files they were writing are removed. Resolves after that.
   */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    const held: Pending[] = [];
    for (const slot of slots) {
      for (const pending of slot.jobs.values()) {
        clearTimeout(pending.timer);
        held.push(pending);
      }
      slot.jobs.clear();
    }
    const retiring = [...this.retiring];
    for (const { slot } of retiring) for (const pending of slot.jobs.values()) pending.reject(new PoolClosedError('the worker pool was closed'));
    await Promise.all([...slots.map((slot) => slot.worker.terminate()), ...retiring.map((r) => r.done)]);
    // A stop leaves no half-written result behind (the next start would remove it, but the
    // folder should be clean now). Only these jobs' folders can hold one.
    await this.removeTemporaryFiles(held.map((pending) => pending.job));
    for (const pending of held) pending.reject(new PoolClosedError('the worker pool was closed'));
  }

  /**
   * From now on, workers refuse to claim: a job handed to a worker but not started yet comes
   * back as not claimed ('stopping'), and its file stays in the inbox. For a queue that stops.
   */
  stopClaims(): void {
    Atomics.store(this.claimGate, 0, 1);
  }

  /** Arms the time limit of the job a worker runs now: the oldest it holds (Map order is send order). */
  private startHeadClock(slot: Slot): void {
    if (!slot.ready) return;
    const head = slot.jobs.entries().next();
    if (!head.done) this.startClock(slot, head.value[0], head.value[1]);
  }

  private startClock(slot: Slot, id: number, pending: Pending): void {
    const limit = this.options.fileTimeoutMs ?? 0;
    // setTimeout fires at once for delays over 2^31-1 ms (24.8 days): a longer limit waits that long.
    if (limit > 0 && pending.timer === undefined) pending.timer = setTimeout(() => this.timedOut(slot, id), Math.min(limit, MAX_TIMER_MS));
  }

  /**
   * A job ran past the limit. Its worker is replaced at once (the queue's next file need not
   * wait), then ended. Its jobs are rejected only once the thread is gone, so nothing the
   * worker still does can race the queue's own handling of the file (the failed summary, the
   * move to failed/); an answer the worker sent just before the end still counts.
   */
  private timedOut(slot: Slot, id: number): void {
    const stuck = slot.jobs.get(id);
    if (this.closed || this.slots[slot.index] !== slot || stuck === undefined) return;
    for (const pending of slot.jobs.values()) clearTimeout(pending.timer);
    const limit = formatSeconds(this.options.fileTimeoutMs ?? 0);
    this.spawn(slot.index).catch((error: unknown) => this.logger.error('could not restart a processing worker', error));
    const retiring: Retiring = { slot, done: this.endWorker(slot, id, limit) };
    this.retiring.add(retiring);
    void retiring.done.finally(() => this.retiring.delete(retiring));
    // Last: a logger may call back into close() (the state above is complete by now).
    this.logger.warn(`processing worker ${slot.index}: ${stuck.job.name} took longer than ${limit}; ending the worker and starting a new one`);
  }

  private async endWorker(slot: Slot, stuckId: number, limit: string): Promise<void> {
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      slot.worker.terminate().then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => (grace = setTimeout(resolve, TERMINATE_GRACE_MS))),
    ]);
    clearTimeout(grace);
    // A file streamed in pieces has its temporary result open while it is processed.
    await this.removeTemporaryFiles([...slot.jobs.values()].map((pending) => pending.job), slot.threadId);
    // After close() these were rejected with PoolClosedError already (a second reject does nothing).
    for (const [id, pending] of slot.jobs) {
      pending.reject(
        id === stuckId
          ? new FileProcessingError(
              `processing took longer than ${limit} and was stopped (a processor may be stuck); raise fileflow.fileTimeoutSec / --file-timeout if files are just big`,
              'EPROCESSOR',
            )
          : // Not this file's fault, but its thread is gone: as when a worker dies.
            new FileProcessingError(`the processing worker was stopped because another file on it took longer than ${limit}`, 'EPROCESSOR'),
      );
    }
    slot.jobs.clear();
  }

  /** Removes what these jobs' writers (of thread `thread` only, when given) left half-written. */
  private async removeTemporaryFiles(jobs: FileJob[], thread?: number): Promise<void> {
    const folders = new Map<string, string>();
    for (const job of jobs) {
      if (job.tempTag === undefined) continue;
      for (const file of [job.resultPath, job.summaryPath]) folders.set(`${path.dirname(file)}\0${job.tempTag}`, job.name);
    }
    for (const [key, name] of folders) {
      const [dir, tag] = key.split('\0');
      await removeTemporaryFilesIn(dir, tag, thread).catch((error: unknown) =>
        this.logger.warn(`could not remove a temporary file of ${name}: ${errorMessage(error)}`),
      );
    }
  }

  private spawn(index: number): Promise<void> {
    const worker = new Worker(this.script, { workerData: { settings: this.settings, claimGate: this.claimGate.buffer } satisfies WorkerData });
    const slot: Slot = { index, worker, threadId: worker.threadId, ready: false, jobs: new Map() };
    this.slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            started = true;
            slot.ready = true;
            this.startHeadClock(slot);
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
          case 'fenced':
            this.settle(slot, message.id)?.reject(new FencedError(message.message));
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
          clearTimeout(pending.timer);
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
    clearTimeout(pending?.timer);
    this.startHeadClock(slot); // the worker goes on with its next job
    return pending;
  }
}

/** 600000 → "600 s", 1500 → "1.5 s". */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
