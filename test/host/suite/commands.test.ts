// The commands as a user runs them, against the real vscode API and the real filesystem.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compilePipelineText } from '../../../src/core/config/pipelineConfig';
import type { FileSummary } from '../../../src/core/summary';
import { COMMANDS } from '../../../src/extension/constants';
import { extensionApi, listNames, scratchFolder, workspaceFolder } from './helpers';

describe('commands', () => {
  before(async () => {
    await extensionApi();
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

    const summary = (await vscode.commands.executeCommand(COMMANDS.processCurrentFile)) as FileSummary;
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

    const summaries = (await vscode.commands.executeCommand(COMMANDS.processFolder, vscode.Uri.file(dir))) as FileSummary[];
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
    const files = (await vscode.commands.executeCommand(COMMANDS.generateSampleLogs, vscode.Uri.file(dir))) as string[];
    assert.equal(files.length, 10);
    const first = await readFile(files[0], 'utf8');
    assert.match(first, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( \[[A-Z]+\] \w+: |\|[A-Z]+\|\w+\|)/);
  });

  it('Show Log and Show Metrics run', async () => {
    await vscode.commands.executeCommand(COMMANDS.showLog);
    await vscode.commands.executeCommand(COMMANDS.showMetrics);
  });
});
