// Every problem `fileflow validate` finds in a pipeline file, as a diagnostic at the range of
// its JSON path, updated as you type (docs/authoring.md). The check runs in a sample worker
// (custom modules load there, only in a trusted workspace), never on the extension host's
// main thread. Problems the JSON Schema finds are left to VS Code's JSON service where it
// checks the file with the schema (package.json jsonValidation), so nothing is reported twice;
// "did you mean" hints become quick fixes either way.

import * as vscode from 'vscode';
import type { ConfigIssue } from '../../core/errors';
import { SampleRunner } from '../../core/authoring/sampleRunner';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { settingId } from '../settings';
import { coveredBySchema, isPipelineDocument, parseDocumentTree, placeOf } from './pipelineDocuments';

export const DIAGNOSTIC_SOURCE = 'fileflow';
const DEBOUNCE_MS = 200;
/** Checking includes loading custom modules; one stuck loading must not stall the checks for good. */
const CHECK_TIMEOUT_MS = 10_000;

interface Fix {
  range: vscode.Range;
  replacement: string;
  title: string;
}

export class PipelineDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];

  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly runner = new SampleRunner({ timeoutMs: CHECK_TIMEOUT_MS, background: true });
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly fixes = new Map<string, Fix[]>();
  private readonly checkedVersions = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were (re)computed. */
  readonly onDidCheck = this.changed.event;

  constructor(private readonly logger: Logger) {
    this.disposables.push(
      this.collection,
      this.changed,
      vscode.languages.registerCodeActionsProvider([{ scheme: 'file', language: 'json' }, { scheme: 'file', language: 'jsonc' }], this, {
        providedCodeActionKinds: PipelineDiagnostics.providedCodeActionKinds,
      }),
      vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidChangeTextDocument((event) => this.schedule(event.document, DEBOUNCE_MS)),
      vscode.workspace.onDidSaveTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.checkAll()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(settingId('pipelineFile'))) this.checkAll();
      }),
    );
    this.checkAll();
  }

  /** Whether the document's current text has been checked (its diagnostics are up to date). */
  checked(uri: vscode.Uri): boolean {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return document !== undefined && this.checkedVersions.get(uri.toString()) === document.version;
  }

  /** Checks every open pipeline document again. */
  checkAll(): void {
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const fix of this.fixes.get(document.uri.toString()) ?? []) {
      if (!fix.range.intersection(range)) continue;
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(document.uri, fix.range, fix.replacement);
      action.diagnostics = context.diagnostics.filter((d) => d.range.intersection(fix.range) !== undefined);
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const disposable of this.disposables) disposable.dispose();
    void this.runner.dispose();
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (!isPipelineDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.check(document);
      }, delay),
    );
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.fixes.delete(key);
    this.checkedVersions.delete(key);
    this.collection.delete(uri);
  }

  /** One check per document at a time; edits made meanwhile get one more check when it ends. */
  private async check(document: vscode.TextDocument): Promise<void> {
    const key = document.uri.toString();
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    this.running.add(key);
    try {
      const version = document.version;
      const text = document.getText();
      const outcome = await this.runner.load({ file: document.uri.fsPath, text, allowCustomModules: vscode.workspace.isTrusted }, true).catch((error: unknown) => ({
        ok: false as const,
        stage: 'semantic' as const,
        message: String(error),
        issues: [{ path: '', message: `the pipeline could not be checked: ${errorMessage(error)}` }],
      }));
      if (document.isClosed || document.version !== version) return; // a newer check follows
      const issues = outcome.ok ? [] : outcome.stage === 'json' ? [] : outcome.issues; // VS Code reports JSON syntax errors itself
      const shown = outcome.ok || outcome.stage !== 'schema' || !coveredBySchema(document.uri);
      this.publish(document, issues, shown);
    } catch (error) {
      this.logger.error(`could not check ${document.uri.fsPath}`, error);
    } finally {
      this.running.delete(key);
      if (this.again.delete(key) && !document.isClosed) this.schedule(document, 0);
      this.changed.fire(document.uri);
    }
  }

  private publish(document: vscode.TextDocument, issues: ConfigIssue[], shown: boolean): void {
    const tree = parseDocumentTree(document);
    const diagnostics: vscode.Diagnostic[] = [];
    const fixes: Fix[] = [];
    for (const issue of issues) {
      const place = placeOf(document, tree, issue.path, issue.message.startsWith('unknown property'));
      if (shown) {
        const diagnostic = new vscode.Diagnostic(place.range, issue.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = DIAGNOSTIC_SOURCE;
        diagnostic.code = issue.path || '/';
        diagnostics.push(diagnostic);
      }
      const suggestion = /\(did you mean "([^"]+)"\?\)/.exec(issue.message)?.[1];
      if (suggestion !== undefined && place.exact && place.node.type === 'string') {
        fixes.push({ range: place.range, replacement: JSON.stringify(suggestion), title: vscode.l10n.t('Change to "{0}"', suggestion) });
      }
    }
    this.collection.set(document.uri, diagnostics);
    this.fixes.set(document.uri.toString(), fixes);
    this.checkedVersions.set(document.uri.toString(), document.version);
  }
}
