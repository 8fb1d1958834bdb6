// The metrics panel end to end: the webview says `ready`, gets a snapshot, renders it, and
// reports back what it shows; the figures must match the engine's own snapshot after a known
// set of files. Also records the update message rate during a burst (for the performance notes).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/constants';
import type { FileflowApi } from '../../../src/extension/extension';
import type { QueueRoot } from '../../../src/extension/queueManager';
import { extensionApi, listNames, scratchFolder, waitFor } from './helpers';

describe('metrics panel', () => {
  let api: FileflowApi;

  before(async () => {
    api = await extensionApi();
  });

  it('opens, receives a snapshot, and shows the engine\'s numbers after a known set of files', async () => {
    const dir = await scratchFolder('metrics');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    const root = api.manager.get(dir) as QueueRoot;
    await vscode.commands.executeCommand(COMMANDS.showMetrics);
    const panel = await waitFor('the panel to open', () => api.metricsPanel());
    await waitFor('the webview to render a first snapshot', () => panel.lastRendered !== undefined);

    // 12 good files of 3 lines (1 warning each) and 2 binary files.
    for (let i = 0; i < 12; i++) {
      await writeFile(path.join(dir, 'unprocessed', `ok-${i}.log`), `a [INFO] x\nb [WARN] y${i}\nc [DEBUG] z\n`);
    }
    await writeFile(path.join(dir, 'unprocessed', 'bin-1.dat'), Buffer.from('x\0y'));
    await writeFile(path.join(dir, 'unprocessed', 'bin-2.dat'), Buffer.from('x\0y'));
    await waitFor('14 finished files', async () => (await listNames(path.join(dir, 'processed'))).length === 12 && (await listNames(path.join(dir, 'failed'))).length === 2);

    const engine = (root.queue as NonNullable<QueueRoot['queue']>).metrics.snapshot();
    assert.equal(engine.files.processed, 12);
    assert.equal(engine.files.failed, 2);
    assert.equal(engine.lines.in, 36); // binary files fail before their first line
    const shown = await waitFor('the webview to show 12 processed', () => (panel.lastRendered?.processed === 12 && panel.lastRendered.failed === 2 ? panel.lastRendered : undefined));
    assert.deepEqual(shown, { processed: engine.files.processed, failed: engine.files.failed, inProgress: 0, queued: 0, linesIn: engine.lines.in });

    // A restart (the pipeline file or a setting changed) keeps the counts: one more file
    // after it makes 13, in the engine and on screen.
    await api.manager.restartFolder(root.folder);
    const restarted = api.manager.get(dir) as QueueRoot;
    assert.notEqual(restarted.queue, root.queue, 'restartFolder should start a new queue');
    await writeFile(path.join(dir, 'unprocessed', 'ok-after.log'), 'a [ERROR] after\n');
    await waitFor('13 processed files', async () => (await listNames(path.join(dir, 'processed'))).length === 13);
    await waitFor('the webview to show 13 processed', () => panel.lastRendered?.processed === 13);
    assert.equal((restarted.queue as NonNullable<QueueRoot['queue']>).metrics.snapshot().lines.in, 37);
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });

  it('throttles updates during a burst (message rate written to test-results/host/metrics-panel-rate.json)', async () => {
    const dir = await scratchFolder('metrics-burst');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    const panel = api.metricsPanel() ?? (await waitFor('the panel', () => api.metricsPanel()));
    panel.panel.reveal();
    const before = panel.messagesSent;
    const started = Date.now();
    const files = 600;
    await Promise.all(Array.from({ length: files }, (_, i) => writeFile(path.join(dir, 'unprocessed', `f${i}.log`), `l [ERROR] ${i}\n`)));
    await waitFor(`${files} processed files`, async () => (await listNames(path.join(dir, 'processed'))).length === files, 120_000);
    const seconds = (Date.now() - started) / 1000;
    const messages = panel.messagesSent - before;
    const rate = messages / seconds;
    // ~3 queue events per file (detected, claimed, finished) would be 1,800 messages unthrottled.
    assert.ok(messages < files, `expected throttled updates, got ${messages} messages for ${files} files`);
    const out = path.resolve(__dirname, '../../../../test-results/host');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'metrics-panel-rate.json'), JSON.stringify({ files, seconds, messages, messagesPerSecond: Math.round(rate * 10) / 10 }, null, 2));
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });
});
