// Proves the host-test machinery end to end: the extension loads in a real VS Code, activates,
// and its command runs through the real command service. Ids come from package.json, so this
// suite keeps working whatever shape the extension's own modules take.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

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

  it(`runs ${showLog} without error`, async () => {
    await vscode.commands.executeCommand(showLog);
  });
});
