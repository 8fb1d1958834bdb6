// Bundles the entry points: the `fileflow` CLI (and, as they arrive, the extension host code,
// the processing worker and the webview). Type checking is tsc's job (`npm run build`).
import * as esbuild from 'esbuild';
import { chmod, copyFile, mkdir } from 'node:fs/promises';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const nodeDefaults = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  external: ['vscode'],
  // jsonc-parser's default (UMD) build hides its requires from the bundler; take its ES build.
  mainFields: ['module', 'main'],
};

const builds = [
  {
    ...nodeDefaults,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
  // The processing worker thread, loaded by src/core/queue/workerPool.ts from beside the
  // bundle that starts it.
  { ...nodeDefaults, entryPoints: { worker: 'src/core/queue/worker.ts' }, outdir: 'dist' },
  // The VS Code extension host entry (the only bundle with `vscode` as an external).
  { ...nodeDefaults, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  // The metrics panel's page: a browser bundle (no Node), loaded under the panel's CSP.
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
    entryPoints: { main: 'webview/main.ts' },
    outdir: 'dist/webview',
  },
];

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  await chmod('dist/cli.js', 0o755);
  // VS Code's jsonValidation points at this copy of the pipeline schema.
  await mkdir('dist', { recursive: true });
  await copyFile('src/core/config/pipeline.schema.json', 'dist/pipeline.schema.json');
  await copyFile('webview/styles.css', 'dist/webview/styles.css');
}
