// Shared by the authoring suites: open a pipeline file with given content, find the offset of
// a piece of its text, wait for Fileflow's diagnostics.

import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from '../suite/helpers';

export { extensionApi, scratchFolder, waitFor, workspaceFolder } from '../suite/helpers';

export async function openPipeline(file: string, content: string): Promise<{ document: vscode.TextDocument; editor: vscode.TextEditor }> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  const document = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(document);
  return { document, editor };
}

/** The range of the `nth` occurrence (from 0) of `needle` in the document. */
export function rangeOfText(document: vscode.TextDocument, needle: string, nth = 0): vscode.Range {
  const text = document.getText();
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at === -1) throw new Error(`"${needle}" (#${nth}) is not in ${document.uri.fsPath}`);
  }
  return new vscode.Range(document.positionAt(at), document.positionAt(at + needle.length));
}

export function fileflowDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'fileflow');
}

/** Waits until Fileflow's diagnostics of `uri` satisfy `check`. */
export function waitForDiagnostics(uri: vscode.Uri, what: string, check: (diagnostics: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  return waitFor(what, () => {
    const diagnostics = fileflowDiagnostics(uri);
    return check(diagnostics) ? diagnostics : undefined;
  });
}

/** Closes every editor, dropping unsaved edits. */
export async function closeEditors(): Promise<void> {
  for (let i = 0; i < 20 && vscode.window.visibleTextEditors.length > 0; i++) {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
