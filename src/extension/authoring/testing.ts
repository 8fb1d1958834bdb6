// The Testing view for pipeline files (docs/authoring.md): one item per pipeline file, one
// child per test at its place in the file; run one, a file's or all; a failed output shows
// expected against actual (TestMessage.diff). Tests run in a sample worker under the folder's
// fileflow.fileTimeoutSec, with the editor's text when the file is open (unsaved edits too);
// saving a file whose tests have run runs them again.

import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { readTests } from '../../core/authoring/pipelineTests';
import { SampleRunner } from '../../core/authoring/sampleRunner';
import { describeFailure } from '../../core/authoring/testReport';
import type { TestResult } from '../../core/authoring/testRunner';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { DEFAULT_FILE_TIMEOUT_MS, DEFAULT_PIPELINE_FILE } from '../../core/defaults';
import { TEST_CONTROLLER } from '../constants';
import { readSettings } from '../settings';
import { isPipelineDocument, parseDocumentTree, PIPELINE_FILE_SUFFIX, placeOf } from './pipelineDocuments';

export class PipelineTesting implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController(TEST_CONTROLLER, vscode.l10n.t('Fileflow pipeline tests'));
  private readonly disposables: vscode.Disposable[] = [this.controller];
  /** Files whose tests ran in this session: saving them runs them again. */
  private readonly ran = new Set<string>();
  /** Resolves when the first look for pipeline files is done. */
  readonly discovered: Promise<void>;

  constructor(private readonly logger: Logger) {
    this.controller.createRunProfile(vscode.l10n.t('Run'), vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
    this.controller.refreshHandler = () => this.discover();
    const watcher = vscode.workspace.createFileSystemWatcher(`**/{${DEFAULT_PIPELINE_FILE},*${PIPELINE_FILE_SUFFIX}}`);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => void this.refreshFile(uri)),
      watcher.onDidChange((uri) => void this.refreshFile(uri)),
      watcher.onDidDelete((uri) => this.controller.items.delete(uri.toString())),
      vscode.workspace.onDidOpenTextDocument((document) => {
        if (isPipelineDocument(document)) void this.refreshFile(document.uri);
      }),
      vscode.workspace.onDidSaveTextDocument((document) => void this.onSave(document)),
    );
    this.discovered = this.discover().catch((error: unknown) => this.logger.error('could not look for pipeline tests', error));
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** Finds every pipeline file in the workspace (the names above, and each folder's fileflow.pipelineFile). */
  async discover(): Promise<void> {
    const found = await vscode.workspace.findFiles(`**/{${DEFAULT_PIPELINE_FILE},*${PIPELINE_FILE_SUFFIX}}`, '**/node_modules/**');
    for (const folder of vscode.workspace.workspaceFolders ?? []) found.push(vscode.Uri.file(readSettings(folder).pipelineFile));
    const seen = new Set<string>();
    for (const uri of found) {
      if (seen.has(uri.toString())) continue;
      seen.add(uri.toString());
      await this.refreshFile(uri);
    }
  }

  /** (Re)reads a file's tests into its item; a file without tests has no item. */
  async refreshFile(uri: vscode.Uri): Promise<vscode.TestItem | undefined> {
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(uri);
    } catch {
      this.controller.items.delete(uri.toString());
      return undefined;
    }
    const raw: unknown = parseJsonc(document.getText(), [], { allowTrailingComma: true });
    const { tests } = readTests(raw, uri.fsPath);
    if (tests.length === 0) {
      this.controller.items.delete(uri.toString());
      return undefined;
    }
    const fileItem = this.controller.items.get(uri.toString()) ?? this.controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
    const tree = parseDocumentTree(document);
    const children: vscode.TestItem[] = [];
    for (const test of tests) {
      const id = `${uri.toString()}#${test.name}`;
      const item = fileItem.children.get(id) ?? this.controller.createTestItem(id, test.name, uri);
      item.range = placeOf(document, tree, test.path).range;
      children.push(item);
    }
    fileItem.children.replace(children);
    this.controller.items.add(fileItem);
    return fileItem;
  }

  /** Runs the given items (all when none), as the Testing view's Run does. */
  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(request);
    const byFile = new Map<string, { file: vscode.TestItem; only: Set<string> | undefined }>();
    const add = (item: vscode.TestItem): void => {
      const file = item.parent ?? item;
      const entry = byFile.get(file.id) ?? { file, only: new Set<string>() };
      if (item.parent === undefined) entry.only = undefined;
      else entry.only?.add(item.id);
      byFile.set(file.id, entry);
    };
    if (request.include) request.include.forEach(add);
    else this.controller.items.forEach(add);
    const excluded = new Set((request.exclude ?? []).map((item) => item.id));
    try {
      for (const { file, only } of byFile.values()) {
        if (token.isCancellationRequested || excluded.has(file.id)) continue;
        const items: vscode.TestItem[] = [];
        file.children.forEach((item) => {
          if ((only === undefined || only.has(item.id)) && !excluded.has(item.id)) items.push(item);
        });
        await this.runFile(run, file, items, token);
      }
    } finally {
      run.end();
    }
  }

  private async runFile(run: vscode.TestRun, file: vscode.TestItem, items: vscode.TestItem[], token: vscode.CancellationToken): Promise<void> {
    const uri = file.uri as vscode.Uri;
    this.ran.add(uri.toString());
    for (const item of items) run.enqueued(item);
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const runner = new SampleRunner({ timeoutMs: folder ? readSettings(folder).fileTimeoutMs : DEFAULT_FILE_TIMEOUT_MS, background: true });
    const cancel = token.onCancellationRequested(() => void runner.dispose());
    try {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      const loaded = await runner.load({ file: uri.fsPath, text: open?.getText(), allowCustomModules: vscode.workspace.isTrusted }, true);
      if (!loaded.ok) {
        const message = new vscode.TestMessage(loaded.message);
        message.location = new vscode.Location(uri, new vscode.Position(0, 0));
        for (const item of items) run.errored(item, message);
        return;
      }
      for (const item of items) {
        if (token.isCancellationRequested) {
          run.skipped(item);
          continue;
        }
        const test = loaded.tests.find((t) => `${uri.toString()}#${t.name}` === item.id);
        if (!test) {
          run.skipped(item); // renamed or removed since the view was refreshed
          continue;
        }
        run.started(item);
        const result = await runner.test(test);
        if (result.passed) run.passed(item, result.durationMs);
        else run.failed(item, failureMessages(result, new vscode.Location(uri, item.range ?? new vscode.Position(0, 0))), result.durationMs);
      }
    } catch (error) {
      if (!token.isCancellationRequested) {
        const message = new vscode.TestMessage(errorMessage(error));
        for (const item of items) run.errored(item, message);
      }
    } finally {
      cancel.dispose();
      await runner.dispose();
    }
  }

  private async onSave(document: vscode.TextDocument): Promise<void> {
    if (!isPipelineDocument(document)) return;
    const item = await this.refreshFile(document.uri);
    if (item && this.ran.has(document.uri.toString())) {
      const source = new vscode.CancellationTokenSource();
      await this.run(new vscode.TestRunRequest([item]), source.token).finally(() => source.dispose());
    }
  }
}

/** One message per way the test failed; a different output as expected-against-actual. */
export function failureMessages(result: TestResult, location: vscode.Location): vscode.TestMessage[] {
  return result.failures.map((failure) => {
    const text = describeFailure(failure).join('\n');
    const message =
      failure.key === 'output'
        ? vscode.TestMessage.diff(vscode.l10n.t('The output differs from expect.output'), failure.expected.join('\n'), failure.actual.join('\n'))
        : new vscode.TestMessage(text);
    message.location = location;
    return message;
  });
}
