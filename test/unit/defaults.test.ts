// The extension's settings take their defaults from package.json (VS Code fills them in), the
// engine and the CLI from src/core/defaults.ts: the two must say the same, or a folder watched
// in VS Code behaves otherwise than `fileflow watch` on it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as defaults from '../../src/core/defaults';
import { HELP } from '../../src/cli/args';
import { availableParallelism } from 'node:os';
import { REPO_ROOT } from './support/harness';

interface Manifest {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
}

const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const properties = manifest.contributes.configuration.properties;

/** Each setting that has an engine counterpart, and the engine's default. */
const ENGINE_DEFAULTS: Record<string, unknown> = {
  'fileflow.pipelineFile': defaults.DEFAULT_PIPELINE_FILE,
  'fileflow.resultsFolder': defaults.DEFAULT_RESULTS_FOLDER,
  'fileflow.concurrency': defaults.DEFAULT_CONCURRENCY,
  'fileflow.stabilityMs': defaults.DEFAULT_STABILITY_MS,
  'fileflow.ignore': [],
  'fileflow.maxLineBytes': defaults.DEFAULT_MAX_LINE_BYTES,
  'fileflow.retry.maxAttempts': defaults.DEFAULT_MAX_ATTEMPTS,
  'fileflow.usePolling': defaults.DEFAULT_USE_POLLING,
  'fileflow.fileTimeoutSec': defaults.DEFAULT_FILE_TIMEOUT_SEC,
  'fileflow.leaseSec': defaults.DEFAULT_LEASE_SEC,
  'fileflow.http.host': defaults.DEFAULT_HTTP_HOST,
  'fileflow.http.port': defaults.DEFAULT_HTTP_PORT,
};

describe('defaults: package.json and the engine agree', () => {
  for (const [key, engine] of Object.entries(ENGINE_DEFAULTS)) {
    it(`${key} defaults to ${JSON.stringify(engine)} in both`, () => {
      assert.ok(properties[key], `package.json declares no ${key}`);
      assert.deepEqual(properties[key].default, engine);
    });
  }

  it('every setting of package.json has a default (the extension reads them without a fallback)', () => {
    for (const [key, property] of Object.entries(properties)) assert.notEqual(property.default, undefined, `${key} has no default`);
  });

  it('concurrency 0 means one worker per CPU, a positive number itself', () => {
    assert.equal(defaults.workerCount(defaults.DEFAULT_CONCURRENCY), availableParallelism());
    assert.equal(defaults.workerCount(undefined), availableParallelism());
    assert.equal(defaults.workerCount(3), 3);
  });

  it("the CLI's help states the same defaults", () => {
    assert.match(HELP, new RegExp(`--stability-ms MS .*\\(default ${defaults.DEFAULT_STABILITY_MS}\\)`));
    assert.match(HELP, new RegExp(`\\(default ${defaults.DEFAULT_FILE_TIMEOUT_SEC}; 0 = no`));
    assert.match(HELP, new RegExp(`\\(default ${defaults.DEFAULT_MAX_LINE_BYTES}; run`));
    assert.match(HELP, new RegExp(`--retries N .*\\(default ${defaults.DEFAULT_MAX_ATTEMPTS}\\)`));
    assert.match(HELP, new RegExp(`\\(default ${defaults.DEFAULT_LEASE_SEC}; longer`));
  });
});
