// CPU profile of `fileflow run` on the benchmark data, summarised: where does the time go?
//
//   npm run build && node test/bench/profile.mjs [--lines N] [--pipeline seed|default] [--top K] [--baseline]
//   node test/bench/profile.mjs --summarise FILE.cpuprofile [--top K]
//
// Use a development build (`npm run build`): its source map turns positions in dist/cli.js
// back into src/… file:line, and names are not minified. Prints the top functions by self
// time and by total (inclusive) time, and self time per source file. --baseline profiles the
// hand-written baseline script instead (baselines/seedPipeline.mjs, or triage.mjs for
// --pipeline default), for a side-by-side reading. Profiles are kept in .bench-cache/profiles/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, CLI, NODE, REPO, cacheDir, removeWorkDirs, sampleLog, workDir } from './lib/harness.mjs';
import { SEED_BASELINE, SEED_PIPELINE } from './lib/seed.mjs';

function parseArgs(argv) {
  const opts = { lines: 1_000_000, pipeline: 'seed', top: 25, summarise: null, intervalUs: 100, baseline: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--lines') opts.lines = Number(argv[++i]);
    else if (arg === '--pipeline') opts.pipeline = argv[++i];
    else if (arg === '--top') opts.top = Number(argv[++i]);
    else if (arg === '--interval-us') opts.intervalUs = Number(argv[++i]);
    else if (arg === '--summarise' || arg === '--summarize') opts.summarise = argv[++i];
    else if (arg === '--baseline') opts.baseline = true;
    else {
      console.error(`profile: unknown option ${arg}`);
      process.exit(2);
    }
  }
  return opts;
}

async function record(opts) {
  if (!existsSync(`${CLI}.map`) || !/sourceMappingURL/.test(readFileSync(CLI, 'utf8').slice(-300))) {
    console.error('profile: note: dist/cli.js looks minified; run "npm run build" for readable names and src/ locations');
  }
  const input = await sampleLog(opts.lines, 7);
  const dir = workDir('profile');
  const profiles = path.join(cacheDir(), 'profiles');
  mkdirSync(profiles, { recursive: true });
  const before = new Set(readdirSync(profiles));
  const args = [`--cpu-prof`, `--cpu-prof-dir=${profiles}`, `--cpu-prof-interval=${opts.intervalUs}`];
  if (opts.baseline) {
    if (opts.pipeline !== 'seed' && opts.pipeline !== 'default') throw new Error('--baseline needs --pipeline seed or default');
    const script = opts.pipeline === 'seed' ? SEED_BASELINE : path.join(BENCH_DIR, 'baselines', 'triage.mjs');
    args.push(script, input, path.join(dir, 'baseline.txt'));
  } else {
    args.push(CLI, 'run', input, '--out', dir);
    if (opts.pipeline === 'seed') args.push('--pipeline', SEED_PIPELINE);
    else if (opts.pipeline !== 'default') args.push('--pipeline', path.resolve(opts.pipeline));
  }
  console.error(`profile: node ${args.map((a) => path.relative(REPO, a) || a).join(' ')}`);
  const started = performance.now();
  const result = spawnSync(NODE, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = performance.now() - started;
  if (result.status !== 0) throw new Error(`fileflow exited with ${result.status}`);
  const created = readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (created.length !== 1) throw new Error(`expected one new .cpuprofile in ${profiles}, found ${created.length}`);
  removeWorkDirs();
  const who = opts.baseline ? 'baseline script' : 'fileflow';
  console.log(`${who}: wall time with profiler ${Math.round(wall)} ms (${opts.lines} lines, pipeline ${opts.pipeline})`);
  return path.join(profiles, created[0]);
}

/** Maps positions in bundled files back to sources via their source maps (when present). */
class Locator {
  maps = new Map();
  locate(url, line, column) {
    if (!url) return '';
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (!this.maps.has(file)) {
      let map = null;
      try {
        if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
      } catch {
        map = null;
      }
      this.maps.set(file, map);
    }
    const map = this.maps.get(file);
    const entry = map?.findEntry(line, column);
    if (entry && entry.originalSource) {
      const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
      return `${path.relative(REPO, source)}:${entry.originalLine + 1}`;
    }
    const shown = path.isAbsolute(file) ? path.relative(REPO, file) : file;
    return `${shown}:${line + 1}`;
  }
}

function summarise(file, top) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const locator = new Locator();
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const keyOf = new Map();
  const info = new Map();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = f.functionName || '(anonymous)';
    const where = f.url ? locator.locate(f.url, f.lineNumber, f.columnNumber) : '';
    const key = `${name} ${where}`;
    keyOf.set(node.id, key);
    if (!info.has(key)) info.set(key, { name, where, self: 0, total: 0 });
  }

  // Sample i lasts until sample i+1 (as Chrome DevTools counts it).
  const { samples, timeDeltas } = profile;
  let totalUs = 0;
  const bySource = new Map();
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    if (dt <= 0) continue;
    totalUs += dt;
    const id = samples[i];
    const key = keyOf.get(id);
    const entry = info.get(key);
    entry.self += dt;
    const source = entry.where ? entry.where.replace(/:\d+$/, '') : entry.name;
    bySource.set(source, (bySource.get(source) ?? 0) + dt);
    const seen = new Set();
    for (let node = id; node !== undefined; node = parent.get(node)) {
      const k = keyOf.get(node);
      if (seen.has(k)) continue;
      seen.add(k);
      info.get(k).total += dt;
    }
  }

  const ms = (us) => (us / 1000).toFixed(1).padStart(8);
  const pct = (us) => `${((us / totalUs) * 100).toFixed(1)}%`.padStart(6);
  const rows = [...info.values()];
  console.log(`\nprofile ${path.relative(REPO, file)}: ${(totalUs / 1000).toFixed(0)} ms sampled, ${samples.length} samples`);
  console.log(`\nTop ${top} by SELF time:`);
  console.log(`${'self ms'.padStart(8)} ${'self'.padStart(6)} ${'total ms'.padStart(8)}  function  (location)`);
  for (const r of rows.sort((a, b) => b.self - a.self).slice(0, top)) {
    console.log(`${ms(r.self)} ${pct(r.self)} ${ms(r.total)}  ${r.name}  ${r.where ? `(${r.where})` : ''}`);
  }
  console.log(`\nTop ${top} by TOTAL (inclusive) time:`);
  for (const r of rows.sort((a, b) => b.total - a.total).slice(0, top)) {
    console.log(`${ms(r.total)} ${pct(r.total)}  ${r.name}  ${r.where ? `(${r.where})` : ''}`);
  }
  console.log('\nSelf time by source file:');
  for (const [source, us] of [...bySource].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${ms(us)} ${pct(us)}  ${source}`);
  }
}

const opts = parseArgs(process.argv.slice(2));
const file = opts.summarise ? path.resolve(opts.summarise) : await record(opts);
summarise(file, opts.top);
