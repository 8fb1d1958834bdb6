// Proves the host-test machinery end to end: the extension loads in a real VS Code, activates,
// and its command runs through the real command service. Ids come from package.json, so this
// suite keeps working whatever shape the extension's own modules take.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from './helpers';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../../package.json'), 'utf8')) as {
  publisher: string;
  name: string;
};
const extensionId = `${manifest.publisher}.${manifest.name}`;
const showLog = 'fileflow.showLog';

describe('smoke: the extension in a real VS Code', () => {
  it(`is installed as ${extensionId}`, () => {
    assert.ok(vscode.extensions.getExtension(extensionId), `extension ${extensionId} not found`);
  });

  it('activates', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it(`registers ${showLog}`, async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes(showLog), `${showLog} is not among the registered commands`);
  });

  it(`runs ${showLog}: the Output view shows the Fileflow log, and no command failed`, async () => {
    const extension = vscode.extensions.getExtension<{ commandFailures: readonly { command: string; at: number }[] }>(extensionId);
    assert.ok(extension);
    const api = await extension.activate();
    const started = Date.now();
    await vscode.commands.executeCommand(showLog);
    const shown = (): boolean => vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'output' && d.uri.path.includes('Fileflow'));
    await waitFor('the Output view to show the Fileflow log', shown, 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; open documents: ${vscode.workspace.textDocuments.map((d) => d.uri.toString()).join(', ')}`);
    });
    assert.deepEqual(api.commandFailures.filter((failure) => failure.at >= started), []);
  });
});
