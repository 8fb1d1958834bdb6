// `--http HOST:PORT` and the extension's host/port settings: parsing, printing, and whether
// an address is reachable from this machine only.

import { isIP } from 'node:net';
import { DEFAULT_HTTP_HOST } from '../defaults';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (host 127.0.0.1); port 0 means any free
 * port. Throws an Error with a one-line message otherwise.
 */
export function parseListenAddress(value: string): ListenAddress {
  const text = value.trim();
  let host: string;
  let port: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    [, host, port] = bracketed;
  } else if (/^\d+$/.test(text)) {
    host = DEFAULT_HTTP_HOST;
    port = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1 || text.indexOf(':') !== colon) {
      throw new Error(`--http must be HOST:PORT, e.g. 127.0.0.1:8000 or [::1]:8000 (got "${value}")`);
    }
    host = text.slice(0, colon) || DEFAULT_HTTP_HOST;
    port = text.slice(colon + 1);
  }
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`--http: the port must be a number from 0 to 65535 (got "${port}")`);
  if (host !== 'localhost' && isIP(host) === 0 && !/^[a-zA-Z0-9.-]+$/.test(host)) throw new Error(`--http: "${host}" is not a host name or IP address`);
  return { host, port: Number(port) };
}

export function formatListenAddress({ host, port }: ListenAddress): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
