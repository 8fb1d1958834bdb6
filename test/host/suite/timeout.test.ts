// fileflow.fileTimeoutSec: the extension reads the setting and hands it to the queues and to
// single runs, so a stuck processor fails its file instead of holding a worker for good.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { silentLogger } from '../../../src/core/logger';
import type { FileSummary } from '../../../src/core/summary';
import { COMMANDS } from '../../../src/extension/constants';
import { SingleRunner } from '../../../src/extension/singleRuns';
import { extensionApi, listNames, scratchFolder, waitFor, workspaceFolder } from './helpers';

// Never returns from a line containing HANG (a stuck custom processor).
const HANG_MODULE = 'exports.createProcessor = () => ({ process(line, ctx) { if (line.includes("HANG")) for (;;) {} ctx.emit(line); } });\n';

describe('fileflow.fileTimeoutSec', () => {
  let dir: string;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('fileflow', workspaceFolder().uri);

  before(async () => {
    await extensionApi();
    dir = await scratchFolder('timeout');
    await writeFile(path.join(dir, 'hang.js'), HANG_MODULE);
    await writeFile(path.join(dir, 'hang.pipeline.json'), JSON.stringify({ nodes: { start: { use: { module: './hang.js' } } } }));
    const relative = path.relative(workspaceFolder().uri.fsPath, path.join(dir, 'hang.pipeline.json'));
    await config().update('pipelineFile', relative, vscode.ConfigurationTarget.WorkspaceFolder);
    await config().update('fileTimeoutSec', 1, vscode.ConfigurationTarget.WorkspaceFolder);
  });

  after(async () => {
    await config().update('fileTimeoutSec', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    await config().update('pipelineFile', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
  });

  it('a watched folder fails a stuck file after the limit, with the reason, and goes on', async () => {
    const root = await scratchFolder('timeout-queue');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(root));
    try {
      await writeFile(path.join(root, 'unprocessed', 'stuck.log'), 'HANG\n');
      await waitFor('stuck.log in failed/', async () => (await listNames(path.join(root, 'failed'))).includes('stuck.log'));
      const summary = JSON.parse(await readFile(path.join(root, 'results', 'stuck.log.summary.json'), 'utf8')) as FileSummary;
      assert.equal(summary.error?.code, 'EPROCESSOR');
      assert.match(summary.error?.message ?? '', /^processing took longer than 1 s and was stopped/);
      await writeFile(path.join(root, 'unprocessed', 'fine.log'), 'fine\n');
      await waitFor('fine.log in processed/', async () => (await listNames(path.join(root, 'processed'))).includes('fine.log'));
    } finally {
      await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(root));
    }
  });

  it('Process Current File on stuck text ends as a failed run with the reason', async () => {
    const runner = new SingleRunner(silentLogger, () => true);
    try {
      await writeFile(path.join(dir, 'stuck.txt'), 'first\nHANG\n');
      const document = await vscode.workspace.openTextDocument(path.join(dir, 'stuck.txt'));
      const run = await runner.processDocument(document);
      assert.equal(run.summary.status, 'failed');
      assert.equal(run.summary.error?.code, 'EPROCESSOR');
      assert.match(run.summary.error?.message ?? '', /^processing took longer than 1 s and was stopped/);
    } finally {
      runner.dispose();
    }
  });
});
