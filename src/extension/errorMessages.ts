// Turns engine errors into notifications a person can act on: the reason first (a
// configuration problem's message, not the file path), and a way out where there is one.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { ConfigError, errorMessage } from '../core/errors';
import { VSCODE_COMMANDS } from './constants';

/** One line: for a configuration error, its first problem and where it is. */
export function describeError(error: unknown): string {
  if (error instanceof ConfigError && error.issues.length > 0) {
    const [first] = error.issues;
    const more = error.issues.length > 1 ? vscode.l10n.t(' (+{0} more)', error.issues.length - 1) : '';
    return `${first.message} — ${path.basename(error.file)}${first.path ? ` ${first.path}` : ''}${more}`;
  }
  return errorMessage(error);
}

/** Shows an error; a refusal because of Restricted Mode offers to manage workspace trust. */
export function showError(prefix: string, error: unknown): void {
  const text = prefix ? `${prefix}: ${describeError(error)}` : describeError(error);
  const aboutTrust = /Restricted Mode|trusted workspace/.test(text);
  const manage = vscode.l10n.t('Manage Workspace Trust');
  void vscode.window.showErrorMessage(text, ...(aboutTrust ? [manage] : [])).then((choice) => {
    if (choice === manage) void vscode.commands.executeCommand(VSCODE_COMMANDS.manageTrust);
  });
}
