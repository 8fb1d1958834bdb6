import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main, type CliIo } from '../../src/cli/main';

function capture(cwd: string): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    errIsTty: false,
    cwd,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}

describe('fileflow CLI (smoke)', () => {
  it('generates samples and triages them with the built-in default pipeline', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fileflow-smoke-'));
    try {
      const io = capture(dir);
      assert.equal(await main(['samples', 'in', '--count', '2', '--lines', '50'], io), 0);
      assert.equal(await main(['run', 'in/sample-001.log', 'in/sample-002.log'], io), 0, io.stderr);
      const result = await readFile(path.join(dir, 'results', 'sample-001.log'), 'utf8');
      const input = (await readFile(path.join(dir, 'in', 'sample-001.log'), 'utf8')).split('\n');
      const expected = input
        .map((line, i) => ({ line, n: i + 1 }))
        .filter(({ line }) => /\b(WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|EMERG|ALERT)\b/.test(line))
        .map(({ line, n }) => `sample-001.log:${n}: ${line}\n`)
        .join('');
      assert.ok(expected.length > 0, 'the sample should contain warnings');
      assert.equal(result, expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
