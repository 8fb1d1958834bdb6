// Preview Pipeline (docs/authoring.md): the result of running the pipeline being edited over a
// sample (the active log file, a picked file, or a test's input), in a read-only document
// beside it, recomputed on every edit (debounced, in a sample worker, under the folder's time
// limit, never on the extension host's main thread). Hovering an output line shows the nodes
// it passed through and its input line; CodeLenses in the pipeline show each node's lines in
// and out for the sample; a broken pipeline shows its problems instead of a stale result.

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { readTests, testInput } from '../../core/authoring/pipelineTests';
import { SampleRunner, SampleTimeoutError, traceAt, type SampleData, type SampleRun } from '../../core/authoring/sampleRunner';
import { errorMessage, formatConfigIssues } from '../../core/errors';
import { DEFAULT_FILE_TIMEOUT_MS } from '../../core/defaults';
import type { Logger } from '../../core/logger';
import { COMMANDS, CONTEXT_KEYS, VSCODE_COMMANDS } from '../constants';
import { readSettings } from '../settings';
import { isPipelineDocument, parseDocumentTree, placeOf } from './pipelineDocuments';

export const PREVIEW_SCHEME = 'fileflow-preview';
export const PREVIEW_COMMAND = COMMANDS.previewPipeline;
const DEBOUNCE_MS = 150;
/**
 * After an edit the preview waits DEBOUNCE_MS, or as long as its last run took when that was
 * longer (up to this): a big sample is not run again on every keystroke while someone types,
 * which would keep a core busy for results nobody sees.
 */
const MAX_DEBOUNCE_MS = 1000;
/**
 * The preview shows this many output lines at most (the per-node counts cover the whole
 * sample). The whole text goes to the workbench on every update (compressed, over the remote
 * connection in Remote and web windows), on the extension host's thread: more lines would make
 * typing with a big sample previewed cost the host real time.
 */
export const PREVIEW_MAX_LINES = 1000;

/** What a preview runs the pipeline over. */
export type PreviewSample = { kind: 'editor'; uri: string } | { kind: 'file'; path: string } | { kind: 'test'; index: number };

function isPreviewSample(value: unknown): value is PreviewSample {
  if (typeof value !== 'object' || value === null) return false;
  const sample = value as Record<string, unknown>;
  return (
    (sample.kind === 'editor' && typeof sample.uri === 'string') ||
    (sample.kind === 'file' && typeof sample.path === 'string') ||
    (sample.kind === 'test' && typeof sample.index === 'number')
  );
}

/** One preview: a pipeline document, its sample, the latest result. */
export class Preview {
  readonly uri: vscode.Uri;
  text = '';
  run: SampleRun | undefined;
  /** Problems of the pipeline (or the sample) when there is no result. */
  problem: string | undefined;
  /** Counts the results shown, for tests and the bench. */
  updates = 0;
  /** The pipeline document version the result is of. */
  version = -1;
  sampleName = '';
  readonly runner: SampleRunner;
  timer: NodeJS.Timeout | undefined;
  running = false;
  again = false;
  keptKey: string | undefined;

  constructor(
    readonly pipeline: vscode.Uri,
    public sample: PreviewSample,
    timeoutMs: number,
  ) {
    this.uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${path.basename(pipeline.fsPath)} (preview)`, query: pipeline.toString() });
    this.runner = new SampleRunner({ timeoutMs, background: true });
  }
}

export class PipelinePreviews implements vscode.Disposable, vscode.TextDocumentContentProvider, vscode.HoverProvider, vscode.CodeLensProvider {
  private readonly previews = new Map<string, Preview>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly updated = new vscode.EventEmitter<Preview>();
  /** Fires each time a preview shows a new result (or problem). */
  readonly onDidUpdate = this.updated.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly logger: Logger) {
    this.disposables.push(
      this.changed,
      this.updated,
      this.lensesChanged,
      vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, this),
      vscode.languages.registerHoverProvider({ scheme: PREVIEW_SCHEME }, this),
      vscode.languages.registerCodeLensProvider([{ scheme: 'file', language: 'json' }, { scheme: 'file', language: 'jsonc' }], this),
      // From the editor title VS Code passes the file's URI and an editor-group context: only a real sample counts.
      vscode.commands.registerCommand(PREVIEW_COMMAND, (target?: unknown, sample?: unknown) => this.open(target instanceof vscode.Uri ? target : undefined, isPreviewSample(sample) ? sample : undefined)),
      vscode.workspace.onDidChangeTextDocument((event) => this.onEdit(event.document)),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.uri.scheme === PREVIEW_SCHEME) this.close(document.uri.query);
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.setContext(editor)),
    );
    this.setContext(vscode.window.activeTextEditor);
  }

  dispose(): void {
    for (const preview of this.previews.values()) this.stop(preview);
    this.previews.clear();
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** The preview of a pipeline file, while it is open. */
  get(pipeline: vscode.Uri): Preview | undefined {
    return this.previews.get(pipeline.toString());
  }

  /**
   * Opens (or re-targets) the preview of a pipeline file beside it. Without a sample: the
   * visible log file if there is one, else a choice of a file or a test's input.
   */
  async open(target?: vscode.Uri, sample?: PreviewSample): Promise<Preview | undefined> {
    const pipeline = target ?? vscode.window.activeTextEditor?.document.uri;
    if (!pipeline) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a pipeline file to preview it.'));
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(pipeline);
    const chosen = sample ?? (await this.chooseSample(document));
    if (!chosen) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(pipeline);
    let preview = this.previews.get(pipeline.toString());
    if (preview) {
      preview.sample = chosen;
      preview.keptKey = undefined;
    } else {
      preview = new Preview(pipeline, chosen, folder ? readSettings(folder).fileTimeoutMs : DEFAULT_FILE_TIMEOUT_MS);
      this.previews.set(pipeline.toString(), preview);
    }
    await this.compute(preview);
    const shown = await vscode.workspace.openTextDocument(preview.uri);
    await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
    return preview;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.previews.get(uri.query)?.text ?? '';
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const preview = this.previews.get(document.uri.query);
    const trace = preview?.run ? traceAt(preview.run, position.line) : undefined;
    if (!preview || !trace) return undefined;
    const markdown = new vscode.MarkdownString();
    markdown.appendMarkdown(vscode.l10n.t('**Input line {0}** of {1}', trace.n, preview.sampleName));
    markdown.appendMarkdown('\n\n');
    markdown.appendCodeblock([...trace.path, 'end'].join(' → '), 'text');
    return new vscode.Hover(markdown, document.lineAt(position.line).range);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isPipelineDocument(document)) return [];
    const lenses: vscode.CodeLens[] = [];
    const tree = parseDocumentTree(document);
    // Above each test: preview with its input.
    const raw: unknown = parseJsonc(document.getText(), [], { allowTrailingComma: true });
    for (const test of readTests(raw, document.uri.fsPath).tests) {
      const range = placeOf(document, tree, test.path).range;
      lenses.push(
        new vscode.CodeLens(range, {
          title: vscode.l10n.t('Preview with this input'),
          command: PREVIEW_COMMAND,
          arguments: [document.uri, { kind: 'test', index: test.index } satisfies PreviewSample],
        }),
      );
    }
    // Above each node, while previewed: its lines in and out for the sample.
    const run = this.previews.get(document.uri.toString())?.run;
    if (run) {
      const pipelineAt = run.summary.pipeline === 'default' || run.summary.pipeline === null ? '' : `/pipelines/${run.summary.pipeline.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      for (const [node, stats] of Object.entries(run.summary.nodes)) {
        const place = placeOf(document, tree, `${pipelineAt}/nodes/${node.replace(/~/g, '~0').replace(/\//g, '~1')}`);
        if (!place.exact) continue;
        lenses.push(new vscode.CodeLens(place.range, { title: vscode.l10n.t('{0} in → {1} out', stats.in, stats.out), command: '' }));
      }
    }
    return lenses;
  }

  private setContext(editor: vscode.TextEditor | undefined): void {
    void vscode.commands.executeCommand(VSCODE_COMMANDS.setContext, CONTEXT_KEYS.pipelineEditor, editor !== undefined && isPipelineDocument(editor.document));
  }

  private async chooseSample(pipeline: vscode.TextDocument): Promise<PreviewSample | undefined> {
    const logEditor = [vscode.window.activeTextEditor, ...vscode.window.visibleTextEditors].find(
      (editor) => editor !== undefined && editor.document.uri.scheme !== PREVIEW_SCHEME && !isPipelineDocument(editor.document) && editor.document.uri.toString() !== pipeline.uri.toString(),
    );
    if (logEditor) return { kind: 'editor', uri: logEditor.document.uri.toString() };
    const raw: unknown = parseJsonc(pipeline.getText(), [], { allowTrailingComma: true });
    const tests = readTests(raw, pipeline.uri.fsPath).tests;
    type Pick = vscode.QuickPickItem & { sample?: PreviewSample };
    const picks: Pick[] = [
      { label: vscode.l10n.t('$(file) Choose a file…') },
      ...tests.map((test): Pick => ({ label: `$(beaker) ${test.name}`, description: vscode.l10n.t("the test's input"), sample: { kind: 'test', index: test.index } })),
    ];
    const picked = tests.length === 0 ? picks[0] : await vscode.window.showQuickPick(picks, { placeHolder: vscode.l10n.t('Preview the pipeline over…') });
    if (!picked) return undefined;
    if (picked.sample) return picked.sample;
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Preview'), defaultUri: vscode.workspace.getWorkspaceFolder(pipeline.uri)?.uri });
    return files?.[0] ? { kind: 'file', path: files[0].fsPath } : undefined;
  }

  private onEdit(document: vscode.TextDocument): void {
    for (const preview of this.previews.values()) {
      const isPipeline = document.uri.toString() === preview.pipeline.toString();
      const isSample = preview.sample.kind === 'editor' && preview.sample.uri === document.uri.toString();
      if (!isPipeline && !isSample) continue;
      if (isSample) preview.keptKey = undefined;
      clearTimeout(preview.timer);
      const delay = Math.min(MAX_DEBOUNCE_MS, Math.max(DEBOUNCE_MS, Math.round(preview.run?.durationMs ?? 0)));
      preview.timer = setTimeout(() => void this.compute(preview), delay);
    }
  }

  /** One computation per preview at a time; edits meanwhile get one more when it ends. */
  async compute(preview: Preview): Promise<void> {
    if (preview.running) {
      preview.again = true;
      return;
    }
    preview.running = true;
    try {
      const document = await vscode.workspace.openTextDocument(preview.pipeline);
      const version = document.version;
      const loaded = await preview.runner.load({ file: preview.pipeline.fsPath, text: document.getText(), allowCustomModules: vscode.workspace.isTrusted }, false);
      if (!loaded.ok) {
        this.show(preview, version, undefined, `${vscode.l10n.t('The pipeline has problems, so there is no result:')}\n\n${formatConfigIssues(path.basename(preview.pipeline.fsPath), loaded.issues)}\n`);
        return;
      }
      const sample = await this.sampleInput(preview, loaded.tests);
      if (sample.key !== preview.keptKey && sample.data) {
        await preview.runner.keep(sample.key, sample.data);
        preview.keptKey = sample.key;
      }
      preview.sampleName = sample.name;
      const run = await preview.runner.run(sample.name, { key: sample.key }, { trace: true, maxLines: PREVIEW_MAX_LINES });
      this.show(preview, version, run, undefined);
    } catch (error) {
      const message = error instanceof SampleTimeoutError ? vscode.l10n.t('The sample took longer than the time limit (fileflow.fileTimeoutSec) and was stopped: a processor may be stuck.') : errorMessage(error);
      if (error instanceof SampleTimeoutError) preview.keptKey = undefined; // the new worker has the sample replayed, but be safe
      this.show(preview, -1, undefined, `${message}\n`);
      if (!(error instanceof SampleTimeoutError)) this.logger.warn(`preview of ${preview.pipeline.fsPath}: ${message}`);
    } finally {
      preview.running = false;
      if (preview.again && this.previews.has(preview.pipeline.toString())) {
        preview.again = false;
        void this.compute(preview);
      }
    }
  }

  /** The preview's sample: its data only when the worker does not hold it already. */
  private async sampleInput(preview: Preview, tests: Awaited<ReturnType<typeof readTests>>['tests']): Promise<{ key: string; name: string; data?: SampleData }> {
    const sample = preview.sample;
    switch (sample.kind) {
      case 'editor': {
        // The editor's text, as Process Current File takes it: already decoded.
        const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === sample.uri) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(sample.uri)));
        const key = `editor:${sample.uri}@${document.version}`;
        const name = path.basename(document.uri.fsPath);
        return { key, name, ...(key === preview.keptKey ? {} : { data: { text: document.getText() } }) };
      }
      case 'file': {
        // A picked file's bytes, read as the queue reads them (gzip, encodings).
        const key = `file:${sample.path}`;
        return { key, name: path.basename(sample.path), ...(key === preview.keptKey ? {} : { data: { bytes: await readFile(sample.path) } }) };
      }
      case 'test': {
        const test = tests.find((t) => t.index === sample.index);
        if (!test) throw new Error(vscode.l10n.t('The pipeline file has no test {0} any more.', sample.index + 1));
        const data = await testInput(test);
        const identity = 'text' in data ? `text:${data.text}` : `bytes:${data.bytes.toString('base64')}`;
        return { key: `test:${test.index}:${identity}`, name: test.file, data };
      }
    }
  }

  private show(preview: Preview, version: number, run: SampleRun | undefined, problem: string | undefined): void {
    preview.run = run;
    preview.problem = problem;
    preview.version = version;
    let text: string;
    if (run) {
      text = run.text;
      if (run.summary.status === 'failed') {
        text = `${vscode.l10n.t('The sample failed: {0}', run.summary.error?.message ?? '')}\n`;
        preview.run = { ...run, text: '', lineCount: 0, traces: undefined };
      } else if (run.totalLines > run.lineCount) {
        text += `${vscode.l10n.t('… {0} more lines (the preview shows the first {1})', run.totalLines - run.lineCount, run.lineCount)}\n`;
      }
    } else {
      text = problem ?? '';
    }
    const changed = text !== preview.text;
    preview.text = text;
    preview.updates++;
    // An edit that changes nothing in the result (a test's name, a comment) costs no transfer.
    if (changed) this.changed.fire(preview.uri);
    this.lensesChanged.fire();
    this.updated.fire(preview);
  }

  private close(pipeline: string): void {
    const preview = this.previews.get(pipeline);
    if (!preview) return;
    this.stop(preview);
    this.previews.delete(pipeline);
    this.lensesChanged.fire();
  }

  private stop(preview: Preview): void {
    clearTimeout(preview.timer);
    void preview.runner.dispose();
  }
}
