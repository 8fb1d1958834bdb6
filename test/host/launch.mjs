#!/usr/bin/env node
// Runs the extension-host suites inside a real VS Code with no internet (CONTRIBUTING.md): for each
// suite, the VS Code server from code-server on Node 24, Debian's Chromium driven by
// playwright-core, the extension loaded from this repo as a development extension, and
// out/test/host/index.js as the tests module. Prints mocha-style results and exits non-zero on
// any failure, on no results, on zero tests, or when VS Code could not start.
//
//   node test/host/launch.mjs [suite-name …]      (default: every test/host/suite*/ folder)
//   FILEFLOW_HOST_TIMEOUT=600   seconds one suite may take once VS Code has loaded
//   FILEFLOW_HOST_KEEP=1        keep the temporary folders (user data, workspace) for a look
//
// Per suite, test-results/host/<suite>/ holds host.log (server output, browser console),
// result.json, VS Code's own logs, and failure.png when something went wrong.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, node24, serverMain } from './cache.mjs';
import { discoverSuites, prepareSuiteDirs, repoRoot, resultsRoot, suiteConfig, suiteIsCompiled, testsModule } from './suites.mjs';
import { LaunchError, logTo } from './vscodeWeb.mjs';
import { WebSession, isStopping, runMain } from './webSession.mjs';

const RUN_LIMIT_MS = Number(process.env.FILEFLOW_HOST_TIMEOUT || 600) * 1000;
const KEEP_TEMP = process.env.FILEFLOW_HOST_KEEP === '1';

/** Saves the logs VS Code hands over when its test run ends, under the suite's results folder. */
function saveVscodeLogs(logs, dir) {
  for (const entry of Array.isArray(logs) ? logs : []) {
    if (typeof entry?.relativePath !== 'string' || typeof entry?.contents !== 'string') continue;
    const target = normalize(join(dir, entry.relativePath));
    if (relative(dir, target).startsWith('..')) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.contents);
  }
}

/** Runs one suite in a fresh server + browser; returns its report (if any) and what went wrong. */
async function runSuite(name) {
  const config = suiteConfig(name);
  const outDir = join(resultsRoot, name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const logFile = join(outDir, 'host.log');
  const log = logTo(logFile);
  const resultFile = join(outDir, 'result.json');
  const started = Date.now();
  let session;
  let exitCode;
  let report;
  let problem;

  try {
    if (!suiteIsCompiled(config)) throw new LaunchError(`${config.compiledDir} has no compiled tests: run \`npm run build\` first`);
    session = new WebSession({ prefix: `fileflow-host-${name}-`, workspaceName: 'workspace', keepTemp: KEEP_TEMP, log });
    const { dirs } = session;
    const opened = prepareSuiteDirs(config, dirs);
    log(`[launcher] suite ${name}: workspace ${dirs.workspaceDir}${config.fixture ? ` (copy of ${config.fixture})` : ''}`);
    if (opened.isWorkspaceFile) log(`[launcher] multi-root: opening ${opened.openPath} (folders ${config.workspaceFolders.join(', ')})`);
    log(`[launcher] user settings: ${JSON.stringify(config.settings)}`);

    const port = await session.startServer();
    const page = await session.openPage({ width: 1280, height: 800 });

    // VS Code's web workbench calls window.codeAutomationExit(code, logs) when the tests module's
    // run() settles (or could not be loaded): the same hook VS Code's own browser tests use.
    let signalEnd;
    const ended = new Promise((resolve) => (signalEnd = resolve));
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      exitCode = code;
      log(`[launcher] VS Code ended the test run with exit code ${code}`);
      saveVscodeLogs(logs, join(outDir, 'vscode-logs'));
      signalEnd('exit');
    });
    page.on('crash', () => signalEnd('crash'));
    page.on('close', () => signalEnd('close'));
    void session.server.exited.then((code) => signalEnd(`server-exit:${code}`));

    const authority = `localhost:${port}`;
    const remote = (path) => `vscode-remote://${authority}${pathToFileURL(path).pathname}`;
    const payload = [
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(testsModule)],
      ['extensionEnvironment', JSON.stringify({ FILEFLOW_TEST_RESULT: resultFile, FILEFLOW_TEST_SUITE: name })],
    ];
    // The web workbench opens a .code-workspace file with ?workspace=, a single folder with ?folder=.
    const open = `${opened.isWorkspaceFile ? 'workspace' : 'folder'}=${encodeURIComponent(opened.openPath)}`;
    const url = `http://${authority}/?${open}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await session.loadWorkbench(url);
    log(`[launcher] workbench loaded after ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for the tests`);

    // Results arrive as the file plus the exit hook; the file alone is enough after a grace period.
    const deadline = Date.now() + RUN_LIMIT_MS;
    let how;
    void ended.then((value) => (how = value));
    while (how === undefined && Date.now() < deadline) {
      if (existsSync(resultFile)) {
        await Promise.race([ended, sleep(15_000)]);
        how ??= 'result-file';
        break;
      }
      await sleep(250);
    }
    if (existsSync(resultFile)) {
      report = JSON.parse(readFileSync(resultFile, 'utf8'));
      if (report.passes === 0 && report.failures.length === 0) {
        problem = `no tests ran (nothing in ${report.suiteDir ?? name} registered a test)`;
      } else if (exitCode !== undefined && exitCode !== 0 && report.failures.length === 0) {
        problem = `VS Code reported exit code ${exitCode} although no test failed`;
      }
    } else if (how === undefined) {
      problem = `no results after ${RUN_LIMIT_MS / 1000} s (FILEFLOW_HOST_TIMEOUT): the tests hung or never started`;
    } else if (how === 'exit') {
      problem = `VS Code ended the test run (exit code ${exitCode}) without results: the tests module ${testsModule} could not be loaded, or its run() failed before writing them`;
    } else if (how === 'crash' || how === 'close') {
      problem = `the browser page ${how === 'crash' ? 'crashed' : 'closed'} before the tests finished`;
    } else {
      problem = `the VS Code server stopped (${how.slice('server-exit:'.length)}) before the tests finished`;
    }
  } catch (error) {
    problem = error instanceof LaunchError ? error.message : `launcher error: ${error.stack ?? error}`;
  }

  const failed = problem || !report || report.failures.length > 0 || report.passes === 0;
  const page = session?.page;
  if (failed && page && !page.isClosed()) {
    await page.screenshot({ path: join(outDir, 'failure.png'), timeout: 10_000 }).catch(() => undefined);
  }
  await session?.end(join(outDir, 'server-logs'));
  log(`[launcher] suite ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const lastErrors = session?.lastErrors() ?? [];
  return { name, report, problem, lastErrors, logFile, outDir, seconds: (Date.now() - started) / 1000 };
}

function printReport(outcome) {
  const { report } = outcome;
  const indent = (depth) => '  '.repeat(depth + 1);
  let shown = [];
  let failureNumber = 0;
  console.log('');
  for (const result of report.results) {
    const suites = result.titlePath.slice(0, -1);
    const title = result.titlePath.at(-1);
    let common = 0;
    while (common < suites.length && shown[common] === suites[common]) common++;
    for (let depth = common; depth < suites.length; depth++) console.log(`${indent(depth)}${suites[depth]}`);
    shown = suites;
    const timing = result.durationMs !== undefined && result.durationMs >= 75 ? ` (${result.durationMs}ms)` : '';
    if (result.state === 'passed') console.log(`${indent(suites.length)}✔ ${title}${timing}`);
    else if (result.state === 'pending') console.log(`${indent(suites.length)}- ${title}`);
    else console.log(`${indent(suites.length)}✖ ${++failureNumber}) ${title}`);
  }
  console.log('');
  console.log(`  ${report.passes} passing (${(report.durationMs / 1000).toFixed(1)}s)`);
  if (report.pending > 0) console.log(`  ${report.pending} pending`);
  if (report.failures.length > 0) {
    console.log(`  ${report.failures.length} failing`);
    report.failures.forEach((failure, index) => {
      console.log('');
      console.log(`  ${index + 1}) ${failure.fullTitle}:`);
      const body = failure.stack && failure.stack.includes(failure.message) ? failure.stack : `${failure.message}\n${failure.stack ?? ''}`;
      console.log(body.trimEnd().split('\n').map((line) => `     ${line}`).join('\n'));
      if (failure.actual !== undefined && failure.expected !== undefined && failure.actual !== failure.expected) {
        console.log('\n     + expected - actual\n');
        for (const line of failure.actual.split('\n')) console.log(`     -${line}`);
        for (const line of failure.expected.split('\n')) console.log(`     +${line}`);
      }
    });
  }
  console.log('');
}

function printLogTail(file, lines = 60) {
  if (!existsSync(file)) return;
  const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  console.log(`  --- last ${tail.length} lines of ${relative(process.cwd(), file)} ---`);
  for (const line of tail) console.log(`  | ${line}`);
  console.log('  ---');
}

async function main() {
  const missing = [
    [node24, 'Node 24'],
    [serverMain, 'the VS Code server'],
    [CHROMIUM, 'Chromium'],
  ].filter(([path]) => !existsSync(path));
  if (missing.length > 0) {
    console.error(`${missing.map(([path, what]) => `${what} (${path})`).join(', ')} not found: run \`node test/host/setup.mjs\` (\`npm run test:host\` does).`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  if (!existsSync(testsModule)) {
    console.error(`${testsModule} not found: run \`npm run build\` first.`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : discoverSuites();
  if (names.length === 0) {
    console.error('no host suites (test/host/suite*/) found.');
    console.log('0 passed, 1 failed');
    return 1;
  }

  let passed = 0;
  let failed = 0;
  let pending = 0;
  for (const name of names) {
    console.log(`\nExtension-host suite "${name}" in VS Code (web, code-server's server)`);
    const outcome = await runSuite(name);
    if (isStopping()) return 130; // interrupted: the signal handler reports and exits
    const { report } = outcome;
    if (report) {
      printReport(outcome);
      passed += report.passes;
      failed += report.failures.length;
      pending += report.pending;
      if (report.passes === 0 && report.failures.length === 0) outcome.problem ??= 'no tests ran';
    }
    if (outcome.problem) {
      console.log(`  ✖ suite "${name}": ${outcome.problem}`);
      if (!report && outcome.lastErrors.length > 0) {
        console.log('  Last errors in the VS Code window:');
        for (const text of outcome.lastErrors) console.log(`    ${text.split('\n')[0]}`);
      }
      // A suite that could not run counts as a failure, so the closing line never reads clean.
      if (!report || report.failures.length === 0) failed++;
    }
    const bad = outcome.problem || !report || report.failures.length > 0;
    if (bad) {
      printLogTail(outcome.logFile, outcome.problem ? 80 : 25);
      console.log(`  Logs, result.json and a screenshot (if any) are in ${relative(process.cwd(), outcome.outDir)}/`);
    }
    console.log(`  suite "${name}" took ${outcome.seconds.toFixed(1)} s`);
  }
  console.log('');
  console.log(`${passed} passed, ${failed} failed${pending > 0 ? `, ${pending} skipped` : ''}`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

runMain(main);
