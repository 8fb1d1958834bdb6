// A `fileflow watch` process beside the extension on one folder: the tree shows the other
// instance and its files in flight, both share the files, and the counts add up.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileflowApi } from '../../../src/extension/extension';
import { EXTENSION_ID, extensionApi, labelOf, listNames, scratchFolder, waitFor } from './helpers';

describe('several instances on one folder', () => {
  let api: FileflowApi;
  let cli: ChildProcess | undefined;

  before(async () => {
    api = await extensionApi();
  });

  after(async () => {
    if (cli && cli.exitCode === null && cli.signalCode === null) {
      const exited = new Promise((resolve) => cli?.once('exit', resolve));
      cli.kill('SIGTERM');
      await exited;
    }
  });

  it('a CLI instance beside the extension: the tree names it, counts its files in flight, and the totals add up', async function () {
    this.timeout(120_000);
    const dir = await scratchFolder('shared-root');
    const pipelineDir = path.join(path.dirname(dir), `${path.basename(dir)}-pipeline`);
    await mkdir(pipelineDir, { recursive: true });
    // The CLI instance is slow (20 ms a line, 6 s a file), so it has a file in flight for seconds.
    await writeFile(path.join(pipelineDir, 'slow.cjs'), 'module.exports.createProcessor = () => ({ process(line, ctx) { const until = Date.now() + 20; while (Date.now() < until); ctx.emit(line); } });\n');
    const pipelineFile = path.join(pipelineDir, 'slow.json');
    await writeFile(pipelineFile, JSON.stringify({ version: 1, nodes: { start: { use: { module: './slow.cjs' } } } }));

    const root = await api.manager.watch(dir);
    assert.equal(root.status, 'watching');
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath as string;
    let out = '';
    let err = '';
    cli = spawn(process.execPath, [path.join(extensionPath, 'dist', 'cli.js'), 'watch', dir, '--json', '--lease-sec', '3', '--pipeline', pipelineFile, '--concurrency', '1', '--stability-ms', '50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli.stdout?.setEncoding('utf8').on('data', (text: string) => (out += text));
    cli.stderr?.setEncoding('utf8').on('data', (text: string) => (err += text));
    const pid = cli.pid as number;

    const instanceRow = await waitFor('the tree to name the other instance', async () => {
      const rootNode = (await api.tree.getChildren()).find((n) => n.kind === 'root' && n.root.root === dir);
      const row = rootNode && (await api.tree.getChildren(rootNode)).find((n) => n.kind === 'instance');
      return row ? api.tree.getTreeItem(row) : undefined;
    }).catch((error: unknown) => {
      const leases = readdirSync(path.join(dir, '.fileflow', 'instances'));
      throw new Error(
        `${String(error)}\nthe CLI instance said:\n${err}\nothers seen: ${JSON.stringify(root.others)}; queue sees ${JSON.stringify(root.queue?.otherInstances)}; ` +
          `this id ${root.queue?.id}; leases on disk: ${leases.join(', ')}`,
      );
    });
    assert.match(labelOf(instanceRow) ?? '', new RegExp(`^Also worked by .+:${pid}$`));

    const names = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}.log`);
    // Written next door and renamed in, so that either instance may take a file at once.
    for (const name of names) {
      await writeFile(path.join(pipelineDir, name), `[ERROR] ${name}\n`.repeat(300));
      await rename(path.join(pipelineDir, name), path.join(dir, 'unprocessed', name));
    }
    await waitFor('the other instance to show a file in flight', async () => {
      const rootNode = (await api.tree.getChildren()).find((n) => n.kind === 'root' && n.root.root === dir);
      const row = rootNode && (await api.tree.getChildren(rootNode)).find((n) => n.kind === 'instance');
      return row && /^[1-9]\d* in flight$/.test(String(api.tree.getTreeItem(row).description));
    }, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\nCLI said: ${out.slice(-3000)}\n${err}\nin flight: ${JSON.stringify([...root.othersInFlight])}`);
    });
    await waitFor('every file to be processed', async () => (await listNames(path.join(dir, 'processed'))).length === names.length, 90_000);

    const finishedByCli = (): string[] =>
      out
        .split('\n')
        .slice(0, -1) // the last piece may be a line still on its way
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { event: string; name?: string })
        .filter((e) => e.event === 'finished')
        .map((e) => e.name as string);
    const byExtensionCount = (): number => root.queue?.metrics.snapshot().files.processed ?? 0;
    // The CLI's "finished" line comes through a pipe after the file is in processed/: on a busy
    // machine it can arrive later than the move the wait above saw.
    await waitFor('every finished file to be reported by one of the instances', () => finishedByCli().length + byExtensionCount() >= names.length, 30_000).catch(() => undefined);
    const byCli = finishedByCli();
    const byExtension = byExtensionCount();
    assert.ok(byCli.length > 0, 'the CLI instance processed some');
    assert.ok(byExtension > 0, 'the extension processed some');
    assert.equal(byCli.length + byExtension, names.length, 'each file was processed once, by one of them');
    await waitFor('the tree to count every processed file, whoever did it', () => root.model.count('processed') === names.length && root.model.count('inProgress') === 0, 20_000);

    const exited = new Promise((resolve) => cli?.once('exit', resolve));
    cli.kill('SIGTERM');
    await exited;
    await waitFor('the tree to drop the instance that left', () => root.others.length === 0, 30_000);
    await api.manager.unwatch(dir);
  });
});
