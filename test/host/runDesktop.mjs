#!/usr/bin/env node
// Runs the same extension-host suites in desktop VS Code, for a developer machine with internet:
// @vscode/test-electron downloads VS Code into .vscode-test/ on first use. This machine and CI
// have no such download and use launch.mjs instead (CONTRIBUTING.md).
//
//   npm run test:host:desktop [-- suite-name …]
//   FILEFLOW_VSCODE_VERSION=1.90.0   VS Code to test against (default: stable; "insiders" works)
//   FILEFLOW_VSCODE_EXECUTABLE=…     an installed VS Code (its Electron binary) instead of a download
//   On Linux without a display, run it under xvfb-run.
//
// VS Code is started here rather than through test-electron's runTests(), which always passes
// --disable-workspace-trust: that would quietly turn a suite.json's trust setting off.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadAndUnzipVSCode } from '@vscode/test-electron';
import { discoverSuites, prepareSuiteDirs, repoRoot, resultsRoot, suiteConfig, suiteIsCompiled, testsModule } from './suites.mjs';

const version = process.env.FILEFLOW_VSCODE_VERSION || 'stable';
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : discoverSuites();

/** Starts VS Code as runTests() does, and resolves with its exit code. */
function runVscode(executable, args, env) {
  return new Promise((resolve) => {
    const shell = process.platform === 'win32';
    const child = spawn(shell ? `"${executable}"` : executable, args, { env, shell, stdio: 'inherit' });
    const onSigint = () => child.kill('SIGINT');
    process.once('SIGINT', onSigint);
    child.on('error', (error) => console.error(`could not start ${executable}: ${error.message}`));
    child.on('close', (code, signal) => {
      process.removeListener('SIGINT', onSigint);
      resolve(code ?? signal);
    });
  });
}

const executable = process.env.FILEFLOW_VSCODE_EXECUTABLE || (await downloadAndUnzipVSCode({ version }));

let passed = 0;
let failed = 0;
for (const name of names) {
  const config = suiteConfig(name);
  if (!suiteIsCompiled(config)) {
    console.error(`${config.compiledDir} has no compiled tests: run \`npm run build\` first.`);
    failed++;
    continue;
  }
  const outDir = join(resultsRoot, `desktop-${name}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const resultFile = join(outDir, 'result.json');
  // Fresh user data (settings from suite.json), extensions and workspace for every suite.
  const tempDir = mkdtempSync(join(tmpdir(), `fileflow-desktop-${name}-`));
  const dirs = { userDataDir: join(tempDir, 'user'), workspaceDir: join(tempDir, 'workspace') };
  // The folder, or for a multi-root suite the .code-workspace file listing its folders.
  const { openPath } = prepareSuiteDirs(config, dirs);
  const trust = config.settings['security.workspace.trust.enabled'] === true;
  const args = [
    openPath,
    `--user-data-dir=${dirs.userDataDir}`,
    `--extensions-dir=${join(tempDir, 'extensions')}`,
    '--disable-extensions',
    // The rest as runTests() passes them (see the comment at the top).
    '--no-sandbox',
    '--disable-gpu-sandbox',
    '--disable-updates',
    '--skip-welcome',
    '--skip-release-notes',
    ...(trust ? [] : ['--disable-workspace-trust']),
    `--extensionDevelopmentPath=${repoRoot}`,
    `--extensionTestsPath=${testsModule}`,
  ];
  const env = { ...process.env, FILEFLOW_TEST_RESULT: resultFile, FILEFLOW_TEST_SUITE: name };
  delete env.ELECTRON_RUN_AS_NODE;
  console.log(`\nExtension-host suite "${name}" in desktop VS Code (${executable})`);
  let code;
  try {
    code = await runVscode(executable, args, env);
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  let report;
  try {
    report = JSON.parse(readFileSync(resultFile, 'utf8'));
  } catch {
    console.error(`suite "${name}": VS Code exited (${code}) without writing ${resultFile}.`);
    failed++;
    continue;
  }
  passed += report.passes;
  failed += report.failures.length;
  if (report.passes === 0 && report.failures.length === 0) {
    console.error(`suite "${name}": no tests ran.`);
    failed++;
  } else if (code !== 0 && report.failures.length === 0) {
    console.error(`suite "${name}": VS Code exited with ${code} although no test failed.`);
    failed++;
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
