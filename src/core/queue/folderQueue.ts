// The folder queue: unprocessed/ → underprocess/ → processed/ | failed/, with results in
// results/ (docs/queue.md). Crash safety comes from doing every state change as one rename
// and writing results before the original moves; on start, whatever a crash left in
// underprocess/ is processed again first.

import { EventEmitter } from 'node:events';
import { closeSync, constants as fsConstants, lstatSync, openSync, watch, type FSWatcher } from 'node:fs';
import { readFile, rmdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { PipelineShape } from '../../shared/metrics';
import { version } from '../../../package.json';
import {
  DEFAULT_FILE_TIMEOUT_MS,
  DEFAULT_LEASE_SEC,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_STABILITY_MS,
  DEFAULT_USE_POLLING,
  workerCount,
} from '../defaults';
import { ConfigError, errorMessage, FencedError, FileProcessingError, isTransientFsError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { MetricsCollector } from '../metrics';
import type { FileJob } from '../processFile';
import { failureSummary, recordFailure, logFileOutcome, type FileSummary } from '../summary';
import { move } from '../util/ensureDir';
import { fsPath, safeName } from '../util/rawNames';
import { NameCandidates } from '../util/uniqueName';
import { Intake, type InboxFile } from './intake';
import {
  CLAIM_FOLDER_PREFIX,
  claimFolderIds,
  Lease,
  leasePath,
  readInstances,
  removeLease,
  renewIntervalMs,
  type InstanceInfo,
  type SeenInstance,
} from './instances';
import { inboxFilter } from './inboxRules';
import { QueueLayout, requeue } from './layout';
import { exists, removeEmptyFolders, walkFiles } from './walk';
import { NameReservations } from './nameReservations';
import { NewestFiles, type ListedFile } from './stateListing';
import { PoolClosedError, WorkerPool } from './workerPool';
import type { JobOutcome, QueueSteps, WorkerSettings } from './workerProtocol';
import { CAN_WALK_BY_DESCRIPTOR, removeEmptyFoldersSync } from './workerSteps';
import { removeTemporaryFilesIn } from '../util/atomicFile';

export interface FolderQueueOptions {
  root: string;
  /** Pipeline file; undefined for the built-in default. */
  pipelineFile?: string;
  /**
   * Reload the pipeline when its file changes (default: when watching). A valid new file is
   * used for files claimed from then on; an invalid one is reported and the old one kept.
   */
  watchPipeline?: boolean;
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
  /** An inbox folder left empty this long is removed (default 60 s; 0: never). */
  emptyFolderMs?: number;
  /** How often the inbox is rescanned and the root and pipeline file checked (default 10 s). */
  checkIntervalMs?: number;
  /**
   * Seconds another instance waits, after this one stops renewing its lease, before taking
   * its files over (default 30; docs/instances.md).
   */
  leaseSec?: number;
  /** What runs this queue, shown to other instances ("cli", "vscode"…). */
  instanceKind?: string;
  /** Worker script override (tests). */
  workerScript?: string;
  /**
   * Metrics to continue from: a host that restarts a root's queue (its settings changed)
   * passes the old queue's collector so the counts do not drop back to zero.
   */
  metrics?: MetricsCollector;
}

export type QueueEvent =
  | { type: 'detected'; name: string }
  | { type: 'claimed'; name: string; source: string; recovered: boolean }
  | { type: 'finished'; summary: FileSummary }
  | { type: 'retrying'; name: string; attempt: number; delayMs: number; message: string }
  /** A file that will not be processed (it vanished, or it is not safe to take); `where` it was. */
  | { type: 'skipped'; name: string; where: 'unprocessed' | 'underprocess'; reason: string }
  /** A file the queue gave up on for now; it stays `where` it is (see `unfinished`). */
  | { type: 'unfinished'; name: string; where: 'unprocessed' | 'underprocess'; reason: string }
  /** A file went back to the inbox (Retry, Reprocess): `to` is its name in unprocessed/. */
  | { type: 'moved'; name: string; from: 'failed' | 'processed'; to: string }
  /** The pipeline file changed and the new one is in use for files claimed from now on. */
  | { type: 'pipelineReloaded'; file: string }
  /** The pipeline file changed but cannot be used; the previous pipeline stays in use. */
  | { type: 'pipelineRejected'; file: string; message: string }
  /** The root cannot be worked (a state folder became a link…): nothing is claimed until it can. */
  | { type: 'problem'; message: string | undefined }
  /** Another instance started working this root. */
  | { type: 'instanceJoined'; instance: SeenInstance }
  /** Another instance is gone: it stopped, its process died, or its lease expired. */
  | { type: 'instanceLeft'; instance: SeenInstance; reason: 'stopped' | 'dead' | 'expired' }
  /** This instance took over the files a gone instance had claimed (they are processed again). */
  | { type: 'takenOver'; from: string; names: string[] }
  /** This instance lost its lease (it was paused or cut off too long) and took a new one. */
  | { type: 'leaseLost'; previous: string; now: string }
  | { type: 'idle' };

/** A file left where it is when the queue gave up on it or stopped. */
export interface UnfinishedFile {
  name: string;
  where: 'unprocessed' | 'underprocess';
  reason: string;
}

/** What stop() left behind. */
export interface StopReport {
  /** Claimed files still in underprocess/: they are recovered next time. */
  inUnderprocess: string[];
  /** Files seen but not claimed yet (waiting, or handed to a worker that had not started them): they stay in unprocessed/. */
  inInbox: string[];
}

interface WorkItem {
  /** Where the file is now. */
  path: string;
  /** Recovered items: the claim folder (this instance's id) it is in. */
  claimId?: string;
  /** Name in unprocessed/ (inbox items) or the claimed name (recovered items). */
  name: string;
  detectedAt: number;
  recovered: boolean;
  /** The inbox file as it was seen (inbox items). */
  seen?: { dev: number; ino: number };
}

/**
 * Files handed to each worker at once: the one it processes and the next, so that it never
 * waits a round trip to this thread between two small files (~10 % of a burst). A worker
 * still processes one file at a time.
 */
const JOBS_PER_WORKER = 2;
const DEFAULT_SHUTDOWN_MS = 10_000;
const DEFAULT_CHECK_MS = 10_000;
/** A pipeline file change is acted on once the file has been quiet this long (editors save in steps). */
const PIPELINE_SETTLE_MS = 200;
/** A claim that finds no free name after this many is given up (a bug, or a flood of one name). */
const MAX_NAME_TRIES = 100_000;
/**
 * How far down the ready list an instance looks for a file of its own share before it takes
 * the oldest anyway. With several instances on a root, each prefers the files whose name
 * hashes to it, so that they rarely race for the same file (every lost race is a wasted claim).
 */
const SHARE_LOOKAHEAD = 64;

export class FolderQueue extends EventEmitter<{ event: [QueueEvent] }> {
  readonly layout: QueueLayout;
  readonly metrics: MetricsCollector;
  private readonly logger: Logger;
  /** This instance's lease on the root (its id names its claim folder and temporary files). */
  private lease: Lease | undefined;
  private readonly leaseSec: number;
  /** The other instances on the root, as last seen. */
  private readonly others = new Map<string, SeenInstance>();
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  /** This instance's share of the files, and how many instances share them (see SHARE_LOOKAHEAD). */
  private share = { index: 0, of: 1 };
  private raceLookPending = false;
  /** Ids this instance held before it lost a lease; their claims may still be in flight here. */
  private readonly formerIds = new Set<string>();
  /** Files in flight under each claim folder of this instance's (its id, and former ones). */
  private readonly inFlightById = new Map<string, number>();
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxLineBytes: number;
  private readonly pipelineFile: string | undefined;
  /** The pool new files go to; older pools finish the files they started (after a reload). */
  private pool: WorkerPool | undefined;
  /** Files using each pool, and the pools replaced by a reload (closed once unused). */
  private readonly poolUsers = new Map<WorkerPool, number>();
  private readonly retiredPools = new Set<WorkerPool>();
  private pipelineText: string | undefined;
  private pipelineStamp = '';
  private pipelineWatcher: FSWatcher | undefined;
  private pipelineTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private intake: Intake | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  /** An open descriptor of unprocessed/, for claims that cannot be led out of it by a link. */
  private inboxFd: number | undefined;
  /** Complete files waiting for a slot, oldest first; recovered files ahead of all. */
  private readonly ready: WorkItem[] = [];
  private readonly readyPaths = new Set<string>();
  /** Inbox paths being renamed into underprocess/ right now (late events must not re-queue them). */
  private readonly claiming = new Set<string>();
  /** Names (and the result paths they will take) held by files in flight, until they leave underprocess/. */
  private readonly reserved = new NameReservations();
  private readonly inFlight = new Set<Promise<void>>();
  /** Claimed files not finished yet, by name, with when they were claimed ("in progress"; inFlight also holds files handed to a worker but not claimed). */
  private readonly processing = new Map<string, number>();
  /** Inbox names of files handed to a worker but not claimed yet, with when they were detected. */
  private readonly handedOut = new Map<string, number>();
  /** Recovered files waiting in `ready` for a worker (ahead of the rest): in underprocess/, so in progress. */
  private recoveredWaiting = 0;
  private readonly leftBehind = new Map<string, UnfinishedFile>();
  /** Why nothing is claimed right now (a state folder is unusable), if so. */
  private problem: string | undefined;
  /** Why the changed pipeline file is not in use, until a valid one is. */
  private pipelineProblem: string | undefined;
  private paused = false;
  private stopping = false;
  private started = false;
  private stopped: Promise<StopReport> | undefined;
  private cutShort: (() => void) | undefined;
  /** Backoff sleeps in progress: stop() ends them at once. */
  private readonly sleepers = new Set<() => void>();
  private idleWaiters: (() => void)[] = [];
  private accepts: ((name: string) => boolean) | undefined;

  constructor(private readonly options: FolderQueueOptions) {
    super();
    this.layout = new QueueLayout(options.root);
    this.metrics = options.metrics ?? new MetricsCollector();
    this.logger = options.logger ?? silentLogger;
    this.concurrency = workerCount(options.concurrency);
    this.maxAttempts = Math.max(1, options.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.baseDelayMs = options.retry?.baseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.pipelineFile = options.pipelineFile === undefined ? undefined : path.resolve(options.pipelineFile);
    this.leaseSec = options.leaseSec ?? DEFAULT_LEASE_SEC;
  }

  /** This instance's id (it changes if the lease is lost); undefined before start. */
  get id(): string | undefined {
    return this.lease?.id;
  }

  /** This instance, as other instances see it. */
  get instance(): InstanceInfo | undefined {
    return this.lease?.info;
  }

  /** The other instances working the root, as last seen (alive ones). */
  get otherInstances(): SeenInstance[] {
    return [...this.others.values()].filter((other) => other.state === 'alive');
  }

  /**
   * Loads the pipeline (a ConfigError leaves every file where it is), creates the layout
   * (a QueueRootError when a state folder is a link), removes interrupted temporary results,
   * recovers underprocess/, scans the inbox and, unless `watch` is false, watches it.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('the queue was already started');
    this.started = true;
    // The workers load (and so validate) the pipeline before a single file is touched: a
    // broken pipeline rejects here with its ConfigError and nothing moves.
    const text = this.pipelineFile === undefined ? undefined : await this.readPipeline();
    this.pool = await this.startPool(text);
    this.pipelineText = text;

    await this.layout.create();
    if (CAN_WALK_BY_DESCRIPTOR) {
      this.inboxFd = openSync(this.layout.folder('unprocessed'), fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
    }
    // The lease comes before any claim: a claim folder without a lease is a gone instance's.
    this.lease = await Lease.take(this.layout.root, this.options.instanceKind ?? 'library', this.leaseSec, version);
    await this.lookAtOthers();
    // Only what gone writers left: a live instance may be writing its temporary files now.
    const removed = await this.layout.removeTemporaryResults((tag) => tag === this.id || this.others.get(tag)?.state === 'alive');
    if (removed > 0) this.logger.info(`removed ${removed} temporary file(s) an interrupted run left in results/`);

    await this.recover();
    this.tickTimer = setInterval(() => this.scheduleTick(), renewIntervalMs(this.leaseSec));
    this.tickTimer.unref();
    const watching = this.options.watch !== false;
    this.intake = new Intake({
      layout: this.layout,
      stabilityMs: this.options.stabilityMs ?? DEFAULT_STABILITY_MS,
      accepts: inboxFilter(this.options.ignore),
      usePolling: this.options.usePolling ?? DEFAULT_USE_POLLING,
      logger: this.logger,
      onReady: (file) => this.enqueue(file),
      onForget: () => {
        this.updateCounts();
        this.checkIdle();
      },
      isQueued: (file) => this.readyPaths.has(file) || this.claiming.has(file),
      emptyFolderMs: this.options.emptyFolderMs,
      rescanMs: this.options.checkIntervalMs,
    });
    if (watching) await this.intake.watch();
    await this.intake.scan();
    if (watching) {
      this.checkTimer = setInterval(() => void this.checkRoot(), this.options.checkIntervalMs ?? DEFAULT_CHECK_MS);
      this.checkTimer.unref();
      if (this.pipelineFile !== undefined && this.options.watchPipeline !== false) this.watchPipelineFile(this.pipelineFile);
    }
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
   * What keeps this root from being worked as it should right now: a state folder that became
   * a link, a pipeline file changed into one that cannot be used, an inbox that cannot be
   * watched. Empty when all is well (the HTTP API's /health reports these).
   */
  get problems(): string[] {
    return [this.problem, this.pipelineProblem, this.intake?.problem].filter((problem): problem is string => problem !== undefined);
  }

  /** Files the queue gave up on and left where they are (a claim or a move that kept failing). */
  get unfinished(): UnfinishedFile[] {
    return [...this.leftBehind.values()];
  }

  /**
   * The files counted as queued (metrics.queued), newest first, at most `limit`: seen in the
   * inbox and not claimed yet (still being written, ready, or handed to a worker). Views list
   * these, so that their lists and their counts say the same.
   */
  queuedFiles(limit: number): ListedFile[] {
    const newest = new NewestFiles(limit);
    for (const file of this.intake?.waitingFiles() ?? []) newest.offer({ name: safeName(file.name), time: file.detectedAt });
    for (const [name, time] of this.handedOut) newest.offer({ name, time });
    // `ready` is oldest first after the recovered files: from its end, until the rest is older.
    for (let i = this.ready.length - 1; i >= this.recoveredWaiting; i--) {
      const item = this.ready[i];
      if (!newest.offer({ name: safeName(item.name), time: item.detectedAt }) && newest.full) break;
    }
    return newest.files;
  }

  /** The files counted as in progress (metrics.inProgress): claimed and not finished, or recovered and waiting for a worker. Newest first, at most `limit`. */
  inProgressFiles(limit: number): ListedFile[] {
    const newest = new NewestFiles(limit);
    for (const [name, time] of this.processing) newest.offer({ name, time, ...(this.id === undefined ? {} : { instance: this.id }) });
    for (let i = 0; i < this.recoveredWaiting; i++) newest.offer({ name: this.ready[i].name, time: this.ready[i].detectedAt, instance: this.ready[i].claimId });
    return newest.files;
  }

  /**
   * Stops taking files, lets files in flight finish (up to shutdownTimeoutMs, or until
   * stopNow()), and leaves the rest where they are: unclaimed files stay in unprocessed/,
   * unfinished ones in underprocess/. Resolves with what stayed where.
   */
  stop(): Promise<StopReport> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  /** Stops without waiting for files in flight (a second Ctrl-C): they stay for recovery. */
  stopNow(): Promise<StopReport> {
    const stopping = this.stop();
    this.cutShort?.();
    return stopping;
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
  // Start and stop

  private async shutDown(): Promise<StopReport> {
    this.stopping = true;
    clearInterval(this.checkTimer);
    clearInterval(this.tickTimer);
    clearTimeout(this.pipelineTimer);
    this.pipelineWatcher?.close();
    for (const wake of this.sleepers) wake();
    for (const pool of this.allPools()) pool.stopClaims(); // files handed to a worker but not started stay in the inbox
    await this.intake?.close();
    const timeout = this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_MS;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeout);
        this.cutShort = resolve;
      }),
    ]);
    clearTimeout(timer);
    // Everything this queue knew of and did not finish, by where it stays.
    const inUnderprocess = new Set(this.processing.keys());
    const inInbox = new Set([...this.handedOut.keys(), ...(this.intake?.waitingNames() ?? []).map(safeName)]);
    for (const item of this.ready) (item.recovered ? inUnderprocess : inInbox).add(safeName(item.name));
    const report: StopReport = { inUnderprocess: [...inUnderprocess].sort(), inInbox: [...inInbox].sort() };
    if (report.inUnderprocess.length > 0) {
      this.logger.warn(
        `stopped with ${report.inUnderprocess.length} file(s) unfinished in underprocess/ (processed again at the next start): ${listNames(report.inUnderprocess)}`,
      );
    }
    await this.reloading;
    await this.ticking;
    await Promise.all([...this.allPools()].map((pool) => pool.close()));
    if (this.inboxFd !== undefined) closeSync(this.inboxFd);
    this.inboxFd = undefined;
    if (this.lease) {
      // What stays in the claim folder is taken over by the next instance to look (this
      // process's next start is another instance, with another id).
      await rmdir(this.layout.claimFolder(this.lease.id)).catch(() => undefined);
      await this.lease.release().catch((error: unknown) => this.logger.warn(`could not remove the lease ${this.lease?.path}: ${String(error)}`));
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    return report;
  }

  private allPools(): Set<WorkerPool> {
    const pools = new Set(this.retiredPools);
    if (this.pool) pools.add(this.pool);
    return pools;
  }

  private startPool(text: string | undefined): Promise<WorkerPool> {
    const settings: WorkerSettings = {
      pipeline: this.pipelineFile === undefined || text === undefined ? undefined : { file: this.pipelineFile, text },
      allowCustomModules: this.options.allowCustomModules ?? true,
      logLevel: this.logger.level,
    };
    const pool = new WorkerPool({
      size: this.concurrency,
      settings,
      logger: this.logger,
      script: this.options.workerScript,
      fileTimeoutMs: this.options.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS,
    });
    return pool.start().then(() => pool);
  }

  /** The pipeline file's text, read once: workers get this text and never read the file. */
  private async readPipeline(): Promise<string> {
    const file = this.pipelineFile as string;
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      this.pipelineStamp = stampOf(info);
      return text;
    } catch (error) {
      throw new ConfigError(file, [{ path: '', message: `cannot read the pipeline file: ${(error as Error).message}` }]);
    }
  }

  // -------------------------------------------------------------------------------------
  // Changing the pipeline while watching

  private watchPipelineFile(file: string): void {
    try {
      // The folder, not the file: editors save by writing a new file and renaming it over.
      this.pipelineWatcher = watch(path.dirname(file), (_event, name) => {
        if (name === null || name.toString() === path.basename(file)) this.pipelineChanged();
      });
      this.pipelineWatcher.on('error', () => undefined); // the periodic check still notices changes
    } catch (error) {
      this.logger.warn(`cannot watch the pipeline file ${file} for changes (checked every ${(this.options.checkIntervalMs ?? DEFAULT_CHECK_MS) / 1000} s instead): ${(error as Error).message}`);
    }
  }

  private pipelineChanged(): void {
    clearTimeout(this.pipelineTimer);
    this.pipelineTimer = setTimeout(() => {
      this.reloading = this.reloading.then(() => this.reloadPipeline());
    }, PIPELINE_SETTLE_MS);
  }

  /**
   * Validates the changed pipeline file by starting workers on it. When they start, files
   * claimed from now on go to them and the old workers finish what they hold; otherwise the
   * old pipeline stays in use and the problem is reported.
   */
  private async reloadPipeline(): Promise<void> {
    const file = this.pipelineFile as string;
    if (this.stopping) return;
    let text: string;
    try {
      text = await this.readPipeline();
    } catch (error) {
      this.pipelineStamp = '';
      this.rejectPipeline(file, `${(error as Error).message.replace(/^[^\n]*\n\s*(\/: )?/, '')}`);
      return;
    }
    if (text === this.pipelineText) return;
    let pool: WorkerPool;
    try {
      pool = await this.startPool(text);
    } catch (error) {
      this.pipelineText = text; // the same broken text is not reported again
      this.rejectPipeline(file, errorMessage(error));
      return;
    }
    if (this.stopping) {
      await pool.close();
      return;
    }
    const old = this.pool as WorkerPool;
    this.pool = pool;
    this.pipelineText = text;
    this.retire(old);
    this.pipelineProblem = undefined;
    this.logger.info(`reloaded the pipeline from ${file}; files claimed from now on use it`);
    this.emit('event', { type: 'pipelineReloaded', file });
    this.dispatch();
  }

  private rejectPipeline(file: string, message: string): void {
    this.pipelineProblem = `the pipeline file ${file} cannot be used (the previous pipeline stays in use): ${message}`;
    this.logger.error(`the pipeline file ${file} cannot be used; the previous pipeline stays in use: ${message}`);
    this.emit('event', { type: 'pipelineRejected', file, message });
  }

  /** A replaced pool takes no new claims and closes once the files it started are done. */
  private retire(pool: WorkerPool): void {
    pool.stopClaims();
    this.retiredPools.add(pool);
    this.releasePool(pool, 0);
  }

  private usePool(pool: WorkerPool): void {
    this.poolUsers.set(pool, (this.poolUsers.get(pool) ?? 0) + 1);
  }

  private releasePool(pool: WorkerPool, count = 1): void {
    const users = (this.poolUsers.get(pool) ?? 0) - count;
    if (users > 0) {
      this.poolUsers.set(pool, users);
      return;
    }
    this.poolUsers.delete(pool);
    if (this.retiredPools.has(pool) && !this.stopping) {
      this.retiredPools.delete(pool);
      void pool.close();
    }
  }

  /** The periodic check: the state folders are still real folders; the pipeline file's changes were not missed. */
  private async checkRoot(): Promise<void> {
    let problem: string | undefined;
    try {
      await this.layout.check();
    } catch (error) {
      problem = `${(error as Error).message}; nothing is taken until it is put right`;
    }
    if (problem !== this.problem) {
      this.problem = problem;
      if (problem === undefined) this.logger.info(`${this.layout.root} can be worked again`);
      else this.logger.error(problem);
      this.emit('event', { type: 'problem', message: problem });
      this.dispatch();
    }
    if (this.pipelineFile !== undefined && this.options.watchPipeline !== false) {
      const stamp = await stat(this.pipelineFile).then(stampOf, () => '');
      if (stamp !== this.pipelineStamp) this.pipelineChanged();
    }
  }

  // -------------------------------------------------------------------------------------
  // Taking files

  /**
   * At start: files an older version left directly in underprocess/ are adopted into this
   * instance's claim folder, and the claim folders of gone instances are taken over. Either
   * way they are processed again, before anything new.
   */
  private async recover(): Promise<void> {
    const underprocess = this.layout.folder('underprocess');
    const adopted: WorkItem[] = [];
    for await (const file of walkFiles(underprocess, false, (dir) => path.dirname(dir) === underprocess && path.basename(dir).startsWith(CLAIM_FOLDER_PREFIX))) {
      const item = await this.adopt(file, this.layout.nameOf('underprocess', file));
      if (item !== undefined && item !== 'later') adopted.push(item);
    }
    if (adopted.length > 0) this.logger.info(`recovering ${adopted.length} file(s) an interrupted run left in underprocess/`);
    this.queueRecovered(adopted);
    await this.takeOverGone();
  }

  /**
   * Moves a file found in underprocess/ (outside any live instance's claim folder) into this
   * instance's, under its name — or, when that name could not hold a result and a summary
   * (too long, not UTF-8) or is held by a file in flight, under one that can. Undefined when
   * another instance took it first, or it cannot be moved.
   */
  private async adopt(file: string, name: string, deferOnClash = false): Promise<WorkItem | 'later' | undefined> {
    const id = this.id as string;
    const names = new NameCandidates(safeName(name));
    if (deferOnClash && new NameCandidates(safeName(name)).next() === name) {
      // Its own name is held here, most likely by a claim of this very file that is still on
      // its way (it will find the file gone from the inbox): taken over at the next look,
      // under its name, rather than under another one now.
      if (this.reserved.reserve(name) !== 'reserved') return 'later';
      this.reserved.release(name);
    }
    for (let tries = 0; tries < 1000; tries++) {
      const candidate = this.reserveName(names);
      const keepsName = candidate === name;
      // The same name overwrites its own results (recovery); another one must not overwrite anybody's.
      const mustBeFree = keepsName ? [this.layout.pathOf('processed', candidate), this.layout.pathOf('failed', candidate)] : this.tracesOf(candidate);
      if (await anyExists(mustBeFree)) {
        this.reserved.release(candidate);
        continue;
      }
      try {
        await move(fsPath(file), this.layout.claimPath(id, candidate));
      } catch (error) {
        this.reserved.release(candidate);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // another instance took it
        this.leaveBehind({ name: safeName(name), where: 'underprocess', reason: `cannot be moved into this instance's claim folder: ${(error as Error).message}` });
        return undefined;
      }
      if (!keepsName) this.logger.warn(`underprocess/${safeName(name)}: renamed to ${candidate} (its name could not hold a result and a summary)`);
      return { path: this.layout.claimPath(id, candidate), claimId: id, name: candidate, detectedAt: Date.now(), recovered: true };
    }
    return undefined;
  }

  /** Recovered files go ahead of everything waiting. */
  private queueRecovered(items: WorkItem[]): void {
    this.ready.unshift(...items);
    this.recoveredWaiting += items.length;
    for (const item of items) this.readyPaths.add(item.path);
    this.updateCounts();
  }

  // -------------------------------------------------------------------------------------
  // Other instances: leases, takeovers, fencing

  /** Runs a tick after the ones already running (they never overlap; one failing does not stop the next). */
  private scheduleTick(lookOnly = false): void {
    this.ticking = this.ticking
      .then(() => (lookOnly ? this.lookNow() : this.tick()))
      .catch((error: unknown) => this.logger.warn(`checking the other instances on ${this.layout.root} failed: ${errorMessage(error)}`));
  }

  /**
   * A file this instance was about to claim was gone: maybe another instance took it. Believing
   * itself alone, this one looks at the leases now rather than at the next renewal, so that the
   * instances share the files out (SHARE_LOOKAHEAD) instead of racing for them.
   */
  private sawRace(): void {
    if (this.share.of > 1 || this.raceLookPending) return;
    this.raceLookPending = true;
    this.scheduleTick(true);
    void this.ticking.finally(() => (this.raceLookPending = false));
  }

  private async lookNow(): Promise<void> {
    if (this.lease !== undefined && !this.stopping) await this.lookAtOthers();
  }

  /** Renews the lease, looks at the other instances, and takes over the files of gone ones. */
  private async tick(): Promise<void> {
    const lease = this.lease;
    if (this.stopping || lease === undefined) return;
    let now: number | undefined;
    try {
      now = await lease.renew();
    } catch (error) {
      this.logger.warn(`could not renew the lease ${lease.path}: ${(error as Error).message}`);
      if (!lease.overdue()) return; // try again at the next tick
    }
    if (now === undefined || lease.overdue()) {
      await this.leaseLost(lease);
      return;
    }
    await this.lookAtOthers(now);
    await this.takeOverGone();
    this.dispatch();
  }

  /**
   * Another instance judged this one gone (it was paused, or cut off from the share, for
   * longer than the lease) and removed its lease, or it could not renew it in time. Files in
   * flight go on and are written only if their claims are still in place (fencing); files
   * claimed from now on go under a new lease.
   */
  private async leaseLost(lease: Lease): Promise<void> {
    this.formerIds.add(lease.id);
    this.lease = await Lease.take(this.layout.root, this.options.instanceKind ?? 'library', this.leaseSec, version);
    this.logger.warn(
      `this instance's lease ${lease.id} was lost (paused or cut off for longer than ${this.leaseSec} s?); it goes on as ${this.lease.id}. ` +
        'Files it had in flight are finished by whichever instance holds their claims.',
    );
    this.emit('event', { type: 'leaseLost', previous: lease.id, now: this.lease.id });
  }

  /** Reads the other leases (judged against `now`, the filesystem's time), reporting who joined and left. */
  private async lookAtOthers(now?: number): Promise<void> {
    const lease = this.lease as Lease;
    const fsNow = now ?? (await stat(lease.path)).mtimeMs;
    const seen = await readInstances(this.layout.root, lease.id, fsNow);
    const current = new Map(seen.filter((other) => !this.formerIds.has(other.id)).map((other) => [other.id, other]));
    const events: QueueEvent[] = [];
    for (const [id, other] of current) {
      const before = this.others.get(id);
      if (other.state === 'alive' && before?.state !== 'alive') events.push({ type: 'instanceJoined', instance: other });
      if (other.state !== 'alive' && before?.state === 'alive') events.push({ type: 'instanceLeft', instance: other, reason: other.state });
    }
    for (const [id, before] of this.others) {
      if (!current.has(id) && before.state === 'alive') events.push({ type: 'instanceLeft', instance: before, reason: 'stopped' });
    }
    this.others.clear();
    for (const [id, other] of current) this.others.set(id, other);
    const ids = [lease.id, ...this.otherInstances.map((other) => other.id)].sort();
    this.share = { index: ids.indexOf(lease.id), of: ids.length };
    // Told once the view is current, so that listeners reading otherInstances see the change.
    for (const event of events) this.emit('event', event);
  }

  /** Takes over every claim folder whose instance is gone (dead, expired, or stopped without finishing). */
  private async takeOverGone(): Promise<void> {
    // Gone instances with nothing in flight have no claim folder, only a lease to remove.
    const gone = [...this.others.values()].filter((other) => other.state !== 'alive').map((other) => other.id);
    for (const id of new Set([...(await claimFolderIds(this.layout.folder('underprocess'))), ...gone])) {
      if (this.stopping || id === this.id || this.others.get(id)?.state === 'alive') continue;
      // Our own earlier lease: its files in flight finish first, then what is left is taken over.
      if (this.formerIds.has(id) && (this.inFlightById.get(id) ?? 0) > 0) continue;
      // A lease written since we looked: judged at the next tick.
      if (!this.others.has(id) && !this.formerIds.has(id) && (await exists(leasePath(this.layout.root, id)))) continue;
      await this.takeOver(id);
    }
  }

  /** Moves a gone instance's claims into this one's, removes its temporary files and its lease. */
  private async takeOver(id: string): Promise<void> {
    const folder = this.layout.claimFolder(id);
    const taken: WorkItem[] = [];
    let deferred = 0;
    for await (const file of walkFiles(folder)) {
      const item = await this.adopt(file, path.relative(folder, file).split(path.sep).join('/'), true);
      if (item === 'later') deferred++;
      else if (item) taken.push(item);
    }
    // Its half-written results can only be beside the results of the files it had in flight.
    for (const dir of new Set(taken.map((item) => path.dirname(this.layout.resultPath(item.name))))) await removeTemporaryFilesIn(dir, id);
    const gone = this.others.get(id);
    if (deferred === 0) {
      await removeEmptyFolders(folder, 0);
      await rmdir(folder).catch(() => undefined);
      await removeLease(this.layout.root, id);
      this.formerIds.delete(id);
      this.others.delete(id);
    }
    if (taken.length === 0) return;
    const from = gone ? `${gone.host}:${gone.pid} (${gone.state})` : `instance ${id}`;
    this.logger.info(`took over ${taken.length} file(s) from ${from}: ${listNames(taken.map((item) => item.name))}`);
    this.emit('event', { type: 'takenOver', from: id, names: taken.map((item) => item.name) });
    this.queueRecovered(taken);
  }

  private enqueue(file: InboxFile): void {
    if (this.stopping || this.readyPaths.has(file.path) || this.claiming.has(file.path)) return;
    this.leftBehind.delete(`unprocessed/${file.name}`);
    this.queueItem({ path: file.path, name: file.name, detectedAt: file.detectedAt, recovered: false, seen: file.seen });
    this.emit('event', { type: 'detected', name: safeName(file.name) });
    this.updateCounts();
    this.dispatch();
  }

  private queueItem(item: WorkItem): void {
    // Keep oldest-first order; arrivals are nearly always in order, so search from the end.
    let at = this.ready.length;
    while (at > 0 && !this.ready[at - 1].recovered && this.ready[at - 1].detectedAt > item.detectedAt) at--;
    this.ready.splice(at, 0, item);
    this.readyPaths.add(item.path);
  }

  private dispatch(): void {
    while (
      !this.paused &&
      !this.stopping &&
      this.problem === undefined &&
      this.inFlight.size < this.concurrency * JOBS_PER_WORKER &&
      this.ready.length > 0
    ) {
      const item = this.takeNext();
      this.readyPaths.delete(item.path);
      if (item.recovered) this.recoveredWaiting--;
      if (this.takenElsewhere(item)) continue;
      const work = this.handle(item).catch((error: unknown) => {
        this.logger.error(`unexpected error while handling ${safeName(item.name)}`, error);
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

  /**
   * With other instances on the root, a file of another's share is most likely theirs by now:
   * one lstat here tells, where a claim would cost a round trip to a worker. (Each instance sees
   * every file of the inbox, so once its own share is done, half its list may be such files.)
   */
  private takenElsewhere(item: WorkItem): boolean {
    if (this.share.of === 1 || item.recovered || shareOf(item.name, this.share.of) === this.share.index) return false;
    try {
      if (lstatSync(fsPath(item.path), { throwIfNoEntry: false }) !== undefined) return false;
    } catch {
      return false; // cannot tell: the claim will
    }
    this.emit('event', { type: 'skipped', name: safeName(item.name), where: 'unprocessed', reason: 'another instance took it' });
    return true;
  }

  /** The oldest ready file, or with other instances on the root, the oldest of this one's share nearby. */
  private takeNext(): WorkItem {
    if (this.share.of > 1) {
      const limit = Math.min(this.ready.length, SHARE_LOOKAHEAD);
      for (let i = 0; i < limit; i++) {
        const item = this.ready[i];
        if (item.recovered || shareOf(item.name, this.share.of) === this.share.index) return this.ready.splice(i, 1)[0];
      }
    }
    return this.ready.shift() as WorkItem;
  }

  private async handle(item: WorkItem): Promise<void> {
    const started = item.recovered ? await this.runRecovered(item) : await this.claimAndRun(item);
    if (started === undefined) return; // not claimed: the file was refused, vanished, or we are stopping
    this.inFlightById.set(started.id, (this.inFlightById.get(started.id) ?? 0) + 1);
    try {
      const summary = await this.complete(started);
      if (summary === undefined) return; // stopping, or the file could not leave underprocess/
      this.leftBehind.delete(`underprocess/${started.name}`);
      this.metrics.record(summary);
      logFileOutcome(this.logger, summary);
      this.emit('event', { type: 'finished', summary });
    } finally {
      this.reserved.release(started.name);
      this.processing.delete(started.name);
      this.releasePool(started.pool);
      this.inFlightById.set(started.id, (this.inFlightById.get(started.id) ?? 1) - 1);
    }
  }

  /**
   * Claims an inbox file and processes it, both in a worker (one job: claim, process, move
   * out). The name is reserved here, so that no two jobs try the same one (nor names whose
   * results would clash); the worker checks it is free on disk and refuses it if not, and
   * the next candidate is tried.
   */
  private async claimAndRun(item: WorkItem): Promise<Started | undefined> {
    const displayName = safeName(item.name);
    const source = `unprocessed/${displayName}`;
    const names = new NameCandidates(displayName);
    const id = this.id as string;
    const pool = this.pool as WorkerPool;
    this.usePool(pool);
    let handedOver = false;
    let again = false;
    this.claiming.add(item.path);
    this.handedOut.set(displayName, item.detectedAt);
    try {
      for (let attempt = 1; ; ) {
        const name = this.reserveName(names);
        let claimed = false;
        const onClaimed = (): void => {
          claimed = true;
          // Gone from the inbox: a new file of the same name may be queued from now on.
          this.claiming.delete(item.path);
          this.handedOut.delete(displayName);
          this.processing.set(name, Date.now());
          this.updateCounts();
          this.emit('event', { type: 'claimed', name, source, recovered: false });
        };
        let outcome: JobOutcome;
        try {
          outcome = await this.runJob(pool, id, name, source, item.detectedAt, 1, { from: item.path, seen: item.seen }, onClaimed);
        } catch (error) {
          if (claimed) {
            handedOver = true;
            return { id, name, source, detectedAt: item.detectedAt, pool, first: { error } };
          }
          // Neither claimed nor refused: the pool closed (stopping) or the worker died first.
          this.reserved.release(name);
          if (error instanceof PoolClosedError || this.stopping) return undefined;
          if (attempt >= this.maxAttempts) {
            this.giveUpOnClaim(displayName, (error as Error).message);
            return undefined;
          }
          if (!(await this.backoff(attempt++))) return undefined;
          names.restart(); // the same name again: it was never tried on disk
          continue;
        }
        if (outcome.type === 'done') {
          handedOver = true;
          return { id, name, source, detectedAt: item.detectedAt, pool, first: { outcome } };
        }
        this.reserved.release(name);
        const { refusal } = outcome;
        switch (refusal.reason) {
          case 'taken':
            continue;
          case 'blocked':
            if (names.canSkipFolder) {
              names.skipFolder();
              continue;
            }
            this.giveUpOnClaim(displayName, `a folder where ${name} must go is a file`);
            return undefined;
          case 'tooLong':
            if (names.shrink()) continue;
            this.giveUpOnClaim(displayName, 'the filesystem refuses every shorter name tried for it as too long');
            return undefined;
          case 'stopping':
            // The queue stops (the file stays in the inbox), or a pipeline reload retired the
            // pool: then it is taken again, by the new one.
            again = !this.stopping;
            return undefined;
          case 'vanished':
            this.sawRace();
            this.skip(displayName, 'unprocessed', 'it disappeared before it could be taken');
            return undefined;
          case 'unsafe':
            this.logger.warn(`${source}: not taken: ${refusal.message}`);
            this.skip(displayName, 'unprocessed', refusal.message);
            return undefined;
          case 'changed':
            // Another file took its place since it was seen: that one is looked at afresh.
            this.logger.debug(`${source}: replaced by another file since it was seen; waiting for that one to be complete`);
            void this.intake?.reconsider(item.path);
            return undefined;
          case 'error':
            if (!isTransientFsError({ code: refusal.code }) || attempt >= this.maxAttempts || this.stopping) {
              this.giveUpOnClaim(displayName, refusal.message);
              return undefined;
            }
            if (!(await this.backoff(attempt++))) return undefined;
            names.restart(); // the disk may have changed meanwhile
            continue;
        }
      }
    } finally {
      this.claiming.delete(item.path);
      this.handedOut.delete(displayName);
      if (!handedOver) this.releasePool(pool);
      if (again && !this.stopping) {
        this.queueItem(item);
        this.updateCounts();
      }
    }
  }

  /** A file a crash left in underprocess/: processed again under the name it has. */
  private async runRecovered(item: WorkItem): Promise<Started> {
    const source = `underprocess/${item.name}`;
    const id = item.claimId as string;
    const pool = this.pool as WorkerPool;
    this.usePool(pool);
    this.processing.set(item.name, Date.now());
    this.emit('event', { type: 'claimed', name: item.name, source, recovered: true });
    return { id, name: item.name, source, detectedAt: item.detectedAt, pool, first: await settle(this.runJob(pool, id, item.name, source, item.detectedAt, 1)) };
  }

  /**
   * From a claimed file's first attempt to its summary: retries transient errors with
   * backoff, writes the summary itself when a worker could not, and finishes a move out of
   * underprocess/ that the worker could not do.
   */
  private async complete(started: Started): Promise<FileSummary | undefined> {
    const { id, name, source, detectedAt, pool } = started;
    let settled = started.first;
    for (let attempt = 1; ; attempt++) {
      if ('outcome' in settled) {
        const { summary, moveError } = settled.outcome as Extract<JobOutcome, { type: 'done' }>;
        if (moveError === undefined) return summary;
        this.logger.warn(`${name}: moving it out of underprocess/ failed (${moveError.message}); trying again`);
        return (await this.moveOut(id, name, summary)) ? summary : undefined;
      }
      const { error } = settled;
      if (error instanceof PoolClosedError) return undefined; // stopping: the file stays in underprocess/
      if (error instanceof FencedError) {
        this.skip(name, 'underprocess', "another instance took it over (this one was paused or cut off past its lease); this one's work on it was thrown away");
        return undefined;
      }
      const fileError = error instanceof FileProcessingError ? error : new FileProcessingError(String(error), 'EPROCESSOR');
      if (attempt >= this.maxAttempts || !isTransientFsError(fileError)) return this.failWithoutWorker(id, this.jobFor(id, name, source, detectedAt, attempt), fileError);
      const delayMs = this.delayFor(attempt);
      this.logger.warn(`${name}: ${fileError.message}; retrying in ${delayMs} ms (attempt ${attempt + 1} of ${this.maxAttempts})`);
      this.emit('event', { type: 'retrying', name, attempt, delayMs, message: fileError.message });
      if (!(await this.backoff(attempt))) return undefined;
      settled = await settle(this.runJob(pool, id, name, source, detectedAt, attempt + 1));
    }
  }

  /**
   * The file fails and its worker could not write the summary (it died, or the disk refused
   * even on the last attempt). The summary is written here; if results/ still refuses it, the
   * file moves to failed/ all the same, with the reason in the log, rather than staying in
   * underprocess/ until the next start.
   */
  private async failWithoutWorker(id: string, job: FileJob, error: FileProcessingError): Promise<FileSummary | undefined> {
    let summary: FileSummary;
    try {
      summary = await recordFailure(job, error, undefined, undefined, () => {
        if (lstatSync(this.layout.claimPath(id, job.name), { throwIfNoEntry: false }) === undefined) throw new FencedError(`the claim on ${job.name} is no longer this instance's`);
      });
    } catch (writeError) {
      if (writeError instanceof FencedError) {
        this.skip(job.name, 'underprocess', 'another instance took it over before it could be recorded as failed');
        return undefined;
      }
      const reason = writeError instanceof Error ? writeError.message : String(writeError);
      summary = failureSummary(job, new FileProcessingError(`${error.message}; its summary could not be written either (${reason})`, error.code, error.node, error.line, error.sysCode));
      this.logger.error(`${job.name}: ${error.message}; the summary could not be written (${reason}): the file goes to failed/ without one`);
    }
    return (await this.moveOut(id, job.name, summary)) ? summary : undefined;
  }

  /** Sends one job: claim (when `claim` is given), process, move out of underprocess/. */
  private runJob(
    pool: WorkerPool,
    id: string,
    name: string,
    source: string,
    detectedAt: number,
    attempt: number,
    claim?: { from: string; seen?: { dev: number; ino: number } },
    onClaimed?: () => void,
  ): Promise<JobOutcome> {
    const steps: QueueSteps = {
      finish: { processed: this.layout.pathOf('processed', name), failed: this.layout.pathOf('failed', name), claimFolder: this.layout.claimFolder(id) },
      ...(claim
        ? {
            claim: {
              from: claim.from,
              inbox: this.layout.folder('unprocessed'),
              ...(this.inboxFd === undefined ? {} : { inboxFd: this.inboxFd }),
              ...(claim.seen === undefined ? {} : { seen: claim.seen }),
              mustBeFree: this.tracesOf(name),
            },
          }
        : {}),
    };
    const job = this.jobFor(id, name, source, detectedAt, attempt);
    return pool.run({ job, maxLineBytes: this.maxLineBytes, finalAttempt: attempt >= this.maxAttempts, steps, onClaimed });
  }

  private jobFor(id: string, name: string, source: string, detectedAt: number, attempt: number): FileJob {
    return {
      name,
      source,
      input: { path: this.layout.claimPath(id, name), followSymlinks: false },
      resultPath: this.layout.resultPath(name),
      summaryPath: this.layout.summaryPath(name),
      detectedAt,
      attempt,
      tempTag: id,
    };
  }

  /**
   * Everywhere a claimed name leaves a trace: a name is free only when none of these exists.
   * (This instance's own claims are kept apart in memory, by `reserved`.)
   */
  private tracesOf(name: string): string[] {
    const { layout } = this;
    return [
      layout.pathOf('processed', name),
      layout.pathOf('failed', name),
      layout.resultPath(name),
      layout.summaryPath(name),
      // The claims of the other instances. (Files an older version left directly in
      // underprocess/ were moved into this instance's claim folder at start.)
      ...this.otherInstances.map((other) => layout.claimPath(other.id, name)),
    ];
  }

  /** The next candidate name that no file in flight holds (nor its results), reserved for the caller. */
  private reserveName(names: NameCandidates): string {
    for (let tries = 1; tries <= MAX_NAME_TRIES; tries++) {
      const candidate = names.next();
      const answer = this.reserved.reserve(candidate);
      if (answer === 'reserved') return candidate;
      // A folder of the name is a file in flight: only another folder part can help.
      if (answer === 'blocked' && names.canSkipFolder) names.skipFolder();
    }
    throw new Error(`no free name for ${names.first} after ${MAX_NAME_TRIES} tries`);
  }

  private giveUpOnClaim(name: string, reason: string): void {
    this.logger.error(`claim ${name} failed: ${reason}; the file stays in unprocessed/`);
    this.leaveBehind({ name, where: 'unprocessed', reason });
  }

  private leaveBehind(file: UnfinishedFile): void {
    this.leftBehind.set(`${file.where}/${file.name}`, file);
    this.emit('event', { type: 'unfinished', ...file });
  }

  private skip(name: string, where: 'unprocessed' | 'underprocess', reason: string): void {
    this.logger.info(`${where}/${name}: ${reason}`);
    this.emit('event', { type: 'skipped', name, where, reason });
  }

  /** Moves a claimed file to processed/ or failed/ by its summary, retrying transient errors. */
  private async moveOut(id: string, name: string, summary: FileSummary): Promise<boolean> {
    const destination = summary.status === 'processed' ? 'processed' : 'failed';
    const from = this.layout.claimPath(id, name);
    for (let attempt = 1; ; attempt++) {
      try {
        await move(from, this.layout.pathOf(destination, name));
        removeEmptyFoldersSync(from, this.layout.claimFolder(id));
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && !(await exists(from))) {
          this.skip(name, 'underprocess', 'it was removed from underprocess/ (or taken over by another instance) before it could be moved out');
          return false;
        }
        if (!isTransientFsError(error) || attempt >= this.maxAttempts || this.stopping) {
          const reason = `moving it to ${destination}/ failed: ${(error as Error).message}`;
          this.logger.error(`${name}: ${reason}; it stays in underprocess/ (processed again at the next start)`);
          this.leaveBehind({ name, where: 'underprocess', reason });
          return false;
        }
        if (!(await this.backoff(attempt))) return false;
      }
    }
  }

  private delayFor(attempt: number): number {
    return this.baseDelayMs * 2 ** (attempt - 1);
  }

  /**
   * Waits before attempt `attempt + 1` (1 s, 2 s, 4 s… by default). Resolves false, at once,
   * when the queue stops meanwhile: the caller then leaves the file where it is.
   */
  private backoff(attempt: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve(!this.stopping);
      };
      const timer = setTimeout(wake, this.delayFor(attempt));
      this.sleepers.add(wake);
    });
  }

  private async moveBack(state: 'failed' | 'processed', name: string): Promise<string> {
    const target = await requeue(this.layout, state, name);
    this.emit('event', { type: 'moved', name, from: state, to: target });
    return target;
  }

  private updateCounts(): void {
    // A file handed to a worker but not claimed yet is still in the inbox: queued. A recovered
    // file waiting for a worker is in underprocess/: in progress (but waiting, for /health).
    const queued = this.ready.length - this.recoveredWaiting + (this.intake?.waiting ?? 0) + this.handedOut.size;
    this.metrics.setCounts(queued, this.processing.size + this.recoveredWaiting, this.recoveredWaiting);
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
  /** The claim folder it is in (this instance's id when it was claimed). */
  id: string;
  name: string;
  source: string;
  detectedAt: number;
  /** The workers it started on: its retries run there too (the same pipeline). */
  pool: WorkerPool;
  first: Settled;
}

type Settled = { outcome: JobOutcome } | { error: unknown };

function settle(job: Promise<JobOutcome>): Promise<Settled> {
  return job.then(
    (outcome) => ({ outcome }),
    (error: unknown) => ({ error }),
  );
}

async function anyExists(files: string[]): Promise<boolean> {
  for (const file of files) if (await exists(file)) return true;
  return false;
}

/** What tells that a file changed: size, mtime and inode. */
function stampOf(info: { size: number; mtimeMs: number; ino: number }): string {
  return `${info.size}:${info.mtimeMs}:${info.ino}`;
}

/** Names for a log line: all of them when few, else the first ones and how many more. */
function listNames(names: string[], limit = 10): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

/** Which of `of` instances a name falls to (FNV-1a): a cheap, stable spread. */
function shareOf(name: string, of: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % of;
}
