// The HTTP API's bearer token: from FILEFLOW_HTTP_TOKEN, or generated and written where only
// the owner can read it; compared in constant time.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

export const TOKEN_ENV = 'FILEFLOW_HTTP_TOKEN';
/** Where `fileflow watch --http` writes a generated token, relative to the queue root. */
export const TOKEN_FILE = path.join('.fileflow', 'http-token');

/** 32 random bytes, URL-safe (it travels in a `#token=` link). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token from the environment, if set and usable; a bad one is an error, not ignored. */
export function tokenFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[TOKEN_ENV];
  if (value === undefined || value === '') return undefined;
  checkToken(value, TOKEN_ENV);
  return value;
}

/** Tokens go into an Authorization header: printable ASCII without spaces, at least 16 characters. */
export function checkToken(token: string, where: string): void {
  if (token.length < 16) throw new Error(`${where} must be at least 16 characters long`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error(`${where} may hold only printable ASCII characters without spaces`);
}

/**
 * Writes the token to `<root>/.fileflow/http-token`, readable by its owner only (0600), by a
 * temporary file renamed into place so that no reader ever sees half a token.
 */
export async function writeTokenFile(root: string, token: string): Promise<string> {
  const file = path.join(root, TOKEN_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`);
  } finally {
    await handle.close();
  }
  try {
    await chmod(temporary, 0o600); // the umask cannot widen it, but a stricter one is kept
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return file;
}

/**
 * Whether an Authorization header carries `token`. Both sides are hashed first, so the
 * comparison takes the same time whatever the length or content of what was sent.
 */
export function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const sent = match?.[1] ?? '';
  const a = createHash('sha256').update(sent).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && match !== null;
}
