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
import { candidateNames } from '../util/uniqueName';
import { Intake, type InboxFile } from './intake';
import { inboxFilter, QueueLayout, requeue, walkFiles } from './layout';
import { PoolClosedError, WorkerPool } from './workerPool';

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
const DEFAULT_SHUTDOWN_MS = 10_000;

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
  private paused = false;
  private stopping = false;
  private started = false;
  private idleWaiters: (() => void)[] = [];

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
    while (!this.paused && !this.stopping && this.inFlight.size < this.concurrency && this.ready.length > 0) {
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
    let claimed: string | undefined;
    if (item.recovered) {
      claimed = item.name;
    } else {
      this.claiming.add(item.path);
      try {
        claimed = await this.claim(item);
      } finally {
        this.claiming.delete(item.path);
      }
    }
    if (claimed === undefined) return;
    const source = item.recovered ? `underprocess/${claimed}` : `unprocessed/${item.name}`;
    this.emit('event', { type: 'claimed', name: claimed, source, recovered: item.recovered });
    try {
      const summary = await this.processWithRetries(claimed, source, item.detectedAt);
      if (summary === undefined) return; // stopping: the file stays in underprocess/
      const destination = summary.status === 'processed' ? 'processed' : 'failed';
      const moved = await this.withRetries(`move ${claimed} to ${destination}/`, claimed, () =>
        this.moveFile(this.layout.pathOf('underprocess', claimed), this.layout.pathOf(destination, claimed)),
      );
      if (!moved) return; // left in underprocess/, recovered next start
      this.metrics.record(summary);
      logFileOutcome(this.logger, summary);
      this.emit('event', { type: 'finished', summary });
    } finally {
      this.reserved.delete(claimed);
    }
  }

  /** Moves a file from the inbox to underprocess/ under a unique name. */
  private async claim(item: WorkItem): Promise<string | undefined> {
    const claimed = await this.uniqueName(item.name);
    const moved = await this.withRetries(`claim ${item.name}`, item.name, () =>
      this.moveFile(item.path, this.layout.pathOf('underprocess', claimed)),
    );
    if (!moved) {
      this.reserved.delete(claimed);
      return undefined;
    }
    return claimed;
  }

  /**
   * The first free name of `name`, `stem (2).ext`, …; when a folder of the name is a file in
   * the state folders (an earlier "a" blocks "a/b.log"), the top folder varies instead:
   * "a (2)/b.log", "a (3)/b.log", …
   */
  private async uniqueName(name: string): Promise<string> {
    const slash = name.indexOf('/');
    const folderVariants = slash === -1 ? [name] : candidateNames(name.slice(0, slash));
    for (const folder of folderVariants) {
      const base = slash === -1 ? name : `${folder}${name.slice(slash)}`;
      for (const candidate of candidateNames(base)) {
        if (this.reserved.has(candidate)) continue;
        // Reserve before looking, so that no concurrent claim can pick the same name.
        this.reserved.add(candidate);
        const status = await this.layout.nameStatus(candidate);
        if (status === 'free') return candidate;
        this.reserved.delete(candidate);
        if (status === 'blocked') break;
      }
    }
    throw new Error(`no free name for ${name}`);
  }

  private async processWithRetries(name: string, source: string, detectedAt: number): Promise<FileSummary | undefined> {
    const job: FileJob = {
      name,
      source,
      input: { path: this.layout.pathOf('underprocess', name), followSymlinks: false },
      resultPath: this.layout.resultPath(name),
      summaryPath: this.layout.summaryPath(name),
      detectedAt,
    };
    const pool = this.pool as WorkerPool;
    for (let attempt = 1; ; attempt++) {
      job.attempt = attempt;
      try {
        return await pool.run(job, this.maxLineBytes, attempt >= this.maxAttempts);
      } catch (error) {
        if (error instanceof PoolClosedError) return undefined;
        const fileError = error instanceof FileProcessingError ? error : new FileProcessingError(String(error), 'EPROCESSOR');
        if (attempt >= this.maxAttempts || !isTransientFsError(fileError)) {
          // The worker could not write a summary itself (it died, or the disk refused).
          return recordFailure(job, fileError).catch((writeError: unknown) => {
            this.logger.error(`could not write the summary of ${name}`, writeError);
            return undefined;
          });
        }
        const delayMs = this.baseDelayMs * 2 ** (attempt - 1);
        this.logger.warn(`${name}: ${fileError.message}; retrying in ${delayMs} ms (attempt ${attempt + 1} of ${this.maxAttempts})`);
        this.emit('event', { type: 'retrying', name, attempt, delayMs, message: fileError.message });
        await sleep(delayMs);
        if (this.stopping) return undefined;
      }
    }
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
    this.metrics.queued = this.ready.length + (this.intake?.waiting ?? 0);
    this.metrics.inProgress = this.inFlight.size;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
