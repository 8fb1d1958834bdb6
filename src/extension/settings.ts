// The fileflow.* settings of one workspace folder (most are resource-scoped, so each folder
// of a multi-root workspace has its own).

import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SECTION } from './constants';

export interface FolderSettings {
  watchFolders: string[];
  /** Absolute path of the pipeline file setting (it may not exist). */
  pipelineFile: string;
  /** Absolute path of the results folder for single runs. */
  resultsFolder: string;
  concurrency: number;
  stabilityMs: number;
  ignore: string[];
  maxLineBytes: number;
  maxAttempts: number;
  usePolling: boolean;
  /** fileflow.fileTimeoutSec in milliseconds; 0 = no limit. */
  fileTimeoutMs: number;
  leaseSec: number;
}

export function readSettings(folder: vscode.WorkspaceFolder): FolderSettings {
  const config = vscode.workspace.getConfiguration(SECTION, folder.uri);
  const base = folder.uri.fsPath;
  const concurrency = config.get<number>('concurrency', 0);
  return {
    watchFolders: config.get<string[]>('watchFolders', []),
    pipelineFile: path.resolve(base, config.get<string>('pipelineFile', 'fileflow.pipeline.json')),
    resultsFolder: path.resolve(base, config.get<string>('resultsFolder', 'results')),
    concurrency: concurrency > 0 ? concurrency : availableParallelism(),
    stabilityMs: config.get<number>('stabilityMs', 500),
    ignore: config.get<string[]>('ignore', []),
    maxLineBytes: config.get<number>('maxLineBytes', 1024 * 1024),
    maxAttempts: config.get<number>('retry.maxAttempts', 3),
    usePolling: config.get<boolean>('usePolling', false),
    fileTimeoutMs: Math.max(0, config.get<number>('fileTimeoutSec', 600)) * 1000,
    leaseSec: Math.max(1, config.get<number>('leaseSec', 30)),
  };
}

/** How a queue root is written in fileflow.watchFolders: relative to the folder when inside it. */
export function settingPathFor(folder: vscode.WorkspaceFolder, root: string): string {
  const relative = path.relative(folder.uri.fsPath, root);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? root : relative.split(path.sep).join('/');
}

export async function writeWatchFolders(folder: vscode.WorkspaceFolder, entries: string[]): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION, folder.uri);
  await config.update('watchFolders', entries, vscode.ConfigurationTarget.WorkspaceFolder);
}
