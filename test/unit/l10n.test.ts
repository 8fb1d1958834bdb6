// Every string the extension shows can be translated: the build extracts the literal
// arguments of vscode.l10n.t calls in src/extension into dist/l10n/bundle.l10n.json, so a
// call with a variable (`l10n.t(label)`) leaves its strings out; and package.json's titles and
// descriptions stand in package.nls.json (the VS Code convention), referenced as %key%.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { getL10nJson } from '@vscode/l10n-dev';
import { REPO_ROOT } from './support/harness';

const EXTENSION_SOURCES = path.join(REPO_ROOT, 'src', 'extension');

function sources(): { file: string; text: string }[] {
  return (readdirSync(EXTENSION_SOURCES, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(path.join(EXTENSION_SOURCES, file), 'utf8') }));
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Every string value of a JSON document, with its path. */
function strings(value: Json, at = ''): { at: string; text: string }[] {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${at}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => strings(item, at ? `${at}.${key}` : key));
  return [];
}

describe('l10n: every user-facing string can be translated', () => {
  it('calls vscode.l10n.t with a literal string only, so the build can extract it', () => {
    const offenders: string[] = [];
    for (const { file, text } of sources()) {
      text.split('\n').forEach((line, i) => {
        for (const call of line.matchAll(/\bl10n\.t\(\s*(.)/g)) {
          if (call[1] !== "'" && call[1] !== '"') offenders.push(`src/extension/${file}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(offenders, [], 'l10n.t with a non-literal first argument');
  });

  it("extracts the tree's group labels and root states, the status bar's tooltip and the commands' messages", async () => {
    const bundle = await getL10nJson(sources().map(({ text }) => ({ extension: '.ts', contents: text })));
    for (const key of [
      'Queued',
      'In progress',
      'Processed',
      'Failed',
      'starting',
      'watching',
      'paused',
      'error',
      'stopping',
      'Show more…',
      'Open Result',
      'Fileflow: {0} queued, {1} in progress, {2} failed — click for metrics',
      'Fileflow is watching {0}',
    ]) {
      assert.ok(key in bundle, `"${key}" is not extracted`);
    }
  });

  it("keeps package.json's titles and descriptions in package.nls.json, each key defined and used", () => {
    const manifestText = readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8');
    const manifest = JSON.parse(manifestText) as { contributes: Json; capabilities: Json };
    const nls = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const used = new Set([...manifestText.matchAll(/"%([^%"]+)%"/g)].map((match) => match[1]));
    assert.deepEqual([...used].filter((key) => !(key in nls)), [], 'referenced in package.json, missing from package.nls.json');
    assert.deepEqual(Object.keys(nls).filter((key) => !used.has(key)), [], 'in package.nls.json, used nowhere');
    // What a person reads: command titles and categories, view and container names, welcome
    // text, settings' descriptions, the trust and virtual-workspace explanations.
    const shown = /(\.title|\.category|\.name|\.contextualTitle|\.contents|\.markdownDescription|\.description)$/;
    const literal = [...strings(manifest.contributes, 'contributes'), ...strings(manifest.capabilities, 'capabilities')]
      .filter(({ at, text }) => shown.test(at) && !/^%[^%]+%$/.test(text))
      .map(({ at, text }) => `${at}: ${text}`);
    assert.deepEqual(literal, [], 'user-facing text left in package.json');
  });
});
