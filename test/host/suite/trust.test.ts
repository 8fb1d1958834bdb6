// Workspace trust: custom processor modules run workspace code, so they are loaded only when
// the workspace is trusted. The runner takes trust from a function (vscode.workspace.isTrusted
// in the extension); here both answers are exercised with a real pipeline file and module.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { silentLogger } from '../../../src/core/logger';
import { SingleRunner } from '../../../src/extension/singleRuns';
import { extensionApi, scratchFolder, workspaceFolder } from './helpers';

describe('workspace trust', () => {
  let dir: string;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('fileflow', workspaceFolder().uri);

  before(async () => {
    await extensionApi();
    dir = await scratchFolder('trust');
    await writeFile(
      path.join(dir, 'shout.js'),
      'exports.createProcessor = (o) => ({ process(line, ctx) { ctx.emit(line.toUpperCase() + o.suffix); } });\n',
    );
    await writeFile(
      path.join(dir, 'custom.pipeline.json'),
      JSON.stringify({ nodes: { start: { use: { module: './shout.js' }, with: { suffix: '!' } } } }),
    );
    await writeFile(path.join(dir, 'in.txt'), 'hello\n');
    const relative = path.relative(workspaceFolder().uri.fsPath, path.join(dir, 'custom.pipeline.json'));
    await config().update('pipelineFile', relative, vscode.ConfigurationTarget.WorkspaceFolder);
  });

  after(async () => {
    await config().update('pipelineFile', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
  });

  it('refuses a pipeline with a custom module in Restricted Mode, saying why', async () => {
    const runner = new SingleRunner(silentLogger, () => false);
    try {
      const document = await vscode.workspace.openTextDocument(path.join(dir, 'in.txt'));
      await assert.rejects(runner.processDocument(document), /trusted workspace[\s\S]*Restricted Mode/);
    } finally {
      runner.dispose();
    }
  });

  it('loads the custom module in a trusted workspace', async () => {
    const runner = new SingleRunner(silentLogger, () => true);
    try {
      const document = await vscode.workspace.openTextDocument(path.join(dir, 'in.txt'));
      const run = await runner.processDocument(document);
      assert.equal(run.summary.status, 'processed');
      assert.equal(run.summary.linesOut, 1);
    } finally {
      runner.dispose();
    }
  });
});
