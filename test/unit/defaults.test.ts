// The extension's settings take their defaults from package.json (VS Code fills them in), the
// engine and the CLI from src/core/defaults.ts: the two must say the same, or a folder watched
// in VS Code behaves otherwise than `fileflow watch` on it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_FILE_TIMEOUT_SEC,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_LEASE_SEC,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_PIPELINE_FILE,
  DEFAULT_RESULTS_FOLDER,
  DEFAULT_STABILITY_MS,
  DEFAULT_USE_POLLING,
  workerCount,
} from '../../src/core/defaults';
import { HELP } from '../../src/cli/args';
import { availableParallelism } from 'node:os';

interface Manifest {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as Manifest;
const properties = manifest.contributes.configuration.properties;

/** Each setting that has an engine counterpart, and the engine's default. */
const ENGINE_DEFAULTS: Record<string, unknown> = {
  'fileflow.pipelineFile': DEFAULT_PIPELINE_FILE,
  'fileflow.resultsFolder': DEFAULT_RESULTS_FOLDER,
  'fileflow.concurrency': DEFAULT_CONCURRENCY,
  'fileflow.stabilityMs': DEFAULT_STABILITY_MS,
  'fileflow.ignore': [],
  'fileflow.maxLineBytes': DEFAULT_MAX_LINE_BYTES,
  'fileflow.retry.maxAttempts': DEFAULT_MAX_ATTEMPTS,
  'fileflow.usePolling': DEFAULT_USE_POLLING,
  'fileflow.fileTimeoutSec': DEFAULT_FILE_TIMEOUT_SEC,
  'fileflow.leaseSec': DEFAULT_LEASE_SEC,
  'fileflow.http.host': DEFAULT_HTTP_HOST,
  'fileflow.http.port': DEFAULT_HTTP_PORT,
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
    assert.equal(workerCount(DEFAULT_CONCURRENCY), availableParallelism());
    assert.equal(workerCount(undefined), availableParallelism());
    assert.equal(workerCount(3), 3);
  });

  it("the CLI's help states the same defaults", () => {
    assert.match(HELP, new RegExp(`--stability-ms MS .*\\(default ${DEFAULT_STABILITY_MS}\\)`));
    assert.match(HELP, new RegExp(`\\(default ${DEFAULT_FILE_TIMEOUT_SEC}; 0 = no`));
    assert.match(HELP, new RegExp(`\\(default ${DEFAULT_MAX_LINE_BYTES}; run`));
    assert.match(HELP, new RegExp(`--retries N .*\\(default ${DEFAULT_MAX_ATTEMPTS}\\)`));
    assert.match(HELP, new RegExp(`\\(default ${DEFAULT_LEASE_SEC}; longer`));
  });
});
