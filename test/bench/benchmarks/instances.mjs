// instances: several Fileflow instances on one queue root.
//   (a) the burst (2,000 queued 50-line logs, built-in default pipeline, inbox files dated an
//       hour back) drained by ONE `fileflow watch ROOT --once --concurrency 1` against TWO such
//       processes started together on the same root: the speed-up of adding an instance
//       (target ≥ 1.6× on 2 cores). Every file must end in processed/ once, in both.
//   (b) takeover time: an instance is SIGKILLed with a (slow) file in flight; how long until
//       another instance has finished that file, against leaseSec, for an instance on this host
//       (its dead pid is noticed at once) and for "another machine" (FILEFLOW_HOST_ID: only its
//       lease's expiry tells). Reported as figures; no baseline.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { BenchFailure, CLI, NODE, median, timedSides } from '../lib/harness.mjs';
import { burstFiles, burstSamples, checkFileflowRoot, fillInbox, queueWorkDir, runFileflowOnce } from '../lib/queue.mjs';

export const name = 'instances';
export const order = 215;
export const SPEEDUP_TARGET = 1.6;
export const target = `speed-up ≥ ${SPEEDUP_TARGET}× with 2 instances at --concurrency 1 vs 1 (on ≥ 2 cores); takeover times (info)`;
export const description = 'the burst drained by 1 vs 2 instances on one root; takeover time after SIGKILL, same host and "remote"';

const TAKEOVER_LEASE_SEC = 5;

const once = (root, cwd) => runFileflowOnce(root, cwd, ['--concurrency', '1']);

export async function run(ctx) {
  const count = burstFiles(ctx);
  const { dir: source, names } = await burstSamples(count);
  const { dir, cwd } = queueWorkDir(name);
  let round = 0;
  let root;
  const fresh = (side) => {
    root = path.join(dir, `${side}-${++round}`);
    fillInbox(root, source, names);
  };
  const result = await timedSides(ctx, {
    one: {
      label: '1 instance',
      prepare: () => fresh('one'),
      run: async () => {
        const sample = await once(root, cwd);
        checkFileflowRoot(root, names);
        return sample;
      },
    },
    two: {
      label: '2 instances',
      prepare: () => fresh('two'),
      run: async () => {
        const started = performance.now();
        const [a, b] = await Promise.all([once(root, cwd), once(root, cwd)]);
        const ms = performance.now() - started;
        checkFileflowRoot(root, names);
        return { ms, cpuMs: a.cpuMs !== null && b.cpuMs !== null ? a.cpuMs + b.cpuMs : null, maxRssKiB: Math.max(a.maxRssKiB ?? 0, b.maxRssKiB ?? 0) || null };
      },
    },
  });
  const cores = availableParallelism();
  const speedup = result.one.medianMs / result.two.medianMs;
  const filesPerSec = (side) => count / (side.medianMs / 1000);
  const judged = cores >= 2;
  const rows = [
    {
      what: `2 instances × --concurrency 1, ${count} files`,
      unit: 'text',
      fileflow: filesPerSec(result.two),
      baseline: filesPerSec(result.one),
      baselineName: '1 instance',
      display: { fileflow: `${filesPerSec(result.two).toFixed(0)} files/s (×${speedup.toFixed(2)})`, baseline: `${filesPerSec(result.one).toFixed(0)} files/s` },
      ratio: result.two.medianMs / result.one.medianMs,
      target: judged ? `speed-up ≥ ${SPEEDUP_TARGET}×` : `info (${cores} core)`,
      pass: judged ? speedup >= SPEEDUP_TARGET : null,
    },
  ];

  const takeovers = {};
  for (const remote of [false, true]) {
    const times = [];
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) times.push(await takeoverTime(path.join(dir, `takeover-${remote ? 'remote' : 'local'}-${i}`), remote));
    const key = remote ? 'remote' : 'sameHost';
    takeovers[key] = { ms: times, medianMs: median(times) };
    rows.push({
      what: `takeover after SIGKILL, ${remote ? '"another machine"' : 'same host'}, leaseSec ${TAKEOVER_LEASE_SEC}`,
      unit: 'ms',
      fileflow: median(times),
      baseline: TAKEOVER_LEASE_SEC * 1000,
      baselineName: 'leaseSec',
      ratio: median(times) / (TAKEOVER_LEASE_SEC * 1000),
      target: 'info',
      pass: null,
    });
  }
  return { rows, details: { files: count, cores, speedup, one: result.one, two: result.two, takeovers, leaseSec: TAKEOVER_LEASE_SEC } };
}

/**
 * Starts instance A (remote: with another host id) on a slow file, starts instance B once A has
 * claimed it, and SIGKILLs A; returns ms from the kill until B finished the file (its time to
 * notice, take over and process it again, minus that processing, which B's summary measures).
 */
async function takeoverTime(root, remote) {
  mkdirSync(path.join(root, 'unprocessed'), { recursive: true });
  const pipelineDir = path.join(root, '..', `${path.basename(root)}-pipeline`);
  mkdirSync(pipelineDir, { recursive: true });
  writeFileSync(path.join(pipelineDir, 'slow.cjs'), 'module.exports.createProcessor = () => ({ process(line, ctx) { const until = Date.now() + 2; while (Date.now() < until); ctx.emit(line); } });\n');
  const pipeline = path.join(pipelineDir, 'slow.json');
  writeFileSync(pipeline, JSON.stringify({ version: 1, nodes: { start: { use: { module: './slow.cjs' } } } }));
  const args = ['watch', root, '--lease-sec', String(TAKEOVER_LEASE_SEC), '--pipeline', pipeline, '--concurrency', '1', '--stability-ms', '50', '--log-level', 'error'];
  // A alone first, so that it is A that claims the file; B joins while A is at work.
  const a = spawnWatch(args, remote ? { FILEFLOW_HOST_ID: 'another-machine' } : {});
  let b;
  try {
    await until(() => a.watching(), 30_000, 'A to start');
    writeFileSync(path.join(root, 'unprocessed', 'inflight.log'), 'line\n'.repeat(3000)); // ~6 s of work
    await until(() => existsSync(path.join(root, 'underprocess', `.ff-${a.id()}`, 'inflight.log')), 30_000, 'A to claim the file');
    b = spawnWatch(args, {});
    await until(() => b.watching(), 30_000, 'B to start');
    a.child.kill('SIGKILL');
    const killed = performance.now();
    const summary = path.join(root, 'results', 'inflight.log.summary.json');
    await until(() => existsSync(summary), 120_000, 'B to finish the taken-over file');
    const finished = performance.now();
    const { durationMs } = JSON.parse(readFileSync(summary, 'utf8'));
    return Math.round(finished - killed - durationMs);
  } finally {
    a.child.kill('SIGKILL');
    b?.child.kill('SIGTERM');
    await Promise.all([a.exited, b?.exited]);
  }
}

function spawnWatch(args, env) {
  const child = spawn(NODE, [CLI, ...args, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (t) => (out += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (err += t));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    child,
    exited,
    watching: () => /watching/.test(err),
    // The lease file names the instance: the only one under .fileflow/instances from this pid.
    id: () => {
      const started = out.split('\n').find((line) => line.includes('"event":"started"'));
      if (started === undefined) throw new BenchFailure(`no started line from ${child.pid}: ${err}`);
      return findLeaseId(JSON.parse(started).root, child.pid);
    },
  };
}

function findLeaseId(root, pid) {
  const folder = path.join(root, '.fileflow', 'instances');
  for (const file of existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json')) : []) {
    const lease = JSON.parse(readFileSync(path.join(folder, file), 'utf8'));
    if (lease.pid === pid) return lease.id;
  }
  return '?';
}

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new BenchFailure(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
