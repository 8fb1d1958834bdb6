// The pipeline schema's validator is generated from the schema at build time (esbuild.mjs).
// A build that skipped the generation, or a schema edited since, would check pipelines
// against another schema than the one VS Code completes with: here the generated validator
// must answer exactly as ajv compiling the schema now, on valid and broken pipeline files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parse as parseJsonc } from 'jsonc-parser';
import { REPO_ROOT } from './support/harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const generated = require('../../src/core/config/pipelineSchema.validate') as ValidateFunction;

function pipelineFiles(): { name: string; value: unknown }[] {
  const golden = path.join(REPO_ROOT, 'test', 'unit', 'golden', 'cases');
  const files = readdirSync(golden).flatMap((folder) => {
    try {
      return [{ name: `golden ${folder}`, text: readFileSync(path.join(golden, folder, 'pipeline.json'), 'utf8') }];
    } catch {
      return [];
    }
  });
  files.push({ name: 'bench seed pipeline', text: readFileSync(path.join(REPO_ROOT, 'test', 'bench', 'pipelines', 'seed.pipeline.json'), 'utf8') });
  return files.map(({ name, text }) => ({ name, value: parseJsonc(text) as unknown }));
}

/** Broken on purpose: each should be refused by the schema, one way or another. */
const BROKEN: { name: string; value: unknown }[] = [
  { name: 'version 2', value: { version: 2, nodes: { start: { use: 'trim' } } } },
  { name: 'unknown top-level key', value: { version: 1, nodez: {} } },
  { name: 'options of the wrong type', value: { nodes: { start: { use: 'join', with: { size: 'two' } } } } },
  { name: 'unknown option', value: { nodes: { start: { use: 'trim', with: { pattern: 'x' } } } } },
  { name: 'an encoding that does not exist', value: { nodes: { start: { use: 'trim' } }, encoding: 'ebcdic' } },
  { name: 'a misspelt key in a test', value: { nodes: { start: { use: 'trim' } }, tests: [{ name: 't', input: ['a'], expect: { outptu: [] } }] } },
  { name: 'routes that are not a list', value: { routes: { pipeline: 'x' }, pipelines: { x: { nodes: { start: { use: 'trim' } } } } } },
];

describe('generated schema validator', () => {
  const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'src', 'core', 'config', 'pipeline.schema.json'), 'utf8')) as object;
  // The same options as the generation (esbuild.mjs validatorSource).
  const fresh = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);

  for (const { name, value } of [...pipelineFiles(), ...BROKEN]) {
    it(`answers as the schema does: ${name}`, () => {
      const expected = fresh(value);
      assert.equal(generated(value), expected, `the generated validator says ${String(!expected)} where the schema says ${String(expected)}: regenerate it (node esbuild.mjs --codegen)`);
      const messages = (errors: ValidateFunction['errors']): string[] => (errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`).sort();
      assert.deepEqual(messages(generated.errors), messages(fresh.errors));
    });
  }

  it('refuses every broken example (the check above would otherwise prove little)', () => {
    for (const { name, value } of BROKEN) assert.equal(fresh(value), false, `${name} should be invalid`);
  });
});
