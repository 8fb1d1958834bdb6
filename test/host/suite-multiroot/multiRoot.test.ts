// Runs in a multi-root window (suite.json: workspace folders one/ and two/, opened through a
// .code-workspace file). Each workspace folder keeps its own watch list and settings, so every
// test uses the same relative path in both folders: code that picked the wrong folder (the first
// one, or the workspace file) would then write, read or resolve the other folder's entry.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileflowApi } from '../../../src/extension/extension';
import { COMMANDS } from '../../../src/extension/constants';
import type { QueueRoot } from '../../../src/extension/queueManager';
import { extensionApi, listNames, waitFor, workspaceFolder } from '../suite/helpers';

const TRIAGE_INPUT = 'a [INFO] x\nb [ERROR] y\n';

function fileflowConfig(folder: vscode.WorkspaceFolder): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('fileflow', folder.uri);
}

function watchList(folder: vscode.WorkspaceFolder): string[] {
  return fileflowConfig(folder).get<string[]>('watchFolders', []);
}

/** The same relative folder, `scratch/<name>-<stamp>`, created in both workspace folders. */
async function scratchPair(name: string): Promise<{ entry: string; one: string; two: string }> {
  const entry = `scratch/${name}-${Date.now()}`;
  const [one, two] = [workspaceFolder(0), workspaceFolder(1)].map((folder) => path.join(folder.uri.fsPath, ...entry.split('/')));
  await mkdir(one, { recursive: true });
  await mkdir(two, { recursive: true });
  return { entry, one, two };
}

/**
 * Writes a setting of one workspace folder and waits until the change event has reached this
 * extension host: the extension restarts that folder's roots on it, and a test that starts roots
 * before then could see them replaced under it.
 */
async function setFolderSetting(folder: vscode.WorkspaceFolder, key: string, value: unknown): Promise<void> {
  let delivered = false;
  const listener = vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration(`fileflow.${key}`, folder.uri)) delivered = true;
  });
  try {
    await fileflowConfig(folder).update(key, value, vscode.ConfigurationTarget.WorkspaceFolder);
    await waitFor(`the change of fileflow.${key} in ${folder.name} to reach the extension host`, () => delivered);
  } finally {
    listener.dispose();
  }
}

function runningRoot(api: FileflowApi, dir: string): QueueRoot {
  const root = api.manager.get(dir);
  assert.ok(root, `${dir} is a running queue root`);
  assert.equal(root.status, 'watching');
  return root;
}

describe('multi-root workspace', () => {
  let api: FileflowApi;

  before(async () => {
    api = await extensionApi();
  });

  // A failed test must not leave roots or settings behind for the next one.
  afterEach(async () => {
    for (const root of api.manager.list()) await api.manager.unwatch(root.root);
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const key of ['watchFolders', 'ignore', 'pipelineFile']) {
        const value = fileflowConfig(folder).inspect(key)?.workspaceFolderValue;
        const empty = value === undefined || (Array.isArray(value) && value.length === 0);
        if (!empty) await setFolderSetting(folder, key, undefined);
      }
    }
  });

  it('opens the .code-workspace file with both folders', () => {
    assert.deepEqual(
      vscode.workspace.workspaceFolders?.map((folder) => folder.name),
      ['one', 'two'],
    );
    assert.equal(vscode.workspace.workspaceFolders?.length, 2);
    assert.equal(path.posix.basename(vscode.workspace.workspaceFile?.path ?? ''), 'fileflow-tests.code-workspace');
  });

  it('Watch Folder keeps each root in its own folder\'s fileflow.watchFolders; both roots process files and show in the tree', async () => {
    const [folderOne, folderTwo] = [workspaceFolder(0), workspaceFolder(1)];
    const { entry, one, two } = await scratchPair('watched');

    // Folder two first: falling back to the first workspace folder would show here.
    assert.equal(await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(two)), two);
    await waitFor('folder two\'s watch list to be saved', () => watchList(folderTwo).includes(entry));
    assert.deepEqual(watchList(folderOne), [], 'folder one\'s watch list is untouched');
    const inspected = fileflowConfig(folderTwo).inspect<string[]>('watchFolders');
    assert.deepEqual(inspected?.workspaceFolderValue, [entry], 'kept in the folder\'s own settings');
    assert.equal(inspected?.workspaceValue, undefined, 'not in the .code-workspace file');

    assert.equal(await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(one)), one);
    await waitFor('folder one\'s watch list to be saved', () => watchList(folderOne).includes(entry));
    assert.deepEqual(watchList(folderOne), [entry]);
    assert.deepEqual(watchList(folderTwo), [entry]);
    assert.equal(runningRoot(api, one).folder.name, 'one');
    assert.equal(runningRoot(api, two).folder.name, 'two');

    await writeFile(path.join(one, 'unprocessed', 'from-one.log'), TRIAGE_INPUT);
    await writeFile(path.join(two, 'unprocessed', 'from-two.log'), TRIAGE_INPUT);
    await waitFor('both files to be processed', async () =>
      (await listNames(path.join(one, 'processed'))).includes('from-one.log') && (await listNames(path.join(two, 'processed'))).includes('from-two.log'),
    );
    assert.equal(await readFile(path.join(one, 'results', 'from-one.log'), 'utf8'), 'from-one.log:2: b [ERROR] y\n');
    assert.equal(await readFile(path.join(two, 'results', 'from-two.log'), 'utf8'), 'from-two.log:2: b [ERROR] y\n');
    // Each file stays in its own root.
    assert.deepEqual(await listNames(path.join(one, 'processed')), ['from-one.log']);
    assert.deepEqual(await listNames(path.join(two, 'processed')), ['from-two.log']);

    const treeRoots = (await api.tree.getChildren()).filter((node) => node.kind === 'root');
    const items = treeRoots.map((node) => api.tree.getTreeItem(node));
    assert.deepEqual(items.map((item) => item.resourceUri?.fsPath).sort(), [one, two].sort());
    // VS Code refuses a tree whose rows share an id.
    assert.equal(new Set(items.map((item) => item.id)).size, 2, 'the two roots have distinct tree ids');
    // Both rows are labelled with the same folder name; the description tells them apart.
    const described = new Map(items.map((item) => [item.resourceUri?.fsPath, String(item.description)]));
    assert.equal(described.get(one), 'watching · one');
    assert.equal(described.get(two), 'watching · two');
  });

  it('Stop Watching removes the entry only from the folder that holds the root', async () => {
    const [folderOne, folderTwo] = [workspaceFolder(0), workspaceFolder(1)];
    const { entry, one, two } = await scratchPair('unwatched');
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(one));
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(two));
    await waitFor('both watch lists to be saved', () => watchList(folderOne).includes(entry) && watchList(folderTwo).includes(entry));

    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(two));
    await waitFor('folder two\'s watch list to drop it', () => !watchList(folderTwo).includes(entry));
    assert.equal(api.manager.get(two), undefined, 'the root in folder two stopped');
    assert.deepEqual(watchList(folderOne), [entry], 'folder one still lists its root');
    runningRoot(api, one);

    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(one));
    await waitFor('folder one\'s watch list to drop it', () => !watchList(folderOne).includes(entry));
    assert.equal(api.manager.get(one), undefined);
    assert.deepEqual(watchList(folderTwo), []);
  });

  it('each root uses its own folder\'s settings (pipelineFile, ignore)', async () => {
    const [folderOne, folderTwo] = [workspaceFolder(0), workspaceFolder(1)];
    const { one, two } = await scratchPair('settings');
    await writeFile(path.join(folderTwo.uri.fsPath, 'upper.pipeline.json'), '{ "nodes": { "start": { "use": "uppercase" } } }\n');
    await setFolderSetting(folderTwo, 'pipelineFile', 'upper.pipeline.json');
    await setFolderSetting(folderTwo, 'ignore', ['**/*.bak']);
    assert.equal(fileflowConfig(folderOne).get('pipelineFile'), 'fileflow.pipeline.json', 'folder one keeps the default pipeline');
    assert.deepEqual(fileflowConfig(folderOne).get('ignore'), [], 'folder one ignores nothing extra');

    // The files are there before the roots start: a started queue has looked at its whole
    // inbox, and drain() then waits for every file it accepted, so what it left is ignored.
    for (const dir of [one, two]) {
      await mkdir(path.join(dir, 'unprocessed'), { recursive: true });
      await writeFile(path.join(dir, 'unprocessed', 'app.log'), TRIAGE_INPUT);
      await writeFile(path.join(dir, 'unprocessed', 'keep.bak'), 'k [ERROR] kept\n');
    }
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(one));
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(two));
    await Promise.all(
      [one, two].map((dir) => {
        const { queue } = runningRoot(api, dir);
        assert.ok(queue, `${dir} has a queue`);
        return queue.drain();
      }),
    );

    assert.deepEqual(await listNames(path.join(one, 'processed')), ['app.log', 'keep.bak']);
    assert.deepEqual(await listNames(path.join(one, 'unprocessed')), []);
    assert.equal(await readFile(path.join(one, 'results', 'app.log'), 'utf8'), 'app.log:2: b [ERROR] y\n', 'folder one: built-in log triage');

    assert.deepEqual(await listNames(path.join(two, 'processed')), ['app.log']);
    assert.deepEqual(await listNames(path.join(two, 'unprocessed')), ['keep.bak'], 'folder two ignores *.bak');
    assert.equal(await readFile(path.join(two, 'results', 'app.log'), 'utf8'), 'A [INFO] X\nB [ERROR] Y\n', 'folder two: its own pipeline file');
  });

  it('restores the roots listed in both folders\' settings (as on reload)', async () => {
    const [folderOne, folderTwo] = [workspaceFolder(0), workspaceFolder(1)];
    const { entry, one, two } = await scratchPair('restored');
    assert.equal(api.manager.get(one), undefined);
    assert.equal(api.manager.get(two), undefined);
    await setFolderSetting(folderOne, 'watchFolders', [entry]);
    await setFolderSetting(folderTwo, 'watchFolders', [entry]);
    await api.manager.restore();

    // The same relative entry means a different folder in each workspace folder.
    assert.equal(runningRoot(api, one).folder.name, 'one');
    assert.equal(runningRoot(api, two).folder.name, 'two');
    assert.equal(api.manager.list().length, 2);
    await writeFile(path.join(one, 'unprocessed', 'r1.log'), 'z [CRITICAL] boom\n');
    await writeFile(path.join(two, 'unprocessed', 'r2.log'), 'z [CRITICAL] boom\n');
    await waitFor('both restored roots to process their file', async () =>
      (await listNames(path.join(one, 'processed'))).includes('r1.log') && (await listNames(path.join(two, 'processed'))).includes('r2.log'),
    );
  });
});
