#!/usr/bin/env node
// Installs what the extension-host tests need to run a real VS Code on this machine (CONTRIBUTING.md):
// Debian's Chromium and libkrb5-dev, Node 24 and the VS Code server from code-server, the last
// two in a cache folder outside the repo. Idempotent: a second run only checks and exits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import {
  CODE_SERVER_VERSION,
  NODE_SPEC,
  SYSTEM_PACKAGES,
  cacheDir,
  codeServerHome,
  codeServerPrefix,
  markerContent,
  markerFile,
  node24,
  node24Bin,
  node24Home,
  node24Prefix,
  serverMain,
  vscodeHome,
} from './cache.mjs';

const started = performance.now();

// Under `npm test` the parent npm exports its settings as npm_* variables (an empty
// allow-scripts, the project's prefix, its user agent …); the installs below must behave the
// same as when this script is run by hand, so they start from an environment without them.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

function say(message) {
  console.log(`[host setup] ${message}`);
}

function fail(message) {
  console.error(`[host setup] ERROR: ${message}`);
  process.exit(1);
}

/** Runs a command with inherited output; exits the script when it fails. */
function run(command, args, options = {}) {
  say(`$ ${[command, ...args].join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
  const stepStarted = performance.now();
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  say(`  done in ${((performance.now() - stepStarted) / 1000).toFixed(1)} s`);
}

function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function missingDebianPackages(names) {
  return names.filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('install ok installed');
  });
}

function installSystemPackages() {
  if (!commandExists('dpkg-query') || !commandExists('apt-get')) {
    if (existsSync('/usr/bin/chromium')) return; // not Debian, but someone provided Chromium
    fail('this needs a Debian-like system (apt-get) to install chromium and libkrb5-dev; on a desktop use `npm run test:host:desktop`.');
  }
  // The native modules of the VS Code server are compiled here, so a compiler is needed too.
  const wanted = [...SYSTEM_PACKAGES];
  if (!commandExists('make')) wanted.push('make');
  if (!commandExists('g++')) wanted.push('g++');
  if (!commandExists('python3')) wanted.push('python3');
  const missing = missingDebianPackages(wanted);
  if (missing.length === 0) {
    say(`system packages present: ${SYSTEM_PACKAGES.join(', ')}`);
    return;
  }
  say(`installing system packages: ${missing.join(', ')}`);
  let sudo = [];
  if (process.getuid?.() !== 0) {
    if (!commandExists('sudo')) fail(`not root and no sudo: run \`apt-get update && apt-get install -y ${missing.join(' ')}\` as root, then retry.`);
    sudo = ['sudo'];
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => (sudo.length ? run('sudo', ['apt-get', ...args], { env }) : run('apt-get', args, { env }));
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', ...missing]);
}

function isInstalled() {
  if (!existsSync(markerFile) || !existsSync(node24) || !existsSync(serverMain)) return false;
  try {
    const marker = JSON.parse(readFileSync(markerFile, 'utf8'));
    return marker.codeServer === markerContent.codeServer && marker.node === markerContent.node;
  } catch {
    return false;
  }
}

function installServer() {
  // Without the marker the folders may hold an interrupted install: start them afresh.
  rmSync(markerFile, { force: true });
  rmSync(node24Prefix, { recursive: true, force: true });
  rmSync(codeServerPrefix, { recursive: true, force: true });
  mkdirSync(node24Prefix, { recursive: true });
  mkdirSync(codeServerPrefix, { recursive: true });

  const npmFlags = ['--no-audit', '--no-fund', '--no-save', '--loglevel=error'];
  say(`installing Node 24 (${NODE_SPEC}) into ${node24Prefix}`);
  run('npm', ['install', '--prefix', node24Prefix, ...npmFlags, NODE_SPEC], { env: cleanEnv });
  const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (!version?.startsWith('v24.')) fail(`${node24} --version printed ${JSON.stringify(version)}, expected v24.x`);
  say(`Node ${version} ready`);

  // Everything below runs on Node 24 and builds native modules against its headers, not the
  // system's (the user's npmrc may point nodedir elsewhere; the environment wins).
  const env = {
    ...cleanEnv,
    PATH: `${node24Bin}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: node24Home,
  };
  say(`installing code-server@${CODE_SERVER_VERSION} into ${codeServerPrefix}`);
  run('npm', ['install', '--prefix', codeServerPrefix, ...npmFlags, `code-server@${CODE_SERVER_VERSION}`], { env });
  // npm 11 does not run dependencies' install scripts; run code-server's by hand. It refuses to
  // run without an npm user agent.
  run('sh', ['./postinstall.sh'], {
    cwd: codeServerHome,
    env: { ...env, npm_config_user_agent: `npm/11 node/${version} linux x64` },
  });
  say('building the VS Code server\'s native modules against Node 24 (a few minutes)');
  run('npm', ['rebuild', '--dangerously-allow-all-scripts', '--loglevel=error'], { cwd: vscodeHome, env });
  if (!existsSync(serverMain)) fail(`${serverMain} is missing after the install`);

  writeFileSync(markerFile, `${JSON.stringify({ ...markerContent, nodeVersion: version, installedAt: new Date().toISOString() }, null, 2)}\n`);
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  fail(`the web-based host tests need Linux x64 (this is ${process.platform}-${process.arch}); on a desktop use \`npm run test:host:desktop\`.`);
}

installSystemPackages();
if (isInstalled()) {
  say(`VS Code server (code-server ${CODE_SERVER_VERSION}) and Node 24 already in ${cacheDir}`);
} else {
  say(`first install into ${cacheDir} (several minutes: downloads about 250 MB, compiles native modules)`);
  installServer();
  say(`installed into ${cacheDir}`);
}
say(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
