// The folder queue (SPEC §1): unprocessed/ → underprocess/ → processed/ | failed/, with
// results in results/. Crash safety comes from doing every state change as one rename and
// writing results before the original moves; on start, whatever a crash left in
// underprocess/ is processed again first.

import { EventEmitter } from 'node:events';
import { rename } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { PipelineShape } from '../../shared/metrics';
import { FileProcessingError, isTransientFsError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { MetricsCollector } from '../metrics';
import { recordFailure, type FileJob } from '../processFile';
import { logFileOutcome, type FileSummary } from '../summary';
import { DEFAULT_MAX_LINE_BYTES } from '../text/lineSplitter';
import { withDir } from '../util/ensureDir';
import { NameCandidates } from '../util/uniqueName';
import { Intake, type InboxFile } from './intake';
import { inboxFilter, QueueLayout, requeue, walkFiles } from './layout';
import { PoolClosedError, WorkerPool } from './workerPool';
import type { JobOutcome, QueueSteps } from './workerProtocol';

export interface FolderQueueOptions {
  root: string;
  /** Pipeline file; undefined for the built-in default. */
  pipelineFile?: string;
  /** Files processed at once (default: number of CPUs). */
  concurrency?: number;
  stabilityMs?: number;
  /** Extra ignore globs, matched against names in unprocessed/. */
  ignore?: string[];
  maxLineBytes?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number };
  /** Poll instead of using native events (network drives, WSL mounts). */
  usePolling?: boolean;
  allowCustomModules?: boolean;
  logger?: Logger;
  /** How long stop() lets files in flight finish (default 10 s). */
  shutdownTimeoutMs?: number;
  /**
   * A file whose processing runs longer than this fails ('EPROCESSOR', saying so) and its
   * worker is replaced, so a stuck processor cannot hold a slot for ever. Default 600 s;
   * 0 means no limit.
   */
  fileTimeoutMs?: number;
  /** Watch for new arrivals (default true); false only recovers and scans. */
  watch?: boolean;
  /** Worker script override (tests). */
  workerScript?: string;
  /**
   * Metrics to continue from: a host that restarts a root's queue (its pipeline or settings
   * changed) passes the old queue's collector so the counts do not drop back to zero.
   */
  metrics?: MetricsCollector;
}

export type QueueEvent =
  | { type: 'detected'; name: string }
  | { type: 'claimed'; name: string; source: string; recovered: boolean }
  | { type: 'finished'; summary: FileSummary }
  | { type: 'retrying'; name: string; attempt: number; delayMs: number; message: string }
  | { type: 'skipped'; name: string; reason: string }
  /** A file went back to the inbox (Retry, Reprocess): `to` is its name in unprocessed/. */
  | { type: 'moved'; name: string; from: 'failed' | 'processed'; to: string }
  | { type: 'idle' };

interface WorkItem {
  /** Where the file is now. */
  path: string;
  /** Name in unprocessed/ (inbox items) or the claimed name (recovered items). */
  name: string;
  detectedAt: number;
  recovered: boolean;
}

const DEFAULT_STABILITY_MS = 500;
/**
 * Files handed to each worker at once: the one it processes and the next, so that it never
 * waits a round trip to this thread between two small files (~10 % of a burst). A worker
 * still processes one file at a time.
 */
const JOBS_PER_WORKER = 2;
const DEFAULT_SHUTDOWN_MS = 10_000;
export const DEFAULT_FILE_TIMEOUT_MS = 600_000;

export class FolderQueue extends EventEmitter<{ event: [QueueEvent] }> {
  readonly layout: QueueLayout;
  readonly metrics: MetricsCollector;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxLineBytes: number;
  private pool: WorkerPool | undefined;
  private intake: Intake | undefined;
  /** Complete files waiting for a slot, oldest first; recovered files ahead of all. */
  private readonly ready: WorkItem[] = [];
  private readonly readyPaths = new Set<string>();
  /** Inbox paths being renamed into underprocess/ right now (late events must not re-queue them). */
  private readonly claiming = new Set<string>();
  /** Names claimed by files in flight: kept until they leave underprocess/. */
  private readonly reserved = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Names of claimed files not finished yet ("in progress"; inFlight also holds files handed to a worker but not claimed). */
  private readonly processing = new Set<string>();
  private paused = false;
  private stopping = false;
  private started = false;
  private idleWaiters: (() => void)[] = [];
  private accepts: ((name: string) => boolean) | undefined;

  constructor(private readonly options: FolderQueueOptions) {
    super();
    this.layout = new QueueLayout(options.root);
    this.metrics = options.metrics ?? new MetricsCollector();
    this.logger = options.logger ?? silentLogger;
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 3);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 1000;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /**
   * Validates the pipeline (a ConfigError leaves every file where it is), creates the
   * layout, removes interrupted temporary results, recovers underprocess/, scans the inbox
   * and, unless `watch` is false, watches it.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('the queue was already started');
    this.started = true;
    const pipelineFile = this.options.pipelineFile === undefined ? undefined : path.resolve(this.options.pipelineFile);
    const allowCustomModules = this.options.allowCustomModules ?? true;
    // The workers load (and so validate) the pipeline before a single file is touched: a
    // broken pipeline rejects here with its ConfigError and nothing moves.
    this.pool = new WorkerPool({
      size: this.concurrency,
      settings: { pipelineFile, allowCustomModules, logLevel: this.logger.level },
      logger: this.logger,
      script: this.options.workerScript,
      fileTimeoutMs: this.options.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS,
    });
    await this.pool.start();

    await this.layout.create();
    const removed = await this.layout.removeTemporaryResults();
    if (removed > 0) this.logger.info(`removed ${removed} temporary file(s) an interrupted run left in results/`);

    await this.recover();
    this.intake = new Intake({
      layout: this.layout,
      stabilityMs: this.options.stabilityMs ?? DEFAULT_STABILITY_MS,
      accepts: inboxFilter(this.options.ignore),
      usePolling: this.options.usePolling ?? false,
      logger: this.logger,
      onReady: (file) => this.enqueue(file),
      onForget: () => {
        this.updateCounts();
        this.checkIdle();
      },
      isQueued: (file) => this.readyPaths.has(file) || this.claiming.has(file),
    });
    if (this.options.watch !== false) await this.intake.watch();
    await this.intake.scan();
    this.updateCounts();
    this.dispatch();
  }

  /** Resolves once nothing is waiting, ready or in flight. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.dispatch();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether the inbox takes a file of this name (built-in rules for temporary files, and the ignore globs). */
  acceptsInboxName(name: string): boolean {
    this.accepts ??= inboxFilter(this.options.ignore);
    return this.accepts(name);
  }

  /** The shapes of the pipelines in use (empty before start). */
  get pipelines(): PipelineShape[] {
    return this.pool?.pipelines ?? [];
  }

  /**
   * Stops taking files, lets files in flight finish (up to shutdownTimeoutMs), and leaves the
   * rest where they are: unclaimed files stay in unprocessed/, unfinished ones in underprocess/.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.pool?.stopClaims(); // files handed to a worker but not started stay in the inbox
    await this.intake?.close();
    const timeout = this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_MS;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeout))),
    ]);
    clearTimeout(timer);
    if (!finished) this.logger.warn(`stopped with ${this.inFlight.size} file(s) unfinished; they stay in underprocess/ and are recovered next time`);
    await this.pool?.close();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Moves a failed file back to the inbox (removing its failed summary) so it is taken again. */
  async retryFailed(name: string): Promise<string> {
    return this.moveBack('failed', name);
  }

  /** Moves a processed file back to the inbox (removing its result) so it is processed again. */
  async reprocess(name: string): Promise<string> {
    return this.moveBack('processed', name);
  }

  async retryAllFailed(): Promise<number> {
    let count = 0;
    for await (const file of walkFiles(this.layout.folder('failed'))) {
      await this.retryFailed(this.layout.nameOf('failed', file));
      count++;
    }
    return count;
  }

  // -------------------------------------------------------------------------------------

  private async recover(): Promise<void> {
    const recovered: WorkItem[] = [];
    const now = Date.now();
    for await (const file of walkFiles(this.layout.folder('underprocess'))) {
      const name = this.layout.nameOf('underprocess', file);
      this.reserved.add(name);
      recovered.push({ path: file, name, detectedAt: now, recovered: true });
    }
    if (recovered.length > 0) this.logger.info(`recovering ${recovered.length} file(s) an interrupted run left in underprocess/`);
    this.ready.unshift(...recovered);
    for (const item of recovered) this.readyPaths.add(item.path);
  }

  private enqueue(file: InboxFile): void {
    if (this.stopping || this.readyPaths.has(file.path) || this.claiming.has(file.path)) return;
    const item: WorkItem = { path: file.path, name: file.name, detectedAt: file.detectedAt, recovered: false };
    // Keep oldest-first order; arrivals are nearly always in order, so search from the end.
    let at = this.ready.length;
    while (at > 0 && !this.ready[at - 1].recovered && this.ready[at - 1].detectedAt > item.detectedAt) at--;
    this.ready.splice(at, 0, item);
    this.readyPaths.add(item.path);
    this.emit('event', { type: 'detected', name: file.name });
    this.updateCounts();
    this.dispatch();
  }

  private dispatch(): void {
    while (!this.paused && !this.stopping && this.inFlight.size < this.concurrency * JOBS_PER_WORKER && this.ready.length > 0) {
      const item = this.ready.shift() as WorkItem;
      this.readyPaths.delete(item.path);
      const work = this.handle(item).catch((error: unknown) => {
        this.logger.error(`unexpected error while handling ${item.name}`, error);
      });
      this.inFlight.add(work);
      void work.finally(() => {
        this.inFlight.delete(work);
        this.updateCounts();
        this.dispatch();
        this.checkIdle();
      });
    }
    this.updateCounts();
  }

  private async handle(item: WorkItem): Promise<void> {
    const started = item.recovered ? await this.runRecovered(item) : await this.claimAndRun(item);
    if (started === undefined) return; // not claimed: the file was refused, vanished, or we are stopping
    try {
      const summary = await this.complete(started);
      if (summary === undefined) return; // stopping, or the file could not leave underprocess/
      this.metrics.record(summary);
      logFileOutcome(this.logger, summary);
      this.emit('event', { type: 'finished', summary });
    } finally {
      this.reserved.delete(started.name);
      this.processing.delete(started.name);
    }
  }

  /**
   * Claims an inbox file and processes it, both in a worker (one job: claim, process, move
   * out). The name is reserved here, so that no two jobs try the same one; the worker checks
   * it is free on disk and refuses it if not, and the next candidate is tried.
   */
  private async claimAndRun(item: WorkItem): Promise<Started | undefined> {
    const source = `unprocessed/${item.name}`;
    let names = new NameCandidates(item.name);
    this.claiming.add(item.path);
    try {
      for (let attempt = 1; ; ) {
        const name = this.reserveName(names);
        let claimed = false;
        const onClaimed = (): void => {
          claimed = true;
          // Gone from the inbox: a new file of the same name may be queued from now on.
          this.claiming.delete(item.path);
          this.processing.add(name);
          this.updateCounts();
          this.emit('event', { type: 'claimed', name, source, recovered: false });
        };
        let outcome: JobOutcome;
        try {
          outcome = await this.runJob(name, source, item.detectedAt, 1, { from: item.path }, onClaimed);
        } catch (error) {
          if (claimed) return { name, source, detectedAt: item.detectedAt, first: { error } };
          // Neither claimed nor refused: the pool closed (stopping) or the worker died first.
          this.reserved.delete(name);
          if (error instanceof PoolClosedError || this.stopping) return undefined;
          if (attempt >= this.maxAttempts) {
            this.logger.error(`claim ${item.name} failed: ${(error as Error).message}; the file stays where it is`);
            return undefined;
          }
          await sleep(this.baseDelayMs * 2 ** (attempt++ - 1));
          names = new NameCandidates(item.name); // the same name again: it was never tried on disk
          continue;
        }
        if (outcome.type === 'done') return { name, source, detectedAt: item.detectedAt, first: { outcome } };
        this.reserved.delete(name);
        const { refusal } = outcome;
        if (refusal.reason === 'taken') continue;
        if (refusal.reason === 'blocked') {
          names.skipFolder();
          continue;
        }
        if (refusal.reason === 'stopping') return undefined; // the file stays in the inbox
        if (refusal.reason === 'vanished') {
          this.logger.info(`claim ${item.name}: the file disappeared before it could be taken`);
          this.emit('event', { type: 'skipped', name: item.name, reason: 'disappeared before it could be taken' });
          return undefined;
        }
        if (!isTransientFsError({ code: refusal.code }) || attempt >= this.maxAttempts || this.stopping) {
          this.logger.error(`claim ${item.name} failed: ${refusal.message}; the file stays where it is`);
          return undefined;
        }
        await sleep(this.baseDelayMs * 2 ** (attempt++ - 1));
        names = new NameCandidates(item.name); // the disk may have changed meanwhile
      }
    } finally {
      this.claiming.delete(item.path);
    }
  }

  /** A file a crash left in underprocess/: processed again under the name it has. */
  private async runRecovered(item: WorkItem): Promise<Started> {
    const source = `underprocess/${item.name}`;
    this.processing.add(item.name);
    this.emit('event', { type: 'claimed', name: item.name, source, recovered: true });
    return { name: item.name, source, detectedAt: item.detectedAt, first: await settle(this.runJob(item.name, source, item.detectedAt, 1)) };
  }

  /**
   * From a claimed file's first attempt to its summary: retries transient errors with
   * backoff, writes the summary itself when a worker could not, and finishes a move out of
   * underprocess/ that the worker could not do.
   */
  private async complete(started: Started): Promise<FileSummary | undefined> {
    const { name, source, detectedAt } = started;
    let settled = started.first;
    for (let attempt = 1; ; attempt++) {
      if ('outcome' in settled) {
        const { summary, moveError } = settled.outcome as Extract<JobOutcome, { type: 'done' }>;
        if (moveError === undefined) return summary;
        this.logger.warn(`${name}: moving it out of underprocess/ failed (${moveError.message}); trying again`);
        return (await this.moveOut(name, summary)) ? summary : undefined;
      }
      const { error } = settled;
      if (error instanceof PoolClosedError) return undefined; // stopping: the file stays in underprocess/
      const fileError = error instanceof FileProcessingError ? error : new FileProcessingError(String(error), 'EPROCESSOR');
      if (attempt >= this.maxAttempts || !isTransientFsError(fileError)) {
        // The worker could not write a summary itself (it died, or the disk refused).
        const summary = await recordFailure(this.jobFor(name, source, detectedAt, attempt), fileError).catch((writeError: unknown) => {
          this.logger.error(`could not write the summary of ${name}`, writeError);
          return undefined;
        });
        return summary !== undefined && (await this.moveOut(name, summary)) ? summary : undefined;
      }
      const delayMs = this.baseDelayMs * 2 ** (attempt - 1);
      this.logger.warn(`${name}: ${fileError.message}; retrying in ${delayMs} ms (attempt ${attempt + 1} of ${this.maxAttempts})`);
      this.emit('event', { type: 'retrying', name, attempt, delayMs, message: fileError.message });
      await sleep(delayMs);
      if (this.stopping) return undefined;
      settled = await settle(this.runJob(name, source, detectedAt, attempt + 1));
    }
  }

  /** Sends one job: claim (when `claimFrom` is given), process, move out of underprocess/. */
  private runJob(name: string, source: string, detectedAt: number, attempt: number, claim?: { from: string }, onClaimed?: () => void): Promise<JobOutcome> {
    const steps: QueueSteps = {
      finish: { processed: this.layout.pathOf('processed', name), failed: this.layout.pathOf('failed', name) },
      ...(claim ? { claim: { from: claim.from, mustBeFree: this.tracesOf(name) } } : {}),
    };
    const job = this.jobFor(name, source, detectedAt, attempt);
    return (this.pool as WorkerPool).run({ job, maxLineBytes: this.maxLineBytes, finalAttempt: attempt >= this.maxAttempts, steps, onClaimed });
  }

  private jobFor(name: string, source: string, detectedAt: number, attempt: number): FileJob {
    return {
      name,
      source,
      input: { path: this.layout.pathOf('underprocess', name), followSymlinks: false },
      resultPath: this.layout.resultPath(name),
      summaryPath: this.layout.summaryPath(name),
      detectedAt,
      attempt,
    };
  }

  /** Everywhere a claimed name leaves a trace: a name is free only when none of these exists. */
  private tracesOf(name: string): string[] {
    const { layout } = this;
    return [layout.pathOf('underprocess', name), layout.pathOf('processed', name), layout.pathOf('failed', name), layout.resultPath(name), layout.summaryPath(name)];
  }

  /** The next candidate name no job in flight holds, reserved for the caller. */
  private reserveName(names: NameCandidates): string {
    for (;;) {
      const candidate = names.next();
      if (this.reserved.has(candidate)) continue;
      this.reserved.add(candidate);
      return candidate;
    }
  }

  /** Moves a claimed file to processed/ or failed/ by its summary, retrying transient errors. */
  private moveOut(name: string, summary: FileSummary): Promise<boolean> {
    const destination = summary.status === 'processed' ? 'processed' : 'failed';
    return this.withRetries(`move ${name} to ${destination}/`, name, () => this.moveFile(this.layout.pathOf('underprocess', name), this.layout.pathOf(destination, name)));
  }

  /**
   * Runs a filesystem step, retrying transient errors with exponential backoff. Returns
   * false when it finally could not (the file then stays where it was).
   */
  private async withRetries(what: string, name: string, step: () => Promise<void>): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await step();
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          this.logger.info(`${what}: the file disappeared before it could be taken`);
          this.emit('event', { type: 'skipped', name, reason: 'disappeared before it could be taken' });
          return false;
        }
        if (!isTransientFsError(error) || attempt >= this.maxAttempts || this.stopping) {
          this.logger.error(`${what} failed: ${(error as Error).message}; the file stays where it is`);
          return false;
        }
        await sleep(this.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  private async moveFile(from: string, to: string): Promise<void> {
    // withDir retries once on ENOENT only when the folder itself was gone; a vanished source
    // still surfaces as ENOENT (the claim then reports "disappeared").
    await withDir(to, () => rename(from, to));
  }

  private async moveBack(state: 'failed' | 'processed', name: string): Promise<string> {
    const target = await requeue(this.layout, state, name);
    this.emit('event', { type: 'moved', name, from: state, to: target });
    return target;
  }

  private updateCounts(): void {
    // A file handed to a worker but not claimed yet is still in the inbox: queued.
    this.metrics.queued = this.ready.length + (this.intake?.waiting ?? 0) + (this.inFlight.size - this.processing.size);
    this.metrics.inProgress = this.processing.size;
  }

  private isIdle(): boolean {
    return this.inFlight.size === 0 && this.ready.length === 0 && (this.intake?.waiting ?? 0) === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    this.emit('event', { type: 'idle' });
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/** A claimed file, and how its first processing attempt ended. */
interface Started {
  name: string;
  source: string;
  detectedAt: number;
  first: Settled;
}

type Settled = { outcome: JobOutcome } | { error: unknown };

function settle(job: Promise<JobOutcome>): Promise<Settled> {
  return job.then(
    (outcome) => ({ outcome }),
    (error: unknown) => ({ error }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
