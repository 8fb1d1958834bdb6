// The fileflow.* settings: one table of every setting the extension reads, with its type and
// what a change to it does. Defaults live in package.json alone (VS Code fills them in), and
// equal the engine's (src/core/defaults.ts; a unit test checks). Most settings are
// resource-scoped, so each folder of a multi-root workspace has its own.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { workerCount } from '../core/defaults';
import { SECTION } from './constants';

/** The value each setting holds, by its key below `fileflow.`. */
interface SettingTypes {
  watchFolders: string[];
  pipelineFile: string;
  resultsFolder: string;
  concurrency: number;
  stabilityMs: number;
  ignore: string[];
  maxLineBytes: number;
  'retry.maxAttempts': number;
  usePolling: boolean;
  fileTimeoutSec: number;
  leaseSec: number;
  'http.enabled': boolean;
  'http.host': string;
  'http.port': number;
}

export type SettingKey = keyof SettingTypes;

/**
 * What a change of a setting does: `restore` starts and stops queue roots to match the list,
 * `restart` restarts the queue roots of the workspace folder it changed in (queues read their
 * settings once, at start), `http` restarts the HTTP API, `read` nothing (the setting is read
 * each time it is used).
 */
export type SettingEffect = 'restore' | 'restart' | 'http' | 'read';

/** Every fileflow.* setting the extension reads (package.json declares the same keys; a host test checks). */
export const SETTINGS: Readonly<Record<SettingKey, SettingEffect>> = {
  watchFolders: 'restore',
  pipelineFile: 'restart',
  resultsFolder: 'read',
  concurrency: 'restart',
  stabilityMs: 'restart',
  ignore: 'restart',
  maxLineBytes: 'restart',
  'retry.maxAttempts': 'restart',
  usePolling: 'restart',
  fileTimeoutSec: 'restart',
  leaseSec: 'restart',
  'http.enabled': 'http',
  'http.host': 'http',
  'http.port': 'http',
};

/** `fileflow.<key>`, as `affectsConfiguration` and the Settings editor know it. */
export function settingId(key: SettingKey): string {
  return `${SECTION}.${key}`;
}

/** Whether a configuration change touches a setting with this effect (in `folder`, when given). */
export function affects(event: vscode.ConfigurationChangeEvent, effect: SettingEffect, folder?: vscode.WorkspaceFolder): boolean {
  return (Object.keys(SETTINGS) as SettingKey[]).some((key) => SETTINGS[key] === effect && event.affectsConfiguration(settingId(key), folder?.uri));
}

/** A setting's value; package.json's default when nobody set it. */
function get<K extends SettingKey>(config: vscode.WorkspaceConfiguration, key: K): SettingTypes[K] {
  const value = config.get<SettingTypes[K]>(key);
  // VS Code fills in the default that package.json declares, so undefined means it declares none.
  if (value === undefined) throw new Error(`the setting ${settingId(key)} is not declared in package.json`);
  return value;
}

/**
 * A workspace folder's settings as the queue and single runs take them: `pipelineFile` and
 * `resultsFolder` absolute (the pipeline file may not exist), `concurrency` with 0 resolved
 * to one per CPU, `fileTimeoutMs` from fileflow.fileTimeoutSec (0 = no limit).
 */
export type FolderSettings = Pick<SettingTypes, 'watchFolders' | 'pipelineFile' | 'resultsFolder' | 'concurrency' | 'stabilityMs' | 'ignore' | 'maxLineBytes' | 'usePolling' | 'leaseSec'> & {
  maxAttempts: number;
  fileTimeoutMs: number;
};

export function readSettings(folder: vscode.WorkspaceFolder): FolderSettings {
  const config = vscode.workspace.getConfiguration(SECTION, folder.uri);
  const base = folder.uri.fsPath;
  return {
    watchFolders: get(config, 'watchFolders'),
    pipelineFile: path.resolve(base, get(config, 'pipelineFile')),
    resultsFolder: path.resolve(base, get(config, 'resultsFolder')),
    concurrency: workerCount(get(config, 'concurrency')),
    stabilityMs: get(config, 'stabilityMs'),
    ignore: get(config, 'ignore'),
    maxLineBytes: get(config, 'maxLineBytes'),
    maxAttempts: get(config, 'retry.maxAttempts'),
    usePolling: get(config, 'usePolling'),
    fileTimeoutMs: Math.max(0, get(config, 'fileTimeoutSec')) * 1000,
    leaseSec: Math.max(1, get(config, 'leaseSec')),
  };
}

export interface HttpSettings {
  enabled: boolean;
  host: string;
  port: number;
}

/** fileflow.http.* (window- and machine-scoped: one server per window). */
export function readHttpSettings(): HttpSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return { enabled: get(config, 'http.enabled'), host: get(config, 'http.host').trim(), port: get(config, 'http.port') };
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
