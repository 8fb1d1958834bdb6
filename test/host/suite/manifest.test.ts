// What package.json promises VS Code: every command the README lists, the Explorer menu on
// folders, settings with scope and description, schema validation for pipeline files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/constants';
import { SETTINGS, settingId, type SettingKey } from '../../../src/extension/settings';
import { EXTENSION_ID } from './helpers';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { scope?: string; markdownDescription?: string; default?: unknown }> };
    jsonValidation: { fileMatch: string[]; url: string }[];
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
  };
  capabilities: { untrustedWorkspaces: { supported: string | boolean }; virtualWorkspaces: { supported: boolean } };
  extensionKind: string[];
  l10n: string;
}

function manifest(): Manifest {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  return extension.packageJSON as Manifest;
}

describe('package.json contributions', () => {
  it('contributes every command in the Fileflow category, and registers each', async () => {
    const contributed = manifest().contributes.commands;
    const registered = await vscode.commands.getCommands(true);
    for (const id of Object.values(COMMANDS)) {
      const command = contributed.find((c) => c.command === id);
      assert.ok(command, `${id} is not contributed`);
      assert.equal(command.category, 'Fileflow', `${id} category`);
      assert.ok(registered.includes(id), `${id} is not registered`);
    }
    const titles = contributed.map((c) => c.title);
    for (const title of [
      'Process Current File',
      'Process Folder…',
      'Watch Folder',
      'Stop Watching Folder',
      'Pause Processing',
      'Resume Processing',
      'Retry',
      'Retry All Failed',
      'Reprocess',
      'Show Metrics',
      'Show Log',
      'Open Pipeline Configuration',
      'Generate Sample Logs',
      'Open Result',
      'Open Summary',
      'Reveal in Explorer',
    ]) {
      assert.ok(titles.includes(title), `no command titled "${title}"`);
    }
  });

  it('offers Watch / Stop Watching / Process Folder on folders in the Explorer, and nowhere else there', () => {
    const explorer = manifest().contributes.menus['explorer/context'];
    for (const id of [COMMANDS.watchFolder, COMMANDS.stopWatchingFolder, COMMANDS.processFolder]) {
      const entry = explorer.find((e) => e.command === id);
      assert.ok(entry, `${id} missing from explorer/context`);
      assert.equal(entry.when, 'explorerResourceIsFolder');
    }
    const processFile = explorer.find((e) => e.command === COMMANDS.processCurrentFile);
    assert.equal(processFile?.when, '!explorerResourceIsFolder');
  });

  it('hides context-only commands from the palette', () => {
    const palette = manifest().contributes.menus.commandPalette;
    for (const id of [COMMANDS.openResult, COMMANDS.openSummary, COMMANDS.revealInExplorer, COMMANDS.showMore]) {
      assert.equal(palette.find((e) => e.command === id)?.when, 'false', `${id} should be hidden from the palette`);
    }
  });

  it('declares every setting with a scope, a default and a markdownDescription', () => {
    const properties = manifest().contributes.configuration.properties;
    for (const key of [
      'fileflow.watchFolders',
      'fileflow.pipelineFile',
      'fileflow.resultsFolder',
      'fileflow.concurrency',
      'fileflow.stabilityMs',
      'fileflow.ignore',
      'fileflow.maxLineBytes',
      'fileflow.retry.maxAttempts',
      'fileflow.usePolling',
      'fileflow.fileTimeoutSec',
    ]) {
      const property = properties[key];
      assert.ok(property, `${key} is not declared`);
      assert.equal(property.scope, 'resource', `${key} scope`);
      assert.ok(property.markdownDescription && property.markdownDescription.length > 20, `${key} description`);
      assert.notEqual(property.default, undefined, `${key} default`);
    }
  });

  it('declares exactly the settings the extension reads, each with a default, so none is read with a fallback of its own', () => {
    const properties = manifest().contributes.configuration.properties;
    assert.deepEqual(Object.keys(properties).sort(), (Object.keys(SETTINGS) as SettingKey[]).map(settingId).sort());
    for (const [key, property] of Object.entries(properties)) assert.notEqual(property.default, undefined, `${key} default`);
  });

  it('ties fileflow.pipeline.json to the shipped schema, and declares trust, virtual-workspace and kind', () => {
    const m = manifest();
    const validation = m.contributes.jsonValidation.find((v) => v.fileMatch.includes('fileflow.pipeline.json'));
    assert.equal(validation?.url, './dist/pipeline.schema.json');
    assert.equal(m.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.equal(m.capabilities.virtualWorkspaces.supported, false);
    assert.deepEqual(m.extensionKind, ['workspace']);
    assert.ok(m.contributes.viewsWelcome.some((w) => w.view === 'fileflow.files' && w.contents.includes('command:fileflow.watchFolder')));
  });

  it('declares l10n, whose folder holds the bundle of the strings the extension localises', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    assert.equal(manifest().l10n, './dist/l10n');
    const bundle = JSON.parse(readFileSync(path.join(extension.extensionPath, 'dist', 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
    // A few strings from different modules (errors, tree, status bar, commands).
    for (const key of ['Fileflow could not watch {0}', 'Single runs', 'Manage Workspace Trust', '{0} failed file(s)']) {
      assert.equal(bundle[key], key, `bundle.l10n.json should hold "${key}"`);
    }
  });
});
