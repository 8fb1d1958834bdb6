// Single runs: Process Current File and Process Folder… run files through the pipeline in
// place (nothing moves), in a worker thread, with results in the workspace folder's
// fileflow.resultsFolder.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FileProcessingError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { FileJob, FileInput } from '../core/processFile';
import { DEFAULT_FILE_TIMEOUT_MS, DEFAULT_RESULTS_FOLDER } from '../core/defaults';
import { inboxFilter } from '../core/queue/inboxRules';
import { walkFiles } from '../core/queue/walk';
import { WorkerPool } from '../core/queue/workerPool';
import { recordFailure, SUMMARY_SUFFIX, type FileSummary } from '../core/summary';
import { readSettings } from './settings';

export interface SingleRun {
  folder: vscode.WorkspaceFolder | undefined;
  resultsFolder: string;
  summary: FileSummary;
}

export class SingleRunner implements vscode.Disposable {
  private readonly pools = new Map<string, Promise<WorkerPool>>();
  private readonly runs: SingleRun[] = [];
  private readonly changed = new vscode.EventEmitter<SingleRun>();
  readonly onDidRun = this.changed.event;

  constructor(
    private readonly logger: Logger,
    private readonly isTrusted: () => boolean,
  ) {}

  /** This session's runs and the results found in results folders, newest first. */
  recent(): SingleRun[] {
    return [...this.runs];
  }

  /** Loads the summaries already in each workspace folder's results folder (newest 200). */
  async loadExisting(): Promise<void> {
    const found: SingleRun[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const resultsFolder = readSettings(folder).resultsFolder;
      for await (const file of walkFiles(resultsFolder)) {
        if (!file.endsWith(SUMMARY_SUFFIX)) continue;
        try {
          found.push({ folder, resultsFolder, summary: JSON.parse(await readFile(file, 'utf8')) as FileSummary });
        } catch {
          // half-written or not ours
        }
        if (found.length >= 200) break;
      }
    }
    const known = new Set(this.runs.map((r) => path.join(r.resultsFolder, r.summary.name)));
    for (const run of found) if (!known.has(path.join(run.resultsFolder, run.summary.name))) this.runs.push(run);
    this.runs.sort((a, b) => b.summary.finishedAt.localeCompare(a.summary.finishedAt));
  }

  /** Process Current File: the editor's text, unsaved edits included. */
  async processDocument(document: vscode.TextDocument): Promise<SingleRun> {
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const resultsFolder = this.resultsFolderFor(folder, document);
    const name = folder ? toName(path.relative(folder.uri.fsPath, document.uri.fsPath)) : path.basename(document.fileName);
    const source = document.isUntitled ? document.fileName : vscode.workspace.asRelativePath(document.uri, false);
    return this.run(folder, resultsFolder, name, source, { text: document.getText() });
  }

  /** Process Folder…: every file below `dir`, in place. Honours the ignore rules. */
  async processFolder(
    dir: string,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    token: vscode.CancellationToken,
  ): Promise<SingleRun[]> {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dir));
    const resultsFolder = this.resultsFolderFor(folder, undefined, dir);
    const accepts = inboxFilter(folder ? readSettings(folder).ignore : []);
    const files: string[] = [];
    for await (const file of walkFiles(dir)) {
      // Never feed results back in, and skip what the queue would skip.
      if (isInside(resultsFolder, file)) continue;
      if (!accepts(toName(path.relative(dir, file)))) continue;
      const stat = await lstat(file).catch(() => undefined);
      if (stat?.isFile()) files.push(file);
    }
    const base = folder?.uri.fsPath ?? dir;
    const runs: SingleRun[] = [];
    let done = 0;
    const pool = await this.pool(folder);
    const concurrency = folder ? readSettings(folder).concurrency : 2;
    const next = async (): Promise<void> => {
      while (!token.isCancellationRequested && files.length > 0) {
        const file = files.shift() as string;
        const name = toName(path.relative(base, file));
        runs.push(await this.run(folder, resultsFolder, name, name, { path: file }, pool));
        done++;
        progress.report({ message: `${done} file(s): ${name}`, increment: 100 / (done + files.length) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, next));
    return runs;
  }

  dispose(): void {
    for (const pool of this.pools.values()) void pool.then((p) => p.close(), () => undefined);
    this.pools.clear();
    this.changed.dispose();
  }

  /** Settings or the pipeline file changed: later runs start fresh workers. */
  reset(): void {
    for (const pool of this.pools.values()) void pool.then((p) => p.close(), () => undefined);
    this.pools.clear();
  }

  private async run(
    folder: vscode.WorkspaceFolder | undefined,
    resultsFolder: string,
    name: string,
    source: string,
    input: FileInput,
    pool?: WorkerPool,
  ): Promise<SingleRun> {
    const settings = folder ? readSettings(folder) : undefined;
    const job: FileJob = {
      name,
      source,
      input,
      resultPath: path.join(resultsFolder, ...name.split('/')),
      summaryPath: path.join(resultsFolder, ...name.split('/')) + SUMMARY_SUFFIX,
      detectedAt: Date.now(),
    };
    const summary = await (pool ?? (await this.pool(folder))).process(job, settings?.maxLineBytes ?? 1024 * 1024, true).catch((error: unknown) => {
      // Its worker was ended (time limit) or died: a failed run with the reason, as in a queue,
      // so that Process Folder… goes on with the other files.
      if (error instanceof FileProcessingError) return recordFailure(job, error);
      throw error;
    });
    const run: SingleRun = { folder, resultsFolder, summary };
    const previous = this.runs.findIndex((r) => r.resultsFolder === resultsFolder && r.summary.name === name);
    if (previous !== -1) this.runs.splice(previous, 1);
    this.runs.unshift(run);
    this.changed.fire(run);
    return run;
  }

  private resultsFolderFor(folder: vscode.WorkspaceFolder | undefined, document?: vscode.TextDocument, dir?: string): string {
    if (folder) return readSettings(folder).resultsFolder;
    if (document && !document.isUntitled) return path.join(path.dirname(document.uri.fsPath), DEFAULT_RESULTS_FOLDER);
    if (dir) return path.join(dir, DEFAULT_RESULTS_FOLDER);
    throw new Error(vscode.l10n.t('Open a folder first: results go to its results folder.'));
  }

  /**
   * Workers for the folder's pipeline as its file reads now (a run always uses the file as
   * saved); an idle pool whose pipeline text is out of date is closed.
   */
  private async pool(folder: vscode.WorkspaceFolder | undefined): Promise<WorkerPool> {
    const settings = folder ? readSettings(folder) : undefined;
    const pipelineFile = settings && existsSync(settings.pipelineFile) ? settings.pipelineFile : undefined;
    const text = pipelineFile === undefined ? undefined : await readFile(pipelineFile, 'utf8').catch(() => undefined);
    const pipeline = pipelineFile === undefined || text === undefined ? undefined : { file: pipelineFile, text };
    const allowCustomModules = this.isTrusted();
    const fileTimeoutMs = settings?.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
    const prefix = `${pipelineFile ?? ''}|${allowCustomModules}|${this.logger.level}|${fileTimeoutMs}|`;
    const key = prefix + createHash('sha256').update(text ?? '').digest('hex');
    for (const [other, stale] of this.pools) {
      if (other === key || !other.startsWith(prefix)) continue;
      void stale.then(
        (p) => {
          if (p.busy > 0 || this.pools.get(other) !== stale) return; // a Process Folder… still uses it
          this.pools.delete(other);
          void p.close();
        },
        () => undefined,
      );
    }
    let pool = this.pools.get(key);
    if (!pool) {
      const created = new WorkerPool({
        size: Math.min(settings?.concurrency ?? 2, 4),
        settings: { pipeline, allowCustomModules, logLevel: this.logger.level },
        logger: this.logger,
        fileTimeoutMs,
      });
      pool = created.start().then(
        () => created,
        async (error: unknown) => {
          this.pools.delete(key);
          await created.close();
          throw error;
        },
      );
      this.pools.set(key, pool);
    }
    return pool;
  }
}

function toName(relative: string): string {
  return relative.split(path.sep).join('/');
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
