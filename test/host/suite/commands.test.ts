// The commands as a user runs them, against the real vscode API and the real filesystem.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compilePipelineText } from '../../../src/core/config/pipelineConfig';
import type { FileSummary } from '../../../src/core/summary';
import { COMMANDS } from '../../../src/extension/constants';
import type { FileflowApi } from '../../../src/extension/extension';
import { extensionApi, listNames, scratchFolder, waitFor, workspaceFolder } from './helpers';

/** The Fileflow log as the Output view shows it: a document of the `output` scheme. */
function shownLog(): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'output' && document.uri.path.includes('Fileflow'));
}

describe('commands', () => {
  let api: FileflowApi;
  let startedAt = 0;
  /** Failures a test expects (and checks itself). */
  let expectedFailures = 0;

  before(async () => {
    api = await extensionApi();
  });

  beforeEach(() => {
    startedAt = Date.now();
    expectedFailures = 0;
  });

  // The commands show their errors to the user and resolve: a failure is seen here, not in
  // executeCommand's promise.
  afterEach(() => {
    const failed = api.commandFailures.filter((failure) => failure.at >= startedAt);
    assert.equal(failed.length, expectedFailures, `commands failed: ${JSON.stringify(failed)}`);
  });

  it('Process Current File runs the editor text, unsaved edits included, into results/ without moving the file', async () => {
    const folder = workspaceFolder();
    const dir = await scratchFolder('current');
    const file = path.join(dir, 'edited.log');
    await writeFile(file, '2026-11-30 08:00:00 [INFO] Api: saved line\n');
    const document = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(document);
    await editor.edit((edit) => edit.insert(new vscode.Position(1, 0), '2026-11-30 08:00:05 [ERROR] Api: unsaved line\n'));
    assert.equal(document.isDirty, true);

    const summary = await vscode.commands.executeCommand<FileSummary>(COMMANDS.processCurrentFile);
    assert.equal(summary.status, 'processed');
    const name = path.relative(folder.uri.fsPath, file).split(path.sep).join('/');
    assert.equal(summary.name, name);
    const result = await readFile(path.join(folder.uri.fsPath, 'results', ...name.split('/')), 'utf8');
    assert.equal(result, `${name}:2: 2026-11-30 08:00:05 [ERROR] Api: unsaved line\n`);
    assert.ok(existsSync(file), 'the file stays where it is');
    assert.equal(await readFile(file, 'utf8'), '2026-11-30 08:00:00 [INFO] Api: saved line\n', 'the file on disk is untouched');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Process Folder… processes every file below a folder once, in place', async () => {
    const folder = workspaceFolder();
    const dir = await scratchFolder('folder');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'a.log'), 'x [WARN] a\n');
    await writeFile(path.join(dir, 'sub', 'b.log'), 'y [ERROR] b\n');
    await writeFile(path.join(dir, 'bin.dat'), Buffer.from([0x61, 0x00, 0x62]));
    await writeFile(path.join(dir, '.hidden'), 'x [WARN] hidden\n');

    const summaries = await vscode.commands.executeCommand<FileSummary[]>(COMMANDS.processFolder, vscode.Uri.file(dir));
    const byName = new Map(summaries.map((s) => [path.posix.basename(s.name), s]));
    assert.deepEqual([...byName.keys()].sort(), ['a.log', 'b.log', 'bin.dat']);
    assert.equal(byName.get('a.log')?.status, 'processed');
    assert.equal(byName.get('b.log')?.status, 'processed');
    assert.equal(byName.get('bin.dat')?.status, 'failed');
    assert.match(byName.get('bin.dat')?.error?.message ?? '', /binary/);
    const rel = path.relative(folder.uri.fsPath, dir).split(path.sep).join('/');
    assert.equal(await readFile(path.join(folder.uri.fsPath, 'results', ...rel.split('/'), 'sub', 'b.log'), 'utf8'), `${rel}/sub/b.log:1: y [ERROR] b\n`);
    assert.deepEqual(await listNames(dir), ['.hidden', 'a.log', 'bin.dat', 'sub/b.log'], 'nothing moved');
  });

  it('Open Pipeline Configuration creates a commented starter that is a valid pipeline file', async () => {
    const folder = workspaceFolder();
    const file = path.join(folder.uri.fsPath, 'fileflow.pipeline.json');
    await rm(file, { force: true });
    try {
      const opened = await vscode.commands.executeCommand(COMMANDS.openPipelineConfiguration);
      assert.equal(opened, file);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file);
      const text = await readFile(file, 'utf8');
      assert.match(text, /^\/\//, 'starts with a comment');
      const config = await compilePipelineText(text, file);
      assert.deepEqual([...config.pipelines.keys()], ['logs']);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      await rm(file, { force: true });
    }
  });

  it('Generate Sample Logs writes sample logs into the folder it is given', async () => {
    const dir = await scratchFolder('samples');
    const files = await vscode.commands.executeCommand<string[]>(COMMANDS.generateSampleLogs, vscode.Uri.file(dir));
    assert.equal(files.length, 10);
    const first = await readFile(files[0], 'utf8');
    assert.match(first, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( \[[A-Z]+\] \w+: |\|[A-Z]+\|\w+\|)/);
  });

  it('Show Log shows the Fileflow output channel', async () => {
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand(COMMANDS.showLog);
    await waitFor('the Output view to show the Fileflow log', shownLog, 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; open documents: ${vscode.workspace.textDocuments.map((d) => d.uri.toString()).join(', ')}`);
    });
  });

  it("Show Metrics opens the metrics panel, and it renders the watched folder's figures", async () => {
    api.metricsPanel()?.panel.dispose();
    const dir = await scratchFolder('show-metrics');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    try {
      await vscode.commands.executeCommand(COMMANDS.showMetrics);
      const panel = await waitFor('the metrics panel to open', () => api.metricsPanel());
      assert.equal(panel.panel.visible, true);
      const shown = await waitFor('the webview to render its first snapshot', () => panel.lastRendered);
      assert.deepEqual(shown, { processed: 0, failed: 0, inProgress: 0, queued: 0, linesIn: 0 });
      panel.panel.dispose();
      assert.equal(api.metricsPanel(), undefined);
    } finally {
      await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
    }
  });

  it('a command that fails tells the user and is recorded, not swallowed', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await vscode.commands.executeCommand(COMMANDS.processCurrentFile), undefined);
    const [failure] = api.commandFailures.filter((f) => f.at >= startedAt);
    assert.equal(failure?.command, COMMANDS.processCurrentFile);
    assert.match(failure.message, /Open a file in the editor first/);
    expectedFailures = 1;
  });
});
