// `watch --json`: the queue's events as NDJSON, one JSON object per line (docs/cli.md). Every
// QueueEvent is written the same way, `{"event": <type>, "time": <ISO 8601>, ...its fields}`,
// so event types the engine adds later appear without a change here; an event's `summary`
// (finished files) is inlined, and the metrics snapshot is the last line.

import type { MetricsSnapshot } from '../core/metrics';
import type { QueueEvent } from '../core/queue/folderQueue';

/** One NDJSON line (with its "\n") for a queue event. */
export function eventLine(event: QueueEvent, now: Date = new Date()): string {
  const { type, ...fields } = event as { type: string } & Record<string, unknown>;
  const { summary, ...rest } = fields;
  const inlined = isPlainObject(summary) ? { ...summary, ...rest } : fields;
  return record(type, now.toISOString(), inlined);
}

/** The metrics snapshot as the stream's last line: `{"event":"snapshot", ...snapshot}`. */
export function snapshotLine(snapshot: MetricsSnapshot): string {
  return record('snapshot', snapshot.time, snapshot as unknown as Record<string, unknown>);
}

/** A line for something the CLI itself reports (started, stopping). */
export function cliLine(type: string, fields: Record<string, unknown>, now: Date = new Date()): string {
  return record(type, now.toISOString(), fields);
}

function record(type: string, time: string, fields: Record<string, unknown>): string {
  // `event` and `time` come first and are always ours, whatever the fields hold.
  const line: Record<string, unknown> = { event: type, time, ...fields };
  line.event = type;
  line.time = time;
  return JSON.stringify(line, jsonSafe) + '\n';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values JSON cannot hold as they are, made readable instead of `{}` or a thrown TypeError. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
