// File names that arrive over HTTP: upload names (one plain file name) and the names in
// `/files/<name>/…` URLs (subfolders allowed). Nothing outside the root is ever reached: a
// name is decoded once, checked segment by segment, and the real path (symbolic links
// resolved) must still lie inside the folder it was looked up in.

import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Longest name most file systems take, in UTF-8 bytes. */
const MAX_NAME_BYTES = 255;
// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** U+FFFD: what a decoder puts where the bytes were not valid UTF-8. */
const REPLACEMENT = '\ufffd';

/** Why `name` cannot be an uploaded file's name, or undefined when it can. */
export function uploadNameProblem(name: string): string | undefined {
  if (name === '') return 'the file name is empty';
  if (CONTROL.test(name)) return 'the file name contains control characters';
  if (name.includes('/') || name.includes('\\')) return 'the file name may not contain / or \\ (no folders)';
  if (name.startsWith('.')) return 'the file name may not start with "." (hidden files are never processed)';
  if (name.includes('..')) return 'the file name may not contain ".."';
  if (name.trim() !== name) return 'the file name may not start or end with white space';
  if (LONE_SURROGATE.test(name) || name.includes(REPLACEMENT)) return 'the file name is not valid UTF-8';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `the file name is longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** Decodes a percent-encoded URL part exactly once (malformed encoding is a 400). */
export function decodeOnce(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${what} is not valid percent-encoded UTF-8`);
  }
}

/**
 * A query string's parameters, each decoded once (`+` is a space, as forms send it); a
 * malformed encoding is a 400 rather than a silent U+FFFD.
 */
export function queryParams(raw: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const key = decodeOnce((at === -1 ? pair : pair.slice(0, at)).replace(/\+/g, ' '), 'a query parameter');
    const value = at === -1 ? '' : decodeOnce(pair.slice(at + 1).replace(/\+/g, ' '), `the query parameter "${key}"`);
    if (!params.has(key)) params.set(key, value);
  }
  return params;
}

/**
 * A file's name from a `/files/<name>/…` URL: `/`-separated segments, none of them empty,
 * `.`, `..` or hidden, no backslashes or control characters. Throws a 400 otherwise.
 */
export function checkedFileName(raw: string): string {
  const name = decodeOnce(raw, 'the file name');
  const refuse = (why: string): never => {
    throw new HttpError(400, `unsafe file name: ${why}`);
  };
  if (name === '') refuse('it is empty');
  if (CONTROL.test(name)) refuse('it contains control characters');
  if (name.includes('\\')) refuse('it contains a backslash');
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) refuse('it is an absolute path');
  for (const segment of name.split('/')) {
    if (segment === '') refuse('it has an empty path segment');
    if (segment === '..' || segment === '.') refuse('it contains a "." or ".." segment');
    if (segment.startsWith('.')) refuse('it names a hidden file');
  }
  if (LONE_SURROGATE.test(name)) refuse('it is not valid Unicode');
  return name;
}

/**
 * Opens `folder/name` for reading when it is a regular file whose real path lies inside the
 * real `folder`; undefined when there is no such file (or it lies outside: a symbolic link
 * that escapes is treated as missing, never followed out).
 */
export async function openInside(folder: string, name: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  const candidate = path.join(folder, ...name.split('/'));
  const lexical = path.relative(folder, candidate);
  if (lexical === '' || lexical.startsWith('..') || path.isAbsolute(lexical)) return undefined;
  let real: string;
  let realFolder: string;
  try {
    [real, realFolder] = await Promise.all([realpath(candidate), realpath(folder)]);
  } catch {
    return undefined;
  }
  if (!real.startsWith(realFolder + path.sep)) return undefined;
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: the path was resolved above, so a link swapped in since is refused.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const info = await handle.stat().catch(() => undefined);
  if (!info?.isFile()) {
    await handle.close();
    return undefined; // a folder (no listings) or something else
  }
  return { handle, size: info.size };
}

/** Whether `folder/name` exists as a regular file inside the real `folder` (see openInside). */
export async function isFileInside(folder: string, name: string): Promise<boolean> {
  const opened = await openInside(folder, name);
  await opened?.handle.close();
  return opened !== undefined;
}
