// Pipeline authoring in Restricted Mode (docs/authoring.md): checking a pipeline file never
// loads its custom modules; the editor says why the module was not loaded, at its place.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionApi, scratchFolder, waitFor } from '../suite/helpers';

describe('pipeline diagnostics in Restricted Mode', () => {
  it('reports that a custom module is not loaded, at its path, and never runs it', async () => {
    await extensionApi();
    assert.equal(vscode.workspace.isTrusted, false);
    const dir = await scratchFolder('restricted-authoring');
    const marker = path.join(dir, 'loaded');
    await writeFile(path.join(dir, 'p.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '');\nexports.createProcessor = () => ({ process(line, ctx) { ctx.emit(line); } });\n`);
    const file = path.join(dir, 'mod.fileflow.json');
    const text = '{ "nodes": { "start": { "use": { "module": "./p.js" } } } }\n';
    await writeFile(file, text);
    const document = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(document);
    const [diagnostic] = await waitFor('the module diagnostic', () => {
      const found = vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === 'fileflow');
      return found.length === 1 ? found : undefined;
    });
    assert.match(diagnostic.message, /custom processor module "\.\/p\.js" was not loaded: .*Restricted Mode/);
    const at = text.indexOf('"./p.js"');
    assert.deepEqual([diagnostic.range.start.character, diagnostic.range.end.character], [at, at + '"./p.js"'.length]);
    assert.equal(existsSync(marker), false, 'the module never ran');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
