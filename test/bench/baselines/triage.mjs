// Baseline for the "triage-1gb-memory" benchmark: Fileflow's built-in default pipeline (log
// triage, docs/pipelines.md) written by hand in plain Node, in the same style as seedPipeline.mjs.
// Keeps WARN/WARNING, ERROR/ERR/SEVERE and CRITICAL/CRIT/FATAL/EMERG/ALERT lines (the first
// whole-word level token decides) and writes them as "{file}:{n}: {line}".
//
// Usage: node triage.mjs INPUT OUTPUT
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node triage.mjs INPUT OUTPUT');
  process.exit(2);
}

const LEVEL = /\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|EMERG|ALERT)\b/;
const KEEP = new Set(['WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRITICAL', 'CRIT', 'FATAL', 'EMERG', 'ALERT']);
const file = path.basename(input);
const out = createWriteStream(output);
let n = 0;
let pending = '';

function onLine(line) {
  n++;
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  const level = LEVEL.exec(line);
  if (level !== null && KEEP.has(level[0])) pending += `${file}:${n}: ${line}\n`;
}

async function flush() {
  if (pending === '') return;
  const ok = out.write(pending);
  pending = '';
  if (!ok) await once(out, 'drain');
}

let rest = '';
for await (const chunk of createReadStream(input, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
  const lines = (rest + chunk).split('\n');
  rest = lines.pop();
  for (const line of lines) onLine(line);
  if (pending.length >= 64 * 1024) await flush();
}
if (rest !== '') onLine(rest);
await flush();
out.end();
await once(out, 'finish');
