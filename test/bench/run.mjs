// The benchmark driver (`npm run bench`, which builds dist/cli.js minified first). Never part
// of `npm test`. Machines are shared and noisy, so every figure is a median of several runs,
// reported as a RATIO against a baseline measured in the same run, alternating the two.
//
//   node test/bench/run.mjs [--quick] [--big] [--only NAME[,NAME]] [--runs N] [--strict] [--list]
//
// Benchmarks are modules in test/bench/benchmarks/*.mjs exporting
//   name: string, target: string (what "pass" means), description?: string, order?: number,
//   skipReason?(opts) => string | null  (e.g. big inputs only with --big),
//   run(opts) => Promise<{ rows: Row[], details?: object } | { skipped: string }>
// where opts = { quick, big, runs, repo, log(message) } and a Row is
//   { what, unit: 'ms' | 'KiB' | 'MB/s' | 'text', fileflow, baseline, display?, ratio (fileflow
//     cost ÷ baseline cost, or null), target: string, pass: true | false | null (info only) }.
// Throwing fails the benchmark loudly (wrong output, a crashed process): exit status 1.
// Results go to bench-results/<timestamp>.json and bench-results/latest.json.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { BENCH_DIR, BUILT_CLI, BenchFailure, REPO, cacheDir, fmt, gnuTimeAvailable, removeWorkDirs, useCliSnapshot } from './lib/harness.mjs';

const USAGE = `Usage: node test/bench/run.mjs [options]   (npm run bench -- [options])
  --quick          scale inputs down ~10× (and 3 runs unless --runs)
  --big            also run the large-input benchmarks (triage-1gb-memory at 1 GB)
  --only NAME,...  run only these benchmarks (see --list)
  --runs N         timed runs of each side (default 5, or 3 with --quick)
  --strict         exit with 1 when a target is missed (default: report only)
  --list           list the benchmarks and exit
  -h, --help       show this help
Inputs are cached in .bench-cache/ (or $FILEFLOW_BENCH_CACHE); results in bench-results/.`;

function parseArgs(argv) {
  const opts = { quick: false, big: false, only: null, runs: null, strict: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) usage(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--big') opts.big = true;
    else if (arg === '--strict') opts.strict = true;
    else if (arg === '--list') opts.list = true;
    else if (arg === '--only') opts.only = value().split(',').filter(Boolean);
    else if (arg.startsWith('--only=')) opts.only = arg.slice(7).split(',').filter(Boolean);
    else if (arg === '--runs' || arg.startsWith('--runs=')) {
      const runs = Number(arg === '--runs' ? value() : arg.slice(7));
      if (!Number.isInteger(runs) || runs < 1) usage('--runs needs a whole number ≥ 1');
      opts.runs = runs;
    } else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else usage(`unknown option ${arg}`);
  }
  opts.runs ??= opts.quick ? 3 : 5;
  return opts;
}

function usage(message) {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

async function loadBenchmarks() {
  const dir = path.join(BENCH_DIR, 'benchmarks');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  const benchmarks = [];
  for (const file of files) {
    const mod = await import(pathToFileURL(path.join(dir, file)).href);
    if (typeof mod.name !== 'string' || typeof mod.run !== 'function') {
      throw new Error(`${file}: a benchmark module must export name and run()`);
    }
    benchmarks.push(mod);
  }
  // Optional `order` export (default 100), then name: new modules slot in without renames.
  benchmarks.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
  const names = new Set();
  for (const b of benchmarks) {
    if (names.has(b.name)) throw new Error(`two benchmarks are named ${b.name}`);
    names.add(b.name);
  }
  return benchmarks;
}

function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

function buildInfo(cli) {
  const text = readFileSync(cli, 'utf8');
  return {
    kind: /\/\/# sourceMappingURL=/.test(text.slice(-300)) ? 'development' : 'production',
    sha256: createHash('sha256').update(text).digest('hex').slice(0, 16),
  };
}

function machine(loadAtStart) {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadAtStart.map((l) => Math.round(l * 100) / 100),
    peakRssAndCpuVia: gnuTimeAvailable() ? "/usr/bin/time -f '%M %U %S'" : 'node --import maxrss.mjs (node processes only)',
  };
}

function display(row, side) {
  if (row.display?.[side] !== undefined) return row.display[side];
  const value = row[side];
  if (value === null || value === undefined) return '—';
  switch (row.unit) {
    case 'ms':
      return fmt.ms(value);
    case 'KiB':
      return fmt.mib(value);
    case 'MB/s':
      return fmt.mbps(value);
    default:
      return String(value);
  }
}

function verdict(pass) {
  return pass === true ? 'pass' : pass === false ? 'MISS' : 'info';
}

function printTable(results) {
  const header = ['benchmark', 'measure', 'fileflow (median)', 'baseline (median)', 'ratio', 'target', 'result'];
  const lines = [];
  const notes = [];
  for (const r of results) {
    if (r.status === 'ok') {
      for (const row of r.rows) {
        lines.push([
          r.name,
          row.what,
          display(row, 'fileflow'),
          `${display(row, 'baseline')}${row.baselineName ? ` (${row.baselineName})` : ''}`,
          row.ratio === null || row.ratio === undefined ? '—' : fmt.ratio(row.ratio),
          row.target,
          verdict(row.pass),
        ]);
      }
    } else {
      lines.push([r.name, r.status === 'skipped' ? '(skipped)' : '(FAILED)', '', '', '', '', r.status === 'skipped' ? 'skip' : 'FAIL']);
      notes.push(`${r.name} ${r.status === 'skipped' ? 'skipped' : 'FAILED'}: ${r.reason.split('\n')[0]}`);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log('');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
  console.log('\nratio = fileflow ÷ baseline (wall time, CPU time or memory; lower is better), medians of the timed runs.');
  console.log('Wall time decides pass/miss; CPU time (user+sys) is shown because it suffers less from other load.');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const all = await loadBenchmarks();
  if (opts.list) {
    for (const b of all) console.log(`${b.name.padEnd(24)} ${b.description ?? ''}\n${''.padEnd(24)} target: ${b.target ?? '—'}`);
    return 0;
  }
  if (opts.only) {
    const unknown = opts.only.filter((n) => !all.some((b) => b.name === n));
    if (unknown.length > 0) usage(`unknown benchmark ${unknown.join(', ')} (known: ${all.map((b) => b.name).join(', ')})`);
  }
  if (!existsSync(BUILT_CLI)) {
    console.error(`bench: ${path.relative(REPO, BUILT_CLI)} is missing: run "npm run build:prod" (npm run bench does)`);
    return 2;
  }
  mkdirSync(cacheDir(), { recursive: true });
  // Test a private copy: other work in this checkout may rebuild dist/ while we run.
  const build = buildInfo(useCliSnapshot());
  if (build.kind !== 'production') console.error('bench: note: dist/cli.js is a development build (npm run bench builds a production one)');

  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const selected = all.filter((b) => !opts.only || opts.only.includes(b.name));
  console.error(
    `bench: ${selected.length} benchmark(s), ${opts.runs} runs each side${opts.quick ? ', --quick' : ''}${opts.big ? ', --big' : ''}; ` +
      `node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`,
  );
  const results = [];
  for (const bench of selected) {
    // Other work on a shared machine shows up here: read the figures in its light.
    const record = { name: bench.name, target: bench.target ?? null, loadAverageAtStart: Math.round(os.loadavg()[0] * 100) / 100 };
    const ctx = {
      quick: opts.quick,
      big: opts.big,
      runs: opts.runs,
      repo: REPO,
      log: (message) => console.error(`  [${bench.name}] ${message}`),
    };
    const skip = bench.skipReason?.(ctx) ?? null;
    if (skip) {
      console.error(`\n${bench.name}: skipped (${skip})`);
      results.push({ ...record, status: 'skipped', reason: skip });
      continue;
    }
    console.error(`\n${bench.name}: ${bench.description ?? ''}`);
    const started = performance.now();
    try {
      const outcome = await bench.run(ctx);
      removeWorkDirs(); // outputs can be hundreds of MB; kept only when a benchmark fails
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      if (outcome.skipped) {
        console.error(`  skipped: ${outcome.skipped}`);
        results.push({ ...record, status: 'skipped', reason: outcome.skipped, seconds });
      } else {
        results.push({ ...record, status: 'ok', seconds, rows: outcome.rows, details: outcome.details ?? {} });
      }
    } catch (error) {
      removeWorkDirs({ keep: true });
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`\n✗✗✗ ${bench.name} FAILED ✗✗✗\n${reason}\n(outputs kept in ${path.relative(REPO, path.join(cacheDir(), 'work'))}/)\n`);
      if (!(error instanceof BenchFailure)) console.error(error?.stack ?? '');
      results.push({ ...record, status: 'failed', reason, seconds: Math.round((performance.now() - started) / 100) / 10 });
    }
  }

  printTable(results);

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: { quick: opts.quick, big: opts.big, runs: opts.runs, only: opts.only },
    build,
    git: gitInfo(),
    machine: { ...machine(loadAtStart), loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    results,
  };
  const outDir = path.join(REPO, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const stamped = path.join(outDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(report, null, 2) + '\n';
  writeFileSync(stamped, json);
  writeFileSync(path.join(outDir, 'latest.json'), json);
  console.log(`results: ${path.relative(REPO, stamped)} (and bench-results/latest.json)`);

  const failed = results.some((r) => r.status === 'failed');
  const missed = results.some((r) => r.status === 'ok' && r.rows.some((row) => row.pass === false));
  if (failed) return 1;
  if (missed && opts.strict) return 1;
  return 0;
}

// Ctrl-C: exit normally so that 'exit' handlers (removing the dist/ snapshot) run.
process.on('SIGINT', () => process.exit(130));
process.exitCode = await main();
