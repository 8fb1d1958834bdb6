// Preview Pipeline (docs/authoring.md): the result beside the pipeline equals `fileflow run
// --stdout` on the same sample, follows every edit, shows a line's node path on hover and each
// node's counts as CodeLenses, and shows the problems of a broken pipeline instead of a stale result.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Preview } from '../../../src/extension/authoring/preview';
import { closeEditors, extensionApi, openPipeline, rangeOfText, scratchFolder, waitFor } from './helpers';

const CLI = path.resolve(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');

const PIPELINE = `{
  "nodes": {
    "start": { "use": "tagByLevel" },
    "warn": { "use": "template", "with": { "format": "{file}:{n}: {line}" } },
    "error": { "use": "template", "with": { "format": "E {line}" }, "then": "loud" },
    "loud": { "use": "uppercase" },
    "debug": { "use": "drop" }, "info": { "use": "drop" }, "other": { "use": "drop" }, "critical": { "use": "drop" }
  },
  "tests": [
    { "name": "one warning", "file": "t.log", "input": ["x [WARN] w", "y [INFO] i"], "expect": { "output": ["t.log:1: x [WARN] w"] } }
  ]
}
`;

const SAMPLE = ['10:00 [INFO] Api: up', '10:01 [WARN] Disk: 91%', '10:02 [ERROR] Db: down', '10:03 [DEBUG] x', '10:04 [WARN] Disk: 95%', ''].join('\n');

function cliStdout(pipeline: string, sample: string): string {
  return execFileSync(process.execPath, [CLI, 'run', sample, '--stdout', '--pipeline', pipeline], { encoding: 'utf8' });
}

describe('Preview Pipeline', () => {
  afterEach(closeEditors);

  it('shows the result of the pipeline over a sample, equal to fileflow run --stdout, and follows edits', async () => {
    await extensionApi();
    const dir = await scratchFolder('preview');
    const sample = path.join(dir, 'sample.log');
    await writeFile(sample, SAMPLE);
    const pipelineFile = path.join(dir, 'p.fileflow.json');
    const { document, editor } = await openPipeline(pipelineFile, PIPELINE);

    const preview = await vscode.commands.executeCommand<Preview>('fileflow.previewPipeline', document.uri, { kind: 'file', path: sample });
    assert.ok(preview, 'the command returns the preview');
    const expected = cliStdout(pipelineFile, sample);
    assert.equal(expected, 'sample.log:2: 10:01 [WARN] Disk: 91%\nE 10:02 [ERROR] DB: DOWN\nsample.log:5: 10:04 [WARN] Disk: 95%\n');
    assert.equal(preview.text, expected);
    const shown = await waitFor('the preview document beside the pipeline', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === preview.uri.toString()));
    assert.equal(shown.document.getText(), expected);
    assert.notEqual(shown.viewColumn, editor.viewColumn);

    // Hover on an output line: the nodes it passed through and its input line.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', preview.uri, new vscode.Position(1, 3));
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(hoverText, /Input line 3/);
    assert.match(hoverText, /start → error → loud → end/);

    // Per-node counts above the nodes, and a Preview lens above each test.
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
    const titles = lenses.map((lens) => `${lens.range.start.line}:${lens.command?.title}`);
    assert.ok(titles.includes(`${rangeOfText(document, '"start"').start.line}:5 in → 5 out`), titles.join(', '));
    assert.ok(titles.includes(`${rangeOfText(document, '"warn"').start.line}:2 in → 2 out`), titles.join(', '));
    assert.ok(titles.includes(`${rangeOfText(document, '{ "name": "one warning"').start.line}:Preview with this input`), titles.join(', '));

    // An edit (unsaved) recomputes the preview; saved, it still equals the CLI.
    const before = preview.updates;
    await editor.edit((edit) => edit.replace(rangeOfText(document, '"E {line}"'), '"ERR {n} {line}"'));
    await waitFor('the preview to follow the edit', () => preview.updates > before && preview.version === document.version);
    assert.ok(await document.save(), 'saved');
    await waitFor('the saved pipeline on disk', async () => (await readFile(pipelineFile, 'utf8')).includes('ERR {n}'));
    assert.equal(preview.text, cliStdout(pipelineFile, sample));
    assert.match(preview.text, /^ERR 3 10:02 \[ERROR\] DB: DOWN$/m);
    await waitFor('the preview document to show it', () => shown.document.getText() === preview.text);

    // Broken: the problems instead of a stale result.
    const broken = preview.updates;
    await editor.edit((edit) => edit.replace(rangeOfText(document, '"loud" },'), '"nowhere" },'));
    await waitFor('the preview to show the problem', () => preview.updates > broken && preview.version === document.version);
    assert.match(preview.text, /^The pipeline has problems, so there is no result:/);
    assert.match(preview.text, /\/nodes\/error\/then: node "error" sends its lines to tag "nowhere"/);
    assert.equal(preview.run, undefined);
  });

  it("previews a test's input, and the active log file (unsaved edits included)", async () => {
    const api = await extensionApi();
    const dir = await scratchFolder('preview-samples');
    const pipelineFile = path.join(dir, 'q.fileflow.json');
    const { document } = await openPipeline(pipelineFile, PIPELINE);
    const fromTest = await api.authoring.previews.open(document.uri, { kind: 'test', index: 0 });
    assert.equal(fromTest?.text, 't.log:1: x [WARN] w\n');

    const log = path.join(dir, 'live.log');
    await writeFile(log, 'a [WARN] saved\n');
    const logDocument = await vscode.workspace.openTextDocument(log);
    const logEditor = await vscode.window.showTextDocument(logDocument, vscode.ViewColumn.One);
    const preview = await api.authoring.previews.open(document.uri);
    assert.equal(preview?.text, 'live.log:1: a [WARN] saved\n');
    const before = preview.updates;
    await logEditor.edit((edit) => edit.insert(new vscode.Position(1, 0), 'b [WARN] typed\n'));
    await waitFor('the preview to follow the sample', () => preview.updates > before && preview.text.includes('typed'));
    assert.equal(preview.text, 'live.log:1: a [WARN] saved\nlive.log:2: b [WARN] typed\n');
  });
});
