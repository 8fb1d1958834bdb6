// Baseline for the "pipeline-1m" benchmark: the seed-style transform written by hand, the way
// a competent engineer would do it in a few dozen lines of plain Node — no framework, no
// routing, no per-node bookkeeping. Fileflow's pipeline is timed against this script.
//
//   number ("[n] line") -> uppercase -> keep /important|error/i -> split on "|", trim, drop empty
//
// Usage: node seedPipeline.mjs INPUT OUTPUT
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node seedPipeline.mjs INPUT OUTPUT');
  process.exit(2);
}

const keep = /important|error/i;
const out = createWriteStream(output);
let count = 0;
let pending = '';

function onLine(line) {
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  const upper = `[${++count}] ${line}`.toUpperCase();
  if (!keep.test(upper)) return;
  for (const part of upper.split('|')) {
    const trimmed = part.trim();
    if (trimmed !== '') pending += trimmed + '\n';
  }
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
