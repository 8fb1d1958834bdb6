// Watching folders: the queue runs in the extension host (processing in workers), the watch
// list is persisted in the workspace folder's settings, the tree shows files by state.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileflowApi } from '../../../src/extension/extension';
import { COMMANDS } from '../../../src/extension/constants';
import type { QueueRoot } from '../../../src/extension/queueManager';
import type { FileflowNode } from '../../../src/extension/treeView';
import { extensionApi, labelOf, listNames, scratchFolder, waitFor, workspaceFolder } from './helpers';

function watchList(): string[] {
  return vscode.workspace.getConfiguration('fileflow', workspaceFolder().uri).get<string[]>('watchFolders', []);
}

async function treeGroups(api: FileflowApi, root: QueueRoot): Promise<Map<string, { count: string; files: string[] }>> {
  const rootNode = (await api.tree.getChildren()).find((n) => n.kind === 'root' && n.root === root);
  assert.ok(rootNode, 'the root has a node in the tree');
  const groups = new Map<string, { count: string; files: string[] }>();
  for (const group of await api.tree.getChildren(rootNode)) {
    const item = api.tree.getTreeItem(group);
    const files = (await api.tree.getChildren(group)).map((n: FileflowNode) => labelOf(api.tree.getTreeItem(n)) ?? '');
    groups.set(labelOf(item) ?? '', { count: String(item.description), files });
  }
  return groups;
}

describe('watching folders', () => {
  let api: FileflowApi;

  before(async () => {
    api = await extensionApi();
  });

  it('Watch Folder starts a queue root, persists it in fileflow.watchFolders, and processes dropped files', async () => {
    const dir = await scratchFolder('watched');
    const rootPath = await vscode.commands.executeCommand<string>(COMMANDS.watchFolder, vscode.Uri.file(dir));
    assert.equal(rootPath, dir);
    const relative = path.relative(workspaceFolder().uri.fsPath, dir).split(path.sep).join('/');
    await waitFor('the watch list to be saved', () => watchList().includes(relative));
    const root = api.manager.get(dir);
    assert.equal(root?.status, 'watching');
    assert.deepEqual(await listNames(path.join(dir, 'processed')), []);

    await writeFile(path.join(dir, 'unprocessed', 'ok.log'), 'a [INFO] x\nb [ERROR] y\n');
    await writeFile(path.join(dir, 'unprocessed', 'bad.log'), Buffer.from('text\0binary'));
    await waitFor('both files to finish', async () => (await listNames(path.join(dir, 'processed'))).includes('ok.log') && (await listNames(path.join(dir, 'failed'))).includes('bad.log'));
    assert.equal(await readFile(path.join(dir, 'results', 'ok.log'), 'utf8'), 'ok.log:2: b [ERROR] y\n');

    // The tree (read through its data provider) shows them under the right states, with counts.
    const groups = await waitFor('the tree to show both files', async () => {
      const g = await treeGroups(api, root);
      return g.get('Processed')?.files.includes('ok.log') && g.get('Failed')?.files.includes('bad.log') ? g : undefined;
    });
    assert.equal(groups.get('Processed')?.count, '1');
    assert.equal(groups.get('Failed')?.count, '1');
    assert.equal(groups.get('Queued')?.count, '0');
    assert.equal(groups.get('In progress')?.count, '0');
    assert.equal(api.tree.failedCount() >= 1, true);
    // The status bar batches its updates too.
    await waitFor('the status bar to count the failure', () => /\$\(error\) [1-9]/.test(api.statusBar.text));

    // Stop Watching forgets it in the settings and stops the queue.
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
    await waitFor('the watch list to drop it', () => !watchList().includes(relative));
    assert.equal(api.manager.get(dir), undefined);
  });

  it('restarts that arrive while a folder is still starting leave one queue, which counts every file', async () => {
    // Settings writes and pipeline-file events reach the extension late; here two restarts
    // land while the worker pool is still starting.
    const dir = await scratchFolder('restart-race');
    const seen = new Set<QueueRoot>();
    const listener = api.manager.onDidChange((root) => {
      if (root?.root === dir) seen.add(root);
    });
    const watching = api.manager.watch(dir);
    await waitFor('the root to be starting', () => api.manager.get(dir)?.status === 'starting', 20_000, 2);
    await Promise.all([watching, api.manager.restartFolder(workspaceFolder()), api.manager.restartFolder(workspaceFolder())]);
    const root = await waitFor('the root to be watching', () => (api.manager.get(dir)?.status === 'watching' ? api.manager.get(dir) : undefined));
    const files = 10;
    for (let i = 0; i < files; i++) await writeFile(path.join(dir, 'unprocessed', `f${i}.log`), `x [ERROR] ${i}\n`);
    await waitFor(`${files} processed files`, async () => (await listNames(path.join(dir, 'processed'))).length === files);
    // A second queue left running on the folder would have taken some of the files.
    const metrics = (root.queue as NonNullable<QueueRoot['queue']>).metrics;
    await waitFor('the root to count every file', () => metrics.processed === files, 3000);
    assert.equal(api.manager.list().filter((r) => r.root === dir).length, 1);
    // Every earlier root object for the folder was stopped, none left watching on its own.
    listener.dispose();
    const orphans = [...seen].filter((r) => r !== root && r.status !== 'stopping');
    assert.deepEqual(orphans.map((r) => r.status), [], 'roots replaced by a restart must be stopped');
    assert.ok(seen.size >= 3, `two restarts should have replaced the root twice (saw ${seen.size} root objects)`);
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });

  it('right-clicking a folder named unprocessed watches its parent', async () => {
    const dir = await scratchFolder('inbox-click');
    const root = await vscode.commands.executeCommand<string>(COMMANDS.watchFolder, vscode.Uri.file(path.join(dir, 'unprocessed')));
    assert.equal(root, dir);
    assert.equal(api.manager.get(dir)?.status, 'watching');
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });

  it('restores watched folders from the settings (as on reload)', async () => {
    const dir = await scratchFolder('restored');
    const relative = path.relative(workspaceFolder().uri.fsPath, dir).split(path.sep).join('/');
    await vscode.workspace.getConfiguration('fileflow', workspaceFolder().uri).update('watchFolders', [...watchList(), relative], vscode.ConfigurationTarget.WorkspaceFolder);
    const root = await waitFor('the root to start from the setting', () => api.manager.get(dir)?.status === 'watching' && api.manager.get(dir));
    await writeFile(path.join(dir, 'unprocessed', 'r.log'), 'z [CRITICAL] boom\n');
    await waitFor('r.log to be processed', async () => (await listNames(path.join(dir, 'processed'))).includes('r.log'));
    assert.ok(root);
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });

  it('Pause holds files in the queue; Resume processes them', async () => {
    const dir = await scratchFolder('paused');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    await vscode.commands.executeCommand(COMMANDS.pause);
    try {
      await writeFile(path.join(dir, 'unprocessed', 'held.log'), 'h [WARN] wait\n');
      const root = api.manager.get(dir) as QueueRoot;
      await waitFor('the file to be queued', () => root.model.count('queued') === 1);
      await new Promise((resolve) => setTimeout(resolve, 600)); // well past stabilityMs (100)
      assert.deepEqual(await listNames(path.join(dir, 'unprocessed')), ['held.log'], 'paused: nothing is taken');
    } finally {
      await vscode.commands.executeCommand(COMMANDS.resume);
    }
    await waitFor('held.log to be processed after Resume', async () => (await listNames(path.join(dir, 'processed'))).includes('held.log'));
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });

  it('Retry moves a failed file back to the inbox and it is processed again; Reprocess does the same for a processed one', async () => {
    const dir = await scratchFolder('retry');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    const root = api.manager.get(dir) as QueueRoot;
    await writeFile(path.join(dir, 'unprocessed', 'fixme.log'), Buffer.from('x\0y'));
    await waitFor('fixme.log to fail', async () => (await listNames(path.join(dir, 'failed'))).includes('fixme.log'));
    // The user fixes the file in failed/, then retries it from the tree.
    await writeFile(path.join(dir, 'failed', 'fixme.log'), 'fixed [ERROR] now text\n');
    await waitFor('the tree model to list it as failed', () => root.model.count('failed') === 1);
    await vscode.commands.executeCommand(COMMANDS.retry, { kind: 'file', root, state: 'failed', name: 'fixme.log' });
    await waitFor('fixme.log to be processed under the same name', async () => (await listNames(path.join(dir, 'processed'))).includes('fixme.log'));
    assert.deepEqual(await listNames(path.join(dir, 'failed')), []);
    assert.equal(await readFile(path.join(dir, 'results', 'fixme.log'), 'utf8'), 'fixme.log:1: fixed [ERROR] now text\n');

    await vscode.commands.executeCommand(COMMANDS.reprocess, { kind: 'file', root, state: 'processed', name: 'fixme.log' });
    await waitFor('fixme.log to be processed again', async () => {
      const summary = JSON.parse(await readFile(path.join(dir, 'results', 'fixme.log.summary.json'), 'utf8')) as { source: string };
      return (await listNames(path.join(dir, 'processed'))).includes('fixme.log') && summary.source === 'unprocessed/fixme.log';
    });
    assert.deepEqual(await listNames(path.join(dir, 'processed')), ['fixme.log'], 'no duplicate after Reprocess');
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });

  it('batches tree refreshes: a burst of 300 files causes only a handful of redraws', async () => {
    const dir = await scratchFolder('burst');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    const before = api.tree.refreshCount;
    const started = Date.now();
    await Promise.all(Array.from({ length: 300 }, (_, i) => writeFile(path.join(dir, 'unprocessed', `f${i}.log`), `l [WARN] ${i}\n`)));
    await waitFor('300 processed files', async () => (await listNames(path.join(dir, 'processed'))).length === 300, 60_000);
    const refreshes = api.tree.refreshCount - before;
    const elapsedMs = Date.now() - started;
    // 300 files go through 3 events each (detected, claimed, finished): ~900 changes. Batched,
    // that is at most one redraw per 250 ms window (however slow a loaded machine makes the
    // burst), and far fewer than one per file.
    assert.ok(refreshes <= Math.ceil(elapsedMs / 250) + 5, `expected at most one refresh per 250 ms, got ${refreshes} in ${elapsedMs} ms`);
    assert.ok(refreshes < 300, `expected fewer refreshes than files, got ${refreshes}`);
    const root = api.manager.get(dir) as QueueRoot;
    await waitFor('the model to count 300 processed', () => root.model.count('processed') === 300);
    const group = (await api.tree.getChildren({ kind: 'root', root })).find((n) => n.kind === 'group' && n.state === 'processed') as FileflowNode;
    const page = await api.tree.getChildren(group);
    assert.equal(page.length, 201, 'first page of 200 plus "Show more…"');
    assert.equal(page[200].kind, 'more');
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
  });
});
