// Polling with a deadline, for the scripts that drive VS Code or a browser from outside
// (test/e2e, test/dashboard): they wait for what a person would see, never for a fixed time.
import { setTimeout as sleep } from 'node:timers/promises';

export const WAIT_MS = 30_000;

export class TimeoutError extends Error {}

/**
 * Polls `probe` until it returns something truthy and returns that; throws a TimeoutError
 * after `timeout` ms, saying what was awaited and what was last seen (`probe` may return
 * `{ ok, seen }`, or throw: its last error is what was seen).
 */
export async function until(what, probe, { timeout = WAIT_MS, every = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let seen;
  for (;;) {
    let value;
    try {
      value = await probe();
    } catch (error) {
      seen = `error: ${error.message.split('\n')[0]}`;
    }
    if (value && typeof value === 'object' && 'ok' in value) {
      seen = value.seen;
      if (value.ok) return value.seen ?? true;
    } else if (value) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new TimeoutError(`timed out after ${timeout / 1000} s waiting for ${what}${seen === undefined ? '' : `\n  last seen: ${typeof seen === 'string' ? seen : JSON.stringify(seen)}`}`);
    }
    await sleep(every);
  }
}
