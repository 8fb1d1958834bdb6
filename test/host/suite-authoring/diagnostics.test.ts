// Diagnostics in pipeline files (docs/authoring.md): each error class at the exact range of its
// JSON path (a routing loop too), updated as you type and gone when fixed; the "did you mean"
// quick fix; no second report of what VS Code's JSON service already says from the schema.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeEditors, extensionApi, fileflowDiagnostics, openPipeline, rangeOfText, scratchFolder, waitFor, waitForDiagnostics, workspaceFolder } from './helpers';

const BROKEN = `{
  // a pipeline with one mistake of each kind
  "version": 1,
  "start": "begin",
  "nodes": {
    "start": { "use": "tagByLevel" },
    "warn": { "use": "filter", "with": { "pattern": "disk(" } },
    "error": { "use": "template", "with": { "format": "E {line}" }, "then": "wrn" },
    "debug": { "use": "drop" }, "info": { "use": "drop" }, "other": { "use": "drop" }, "critical": { "use": "drop" }
  },
  "tests": [
    { "name": "fixture", "inputFile": "./fixtures/app.log" }
  ]
}
`;

function rangeText(range: vscode.Range): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

describe('pipeline diagnostics', () => {
  before(async () => {
    await extensionApi();
  });

  afterEach(closeEditors);

  it('shows each problem validate finds at the range of its JSON path, and drops each one when it is fixed', async () => {
    const dir = await scratchFolder('diagnostics');
    const { document, editor } = await openPipeline(path.join(dir, 'broken.fileflow.json'), BROKEN);
    const diagnostics = await waitForDiagnostics(document.uri, 'four diagnostics', (d) => d.length === 4);
    const byCode = new Map(diagnostics.map((d) => [typeof d.code === 'object' ? d.code.value : d.code, d]));
    const expected: [string, vscode.Range, RegExp][] = [
      ['/start', rangeOfText(document, '"begin"'), /the start node "begin" does not exist/],
      ['/nodes/warn/with/pattern', rangeOfText(document, '"disk("'), /invalid regular expression/i],
      ['/nodes/error/then', rangeOfText(document, '"wrn"'), /no node "wrn" \(did you mean "warn"\?\)/],
      ['/tests/0/inputFile', rangeOfText(document, '"./fixtures/app.log"'), /the input file "\.\/fixtures\/app\.log" does not exist/],
    ];
    for (const [code, range, message] of expected) {
      const diagnostic = byCode.get(code);
      assert.ok(diagnostic, `a diagnostic for ${code}; got ${[...byCode.keys()].join(', ')}`);
      assert.equal(rangeText(diagnostic.range), rangeText(range), `range of ${code}`);
      assert.match(diagnostic.message, message);
      assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    }

    // Typing fixes them one by one (unsaved: the check reads the editor's text).
    await editor.edit((edit) => edit.replace(rangeOfText(document, '"begin"'), '"start"'));
    await waitForDiagnostics(document.uri, 'the start diagnostic to go', (d) => d.length === 3 && !d.some((x) => x.code === '/start'));
    await editor.edit((edit) => edit.replace(rangeOfText(document, '"disk("'), '"disk\\\\("'));
    await waitForDiagnostics(document.uri, 'the regex diagnostic to go', (d) => d.length === 2);
    // The input file appears: saving checks again.
    await mkdir(path.join(dir, 'fixtures'), { recursive: true });
    await writeFile(path.join(dir, 'fixtures', 'app.log'), 'x [WARN] y\n');
    await document.save();
    await waitForDiagnostics(document.uri, 'the inputFile diagnostic to go', (d) => d.length === 1 && d[0].code === '/nodes/error/then');
  });

  it('shows a loop no line can leave at the then that closes it, and drops it when a routing node breaks the loop', async () => {
    const dir = await scratchFolder('loop');
    const looping = `{
  "nodes": {
    "start": { "use": "trim", "then": "loud" },
    "loud": { "use": "uppercase", "then": "start" }
  }
}
`;
    const { document, editor } = await openPipeline(path.join(dir, 'loop.fileflow.json'), looping);
    const [diagnostic] = await waitForDiagnostics(document.uri, 'the loop diagnostic', (d) => d.length === 1);
    assert.equal(diagnostic.code, '/nodes/start/then');
    assert.equal(rangeText(diagnostic.range), rangeText(rangeOfText(document, '"loud"', 0)));
    assert.match(diagnostic.message, /^routing loop: "start" → "loud" → "start" passes every line that reaches it round and round/);
    // A routing node in the loop lets lines out: no problem any more.
    await editor.edit((edit) => edit.replace(rangeOfText(document, '{ "use": "uppercase", "then": "start" }'), '{ "use": "route", "with": { "rules": [{ "pattern": "^again", "tag": "start" }], "default": "end" } }'));
    await waitForDiagnostics(document.uri, 'no diagnostics once the loop can be left', (d) => d.length === 0);
  });

  it('offers "did you mean" as a quick fix, which fixes the problem', async () => {
    const dir = await scratchFolder('quickfix');
    const { document } = await openPipeline(path.join(dir, 'fix.fileflow.json'), BROKEN.replace('"begin"', '"start"').replace('disk(', 'disk').replace(/,\s*"tests": \[[^\]]*\]/, ''));
    const [diagnostic] = await waitForDiagnostics(document.uri, 'the then diagnostic', (d) => d.length === 1);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((action) => action.title === 'Change to "warn"');
    assert.ok(fix?.edit, `a quick fix; got ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(document.getText(), /"then": "warn"/);
    await waitForDiagnostics(document.uri, 'no diagnostics after the fix', (d) => d.length === 0);
  });

  it('leaves schema errors to the JSON service in *.fileflow.json (no duplicate), but reports them in the configured pipelineFile', async () => {
    const typo = '{ "nodes": { "start": { "use": "trim", "then": "end", "thn": "x" } } }\n';
    const dir = await scratchFolder('schema');
    const covered = await openPipeline(path.join(dir, 'typo.fileflow.json'), typo);
    // VS Code's JSON service reports the unknown property from the schema…
    await waitFor('the JSON service to report the unknown property', () => vscode.languages.getDiagnostics(covered.document.uri).some((d) => d.source !== 'fileflow' && rangeText(d.range) === rangeText(rangeOfText(covered.document, '"thn"'))));
    // …and Fileflow does not say it again, while still offering its quick fix there.
    await extensionApi().then((api) => waitFor('a check of the file', () => api.authoring.diagnostics.checked(covered.document.uri)));
    assert.deepEqual(fileflowDiagnostics(covered.document.uri), []);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', covered.document.uri, rangeOfText(covered.document, '"thn"'), vscode.CodeActionKind.QuickFix.value);
    assert.ok(actions.some((a) => a.title === 'Change to "then"'), `quick fixes: ${actions.map((a) => a.title).join(', ')}`);

    // The configured fileflow.pipelineFile (pipelines/main.json here) is not matched by the schema association.
    const main = await openPipeline(path.join(workspaceFolder().uri.fsPath, 'pipelines', 'main.json'), typo);
    const [diagnostic] = await waitForDiagnostics(main.document.uri, 'the unknown property reported by Fileflow', (d) => d.length === 1);
    assert.equal(rangeText(diagnostic.range), rangeText(rangeOfText(main.document, '"thn"')));
    assert.match(diagnostic.message, /unknown property "thn" \(did you mean "then"\?\)/);
  });
});
