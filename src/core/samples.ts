// Sample log files in the seed system's format, deterministic for a given seed:
//   2026-11-30 10:00:00 [LEVEL] Component: message          (80 %)
//   2026-11-30 10:00:00|LEVEL|Component|message             (20 %)

import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface SampleOptions {
  count?: number;
  lines?: number;
  seed?: number;
}

const LEVELS: [string, number][] = [
  ['DEBUG', 0.2],
  ['INFO', 0.5],
  ['WARNING', 0.15],
  ['ERROR', 0.12],
  ['CRITICAL', 0.03],
];
const COMPONENTS = ['Auth', 'Database', 'Cache', 'Scheduler', 'Api', 'Storage', 'Billing', 'Mailer'];
const MESSAGES = [
  'request completed in {ms} ms',
  'user {id} logged in',
  'connection pool at {pct}% capacity',
  'retrying operation after timeout',
  'important: configuration reloaded',
  'failed to write record {id}: disk quota exceeded',
  'cache miss for key user:{id}',
  'job {id} finished',
  'important: certificate expires in {days} days',
  'slow query took {ms} ms',
  'payment {id} declined',
  'queue depth is {id}',
];

/** mulberry32: small, fast and good enough for sample data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generates `lines` log lines; `random` decides everything, so output depends only on it. */
export function sampleLogLines(lines: number, random: () => number, startTime = Date.UTC(2026, 10, 30, 8, 0, 0)): string[] {
  const out: string[] = [];
  let time = startTime;
  for (let i = 0; i < lines; i++) {
    time += Math.floor(random() * 3000);
    const level = pickLevel(random());
    const component = COMPONENTS[Math.floor(random() * COMPONENTS.length)];
    const message = MESSAGES[Math.floor(random() * MESSAGES.length)]
      .replace('{ms}', String(Math.floor(random() * 5000)))
      .replace('{id}', String(Math.floor(random() * 100000)))
      .replace('{pct}', String(Math.floor(random() * 100)))
      .replace('{days}', String(1 + Math.floor(random() * 30)));
    const stamp = new Date(time).toISOString().slice(0, 19).replace('T', ' ');
    out.push(random() < 0.2 ? `${stamp}|${level}|${component}|${message}` : `${stamp} [${level}] ${component}: ${message}`);
  }
  return out;
}

function pickLevel(r: number): string {
  for (const [level, weight] of LEVELS) {
    if (r < weight) return level;
    r -= weight;
  }
  return 'INFO';
}

/** Writes `count` files named sample-001.log … into `dir`. Returns their paths. */
export async function writeSamples(dir: string, options: SampleOptions = {}): Promise<string[]> {
  const count = options.count ?? 10;
  const lines = options.lines ?? 100;
  const random = seededRandom(options.seed ?? 42);
  await mkdir(dir, { recursive: true });
  const width = Math.max(3, String(count).length);
  const written: string[] = [];
  for (let i = 1; i <= count; i++) {
    const file = path.join(dir, `sample-${String(i).padStart(width, '0')}.log`);
    await writeFile(file, sampleLogLines(lines, random).join('\n') + '\n');
    written.push(file);
  }
  return written;
}
