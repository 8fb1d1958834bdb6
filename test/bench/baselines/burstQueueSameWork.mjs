// Information baseline for the "burst" benchmark: burstQueue.mjs plus the filesystem work that
// Fileflow's guarantees need per file (docs/queue.md), still hand-written in plain Node with 8 files
// in flight on one thread:
//   - the claimed name must be free everywhere it leaves a trace (five lstats: underprocess/,
//     processed/, failed/, results/<name>, results/<name>.summary.json), else "stem (2).ext"…;
//   - the result is written under a temporary name and renamed into place (never half-written);
//   - a summary JSON is written the same way, before the original moves to processed/.
// No watcher, no worker threads, no metrics, no retries, no logging. The gap between this and
// burstQueue.mjs is the price of those guarantees; the gap between Fileflow and this is
// Fileflow's own overhead.
//
// Usage: node burstQueueSameWork.mjs ROOT [inFlight]     (flat inbox: files directly in unprocessed/)
import { lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const [root, inFlightArg = '8'] = process.argv.slice(2);
if (!root) {
  console.error('usage: node burstQueueSameWork.mjs ROOT [inFlight]');
  process.exit(2);
}
const inFlight = Number(inFlightArg);
const dir = (state) => path.join(root, state);

const LEVEL = /\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|EMERG|ALERT)\b/;
const KEEP = new Set(['WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRITICAL', 'CRIT', 'FATAL', 'EMERG', 'ALERT']);

function triage(name, text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let out = '';
  let kept = 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    const level = LEVEL.exec(line);
    if (level !== null && KEEP.has(level[0])) {
      out += `${name}:${i + 1}: ${line}\n`;
      kept++;
    }
  }
  return { out, linesIn: lines.length, linesOut: kept };
}

const missing = (file) => lstat(file).then(() => false, (error) => error.code === 'ENOENT');

async function nameIsFree(name) {
  const traces = ['underprocess', 'processed', 'failed'].map((state) => path.join(dir(state), name));
  traces.push(path.join(dir('results'), name), path.join(dir('results'), `${name}.summary.json`));
  return (await Promise.all(traces.map(missing))).every(Boolean);
}

let temporary = 0;
async function writeAtomic(file, content) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${++temporary}.tmp`);
  await writeFile(tmp, content, { flag: 'wx' });
  await rename(tmp, file);
}

const reserved = new Set();
async function claimName(name) {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? name : `${stem} (${i})${ext}`;
    if (reserved.has(candidate)) continue;
    reserved.add(candidate);
    if (await nameIsFree(candidate)) return candidate;
    reserved.delete(candidate);
  }
}

async function handle(name) {
  const started = Date.now();
  const claimedName = await claimName(name);
  const claimed = path.join(dir('underprocess'), claimedName);
  await rename(path.join(dir('unprocessed'), name), claimed);
  const text = await readFile(claimed, 'utf8');
  const { out, linesIn, linesOut } = triage(claimedName, text);
  const result = path.join(dir('results'), claimedName);
  await writeAtomic(result, out);
  const finished = Date.now();
  const summary = {
    name: claimedName,
    source: `unprocessed/${name}`,
    status: 'processed',
    pipeline: 'logs',
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    linesIn,
    linesOut,
    bytesIn: Buffer.byteLength(text),
    bytesOut: Buffer.byteLength(out),
  };
  await writeAtomic(`${result}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  await rename(claimed, path.join(dir('processed'), claimedName));
  reserved.delete(claimedName);
}

for (const state of ['unprocessed', 'underprocess', 'processed', 'failed', 'results']) await mkdir(dir(state), { recursive: true });
const names = (await readdir(dir('unprocessed'), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
let next = 0;
async function lane() {
  while (next < names.length) await handle(names[next++]);
}
await Promise.all(Array.from({ length: Math.min(inFlight, names.length) }, lane));
