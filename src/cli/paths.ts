// The paths a user gives the CLI, checked before any work starts, so that a mistake is one
// clear line and exit 2 rather than a stack trace or a half-done run (docs/cli.md): output
// folders, the queue root, and the rule that `run` never writes over one of its inputs.

import { constants as fsConstants, type Stats } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { STATE_FOLDERS } from '../core/queue/layout';
import { UsageError } from './args';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'something that is not a folder is already there',
  EISDIR: 'it is a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  EBUSY: 'resource busy',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENXIO: 'no such device',
  EIO: 'input/output error',
};

const ACTIONS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  scandir: 'read the folder',
  opendir: 'read the folder',
  rename: 'move',
  stat: 'look at',
  lstat: 'look at',
  access: 'read',
  unlink: 'remove',
  rm: 'remove',
  rmdir: 'remove the folder',
  watch: 'watch',
  realpath: 'resolve',
  copyfile: 'copy',
};

/** Whether `error` is a Node filesystem error (it has a code like ENOENT and a syscall). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** One line for a filesystem error: "cannot create the folder /x/results: permission denied". */
export function describeFsError(error: NodeJS.ErrnoException, cwd?: string, fallbackPath?: string): string {
  const reason = (error.code && REASONS[error.code]) ?? error.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  const action = (error.syscall && ACTIONS[error.syscall]) ?? error.syscall ?? 'use';
  // A write on an open file names no path; the caller knows which file it was.
  const file = error.path ?? fallbackPath;
  const where = file === undefined ? '' : ` ${shown(file, cwd)}`;
  const destination = (error as { dest?: string }).dest;
  const dest = destination === undefined ? '' : ` to ${shown(destination, cwd)}`;
  return `cannot ${action}${where}${dest}: ${reason} (${error.code})`;
}

/** A path as the user would like to read it: relative to cwd when below it. */
export function shown(file: string, cwd?: string): string {
  if (cwd === undefined) return file;
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: some folder on the way is a file; the caller finds and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Checks that `dir` is a folder or can be made one; returns the folders that would have to be
 * created, outermost first. `label` introduces the messages ("--out results").
 */
export async function checkFolder(dir: string, label: string, cwd: string): Promise<string[]> {
  const missing: string[] = [];
  for (let at = path.resolve(cwd, dir); ; at = path.dirname(at)) {
    let info: Stats | undefined;
    try {
      info = await statOrUndefined(at);
    } catch (error) {
      throw usageFromFs(error, label, cwd);
    }
    if (info === undefined) {
      missing.unshift(at);
      if (path.dirname(at) === at) break;
      continue;
    }
    if (!info.isDirectory()) {
      const what = describeKind(info);
      throw new UsageError(at === path.resolve(cwd, dir) ? `${label}: ${shown(at, cwd)} is ${what}, not a folder` : `${label}: ${shown(at, cwd)} is ${what}, so no folder can be made below it`);
    }
    break;
  }
  return missing;
}

/**
 * mkdir -p that explains itself. (Node's own recursive mkdir never returns under /proc,
 * where mkdir says ENOENT however often it is retried, so each level is made by hand.)
 */
export async function makeFolder(dir: string, label: string, cwd: string): Promise<void> {
  for (const folder of await checkFolder(dir, label, cwd)) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await statOrUndefined(folder))?.isDirectory()) continue;
      throw usageFromFs(error, label, cwd);
    }
  }
}

function usageFromFs(error: unknown, label: string, cwd: string): Error {
  return isFsError(error) ? new UsageError(`${label}: ${describeFsError(error, cwd)}`) : (error as Error);
}

function describeKind(info: Stats): string {
  if (info.isFile()) return 'a file';
  if (info.isFIFO()) return 'a pipe';
  if (info.isCharacterDevice()) return 'a device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a folder';
}

export interface QueueRoot {
  /** Absolute path of the queue root. */
  root: string;
  /** The user named ROOT/unprocessed, which means ROOT (as in the extension). */
  fromInbox: boolean;
  /** ROOT did not exist and --create made it. */
  created: boolean;
}

/**
 * The queue root that `watch ROOT` means: a folder named `unprocessed` stands for its parent;
 * the root must be a folder, and one that does not exist is made only when `create` is set (a
 * mistyped ROOT must not silently become an empty queue that `--once` "drains" with exit 0).
 */
export async function resolveQueueRoot(given: string, cwd: string, create: boolean): Promise<QueueRoot> {
  let root = path.resolve(cwd, given);
  const fromInbox = path.basename(root) === 'unprocessed';
  if (fromInbox) root = path.dirname(root);
  const label = `watch ${given}`;
  const missing = await checkFolder(root, label, cwd);
  if (missing.length > 0) {
    if (!create) {
      throw new UsageError(`${label}: ${shown(root, cwd)} does not exist; pass --create to make a new queue root there`);
    }
    await makeFolder(root, label, cwd);
  }
  // Each state folder must be a folder (or absent: the queue makes it) that this process may
  // change: files are moved in and out of every one. A file in its place is a user's, so it
  // is named rather than moved.
  await mayChange(root, label, cwd);
  for (const state of STATE_FOLDERS) {
    const folder = path.join(root, state);
    const info = await statOrUndefined(folder).catch((error: unknown) => {
      throw usageFromFs(error, label, cwd);
    });
    if (info === undefined) continue;
    if (!info.isDirectory()) {
      throw new UsageError(`${label}: ${shown(folder, cwd)} is ${describeKind(info)}, but a queue root's ${state}/ must be a folder`);
    }
    await mayChange(folder, label, cwd);
  }
  return { root, fromInbox, created: missing.length > 0 };
}

/** Refuses a folder this process may not create files in (read-only, not ours). */
export async function mayChange(folder: string, label: string, cwd: string, consequence = 'so files cannot be moved through it'): Promise<void> {
  try {
    await access(folder, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      const why = code === 'EROFS' ? 'is on a read-only file system' : 'is not readable and writable by this user';
      throw new UsageError(`${label}: ${shown(folder, cwd)} ${why}, ${consequence}`);
    }
    throw usageFromFs(error, label, cwd);
  }
}

/** An input of `run`, checked: it exists, is no folder, and can be read. */
export interface RunInput {
  /** As the user gave it. */
  file: string;
  absolute: string;
  dev: number;
  ino: number;
}

export async function checkRunInput(file: string, cwd: string): Promise<RunInput> {
  const absolute = path.resolve(cwd, file);
  let info: Stats;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`no such file: ${file}`);
    throw usageFromFs(error, `run ${file}`, cwd);
  }
  if (info.isDirectory()) throw new UsageError(`${file} is a folder: pass its files, or use "fileflow watch"`);
  // access(), not open(): opening a FIFO would block. (A FIFO or device fails as "not a
  // regular file" when its turn comes, like any other file that cannot be processed.)
  if (info.isFile()) {
    try {
      await access(absolute, fsConstants.R_OK);
    } catch (error) {
      throw usageFromFs(error, `run ${file}`, cwd);
    }
  }
  return { file, absolute, dev: info.dev, ino: info.ino };
}

/** One output `run` is about to write, and whose it is. */
export interface PlannedOutput {
  path: string;
  /** "result" or "summary". */
  kind: string;
  /** The input it belongs to, as the user gave it. */
  of: string;
}

/**
 * Refuses a run in which a result or summary would replace one of the inputs: the same path
 * (`run a.log --out .`, `run results/b.log`, `..` in the path), a symbolic or hard link to an
 * input, or an input that is another input's result or summary. Files are compared by device
 * and inode, so every way of naming the same file is caught. Also refuses outputs that are
 * folders. Nothing has been written when this throws.
 */
export async function refuseOverwritingInputs(inputs: readonly RunInput[], outputs: readonly PlannedOutput[], cwd: string): Promise<void> {
  const byIdentity = new Map(inputs.map((input) => [`${input.dev}:${input.ino}`, input]));
  for (const output of outputs) {
    const info = await statOrUndefined(output.path).catch((error: unknown) => {
      throw usageFromFs(error, `run: the ${output.kind} of ${output.of}`, cwd);
    });
    if (info === undefined) continue;
    const input = byIdentity.get(`${info.dev}:${info.ino}`);
    if (input !== undefined) {
      const same = input.file === output.of && output.kind === 'result' ? 'its result' : `the ${output.kind} of ${output.of}`;
      throw new UsageError(
        `run would write over its input ${input.file}: ${same} goes to ${shown(output.path, cwd)}, which is the same file; nothing was written (choose another --out folder)`,
      );
    }
    if (info.isDirectory()) {
      throw new UsageError(`run: the ${output.kind} of ${output.of} goes to ${shown(output.path, cwd)}, which is a folder; nothing was written`);
    }
  }
}
