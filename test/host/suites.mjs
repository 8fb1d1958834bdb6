// Finds the extension-host suites and what each needs, for launch.mjs (web) and runDesktop.mjs
// (@vscode/test-electron) alike. A suite is a folder test/host/suite or test/host/suite-<name>
// holding *.test.ts files; each suite runs in its own fresh VS Code window, because the settings
// it needs (workspace trust above all) hold for the whole window. An optional suite.json beside
// the tests says what differs:
//   { "settings": { "security.workspace.trust.enabled": true },   // merged over the defaults
//     "workspace": "fixtures/other",                               // relative to test/host
//     "workspaceFolders": ["one", "two"],  // a multi-root window: these folders of the workspace
//     "manual": true }              // not run by default (only by name, e.g. from npm run bench)
// With "workspaceFolders", the window opens a .code-workspace file listing those folders (paths
// relative to the copied workspace; missing ones are created empty) instead of the folder
// itself: the only way to get more than one workspace folder at start, on the web and desktop.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const hostSourceDir = join(repoRoot, 'test', 'host');
export const hostOutDir = join(repoRoot, 'out', 'test', 'host');
export const testsModule = join(hostOutDir, 'index.js');
export const resultsRoot = join(repoRoot, 'test-results', 'host');

// Most suites test the extension, not Restricted Mode: trust is off unless a suite turns it on.
// (An extension loaded from extensionDevelopmentPath runs even in Restricted Mode; test trust
// behaviour with the extension installed from the .vsix, as test/e2e does.)
export const defaultSettings = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'chat.disableAIFeatures': true,
};

const SUITE_NAME = /^suite(-[a-z0-9][a-z0-9-]*)?$/;

/** Suite folder names under test/host, "suite" first. */
export function discoverSuites() {
  return readdirSync(hostSourceDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && SUITE_NAME.test(entry.name))
    .filter((entry) => !isManual(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => (a === 'suite' ? -1 : b === 'suite' ? 1 : a.localeCompare(b)));
}

function isManual(name) {
  const configFile = join(hostSourceDir, name, 'suite.json');
  if (!existsSync(configFile)) return false;
  try {
    return JSON.parse(readFileSync(configFile, 'utf8')).manual === true;
  } catch {
    return false; // suiteConfig() reports the broken file when the suite runs
  }
}

/** What a suite needs: its settings and the fixture folder its workspace starts as (if any). */
export function suiteConfig(name) {
  if (!SUITE_NAME.test(name)) throw new Error(`"${name}" is not a host suite name (suite or suite-<name>).`);
  const dir = join(hostSourceDir, name);
  if (!existsSync(dir)) throw new Error(`no host suite folder ${dir}`);
  const configFile = join(dir, 'suite.json');
  let config = {};
  if (existsSync(configFile)) {
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (error) {
      throw new Error(`${configFile}: ${error.message}`);
    }
  }
  const workspace = config.workspace ? join(hostSourceDir, config.workspace) : join(hostSourceDir, 'fixtures', 'workspace');
  if (config.workspace && !existsSync(workspace)) throw new Error(`${configFile}: workspace ${workspace} does not exist`);
  return {
    name,
    settings: { ...defaultSettings, ...(config.settings ?? {}) },
    fixture: existsSync(workspace) ? workspace : undefined,
    workspaceFolders: workspaceFoldersOf(config, configFile),
    compiledDir: join(hostOutDir, name),
  };
}

/** suite.json's "workspaceFolders", checked: folders inside the workspace, at least two. */
function workspaceFoldersOf(config, configFile) {
  if (config.workspaceFolders === undefined) return undefined;
  const folders = config.workspaceFolders;
  if (!Array.isArray(folders) || folders.length < 2 || !folders.every((f) => typeof f === 'string' && f !== '')) {
    throw new Error(`${configFile}: "workspaceFolders" must list at least two folder paths (one folder needs no workspace file)`);
  }
  for (const folder of folders) {
    // Inside the temporary workspace, so a run never touches (or opens) anything outside it.
    if (isAbsolute(folder) || normalize(folder).split(/[\\/]/)[0] === '..') {
      throw new Error(`${configFile}: workspace folder "${folder}" must be a path inside the workspace`);
    }
  }
  return folders;
}

/** The .code-workspace file of a multi-root suite, beside (not inside) its workspace folders. */
const WORKSPACE_FILE_NAME = 'fileflow-tests.code-workspace';

/**
 * Lays out a fresh workspace folder (a copy of the suite's fixture) and user settings. Returns
 * what the window must open: the workspace folder, or for a multi-root suite the
 * .code-workspace file written there (`isWorkspaceFile` says which).
 */
export function prepareSuiteDirs(config, { workspaceDir, userDataDir }) {
  mkdirSync(workspaceDir, { recursive: true });
  if (config.fixture) cpSync(config.fixture, workspaceDir, { recursive: true });
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), `${JSON.stringify(config.settings, null, 2)}\n`);
  if (!config.workspaceFolders) return { openPath: workspaceDir, isWorkspaceFile: false };
  for (const folder of config.workspaceFolders) mkdirSync(join(workspaceDir, folder), { recursive: true });
  const workspaceFile = join(workspaceDir, WORKSPACE_FILE_NAME);
  const folders = config.workspaceFolders.map((folder) => ({ path: folder }));
  writeFileSync(workspaceFile, `${JSON.stringify({ folders }, null, 2)}\n`);
  return { openPath: workspaceFile, isWorkspaceFile: true };
}

/** True when `npm run build` has compiled the suite's tests (the launchers check before starting). */
export function suiteIsCompiled(config) {
  return existsSync(config.compiledDir) && readdirSync(config.compiledDir, { recursive: true }).some((file) => String(file).endsWith('.test.js'));
}
