// The pipeline schema's validator is generated code (esbuild.mjs --codegen). If the schema
// changes and the validator is not regenerated, validation silently checks the old schema.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../../..');

describe('generated schema validator', () => {
  it('is up to date with pipeline.schema.json', () => {
    const result = spawnSync(process.execPath, ['esbuild.mjs', '--check-codegen'], { cwd: repo, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });
});
