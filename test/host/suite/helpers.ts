// Shared by the host suites: the extension's API, polling with a deadline, scratch folders
// inside the test workspace.

import { mkdir, readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../../src/core/errors';
import type { FileflowApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'fileflow.fileflow';

export async function extensionApi(): Promise<FileflowApi> {
  const extension = vscode.extensions.getExtension<FileflowApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed`);
  const api = await extension.activate();
  await api.ready;
  return api;
}

export function workspaceFolder(index = 0): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[index];
  if (!folder) throw new Error(`the test workspace has no folder ${index}`);
  return folder;
}

/** A fresh, empty folder inside the first workspace folder. */
export async function scratchFolder(name: string, index = 0): Promise<string> {
  const dir = path.join(workspaceFolder(index).uri.fsPath, 'scratch', `${name}-${Date.now()}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${errorMessage(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A tree item's label as text (a label may be a string or a TreeItemLabel). */
export function labelOf(item: vscode.TreeItem): string | undefined {
  return typeof item.label === 'object' ? item.label.label : item.label;
}

export async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => !entry.isDirectory())
      .map((entry) => path.relative(dir, path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).split(path.sep).join('/'))
      .sort();
  } catch {
    return [];
  }
}
