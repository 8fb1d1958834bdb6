// Baseline for the "burst" and "scaling" benchmarks: the folder queue's happy path written by
// hand in plain Node, the way a competent engineer would do it in a few dozen lines — no
// watcher, no worker threads, no unique-name checks, no summaries, no atomic result writes.
// Per file: rename unprocessed/ → underprocess/, read it whole, triage it (the built-in
// default pipeline's rule, as in triage.mjs), write results/<name>, rename to processed/.
// `inFlight` files (default 8) are handled at once on the one thread (async fs I/O).
//
// Usage: node burstQueue.mjs ROOT [inFlight]     (flat inbox: files directly in unprocessed/)
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const [root, inFlightArg = '8'] = process.argv.slice(2);
if (!root) {
  console.error('usage: node burstQueue.mjs ROOT [inFlight]');
  process.exit(2);
}
const inFlight = Number(inFlightArg);
const dir = (state) => path.join(root, state);

const LEVEL = /\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|EMERG|ALERT)\b/;
const KEEP = new Set(['WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRITICAL', 'CRIT', 'FATAL', 'EMERG', 'ALERT']);

function triage(name, text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline ends the last line
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    const level = LEVEL.exec(line);
    if (level !== null && KEEP.has(level[0])) out += `${name}:${i + 1}: ${line}\n`;
  }
  return out;
}

async function handle(name) {
  const claimed = path.join(dir('underprocess'), name);
  await rename(path.join(dir('unprocessed'), name), claimed);
  const text = await readFile(claimed, 'utf8');
  await writeFile(path.join(dir('results'), name), triage(name, text));
  await rename(claimed, path.join(dir('processed'), name));
}

for (const state of ['unprocessed', 'underprocess', 'processed', 'results']) await mkdir(dir(state), { recursive: true });
const names = (await readdir(dir('unprocessed'), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
let next = 0;
async function lane() {
  while (next < names.length) await handle(names[next++]);
}
await Promise.all(Array.from({ length: Math.min(inFlight, names.length) }, lane));
