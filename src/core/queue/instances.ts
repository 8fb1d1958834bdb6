// Several Fileflow instances on one queue root (docs/instances.md): each holds a lease, a
// heartbeat file under <root>/.fileflow/instances/ that it rewrites every few seconds, and
// keeps its claims in a folder of its own inside underprocess/ (.ff-<id>/). An instance is
// gone when its process on this host no longer exists, or when its lease has not been
// renewed for leaseSec — judged by the filesystem's own timestamps (the mtime of the other's
// lease against the mtime of ours, just renewed), so that machines' clocks never matter.

import { DEFAULT_LEASE_SEC } from '../defaults';
import { randomTag } from '../util/atomicFile';
import { hostname } from 'node:os';
import { mkdir, open, readdir, rm, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

const LEASE_SUFFIX = '.json';
/** Claim folders inside underprocess/ are named this, then the instance's id. */
export const CLAIM_FOLDER_PREFIX = '.ff-';

/** What an instance writes into its lease. */
export interface InstanceInfo {
  /** Short and unique: names its claim folder and its temporary files. */
  id: string;
  host: string;
  /** Which machine it runs on (processes on the same one can be checked directly). */
  hostId: string;
  pid: number;
  /** What kind of instance: "cli", "vscode"… */
  kind: string;
  startedAt: string;
  leaseSec: number;
  version: string;
}

/** Another instance as seen from this one. */
export interface SeenInstance extends InstanceInfo {
  /** The lease file's mtime (ms since epoch, by the filesystem's clock). */
  heartbeatAt: number;
  /** alive, or why it is gone. */
  state: 'alive' | 'dead' | 'expired';
}

/** This machine's id for leases: FILEFLOW_HOST_ID when set (tests play "another machine" with it). */
export function localHostId(): string {
  return process.env.FILEFLOW_HOST_ID || hostname();
}

export function instancesFolder(root: string): string {
  return path.join(root, '.fileflow', 'instances');
}

export function leasePath(root: string, id: string): string {
  return path.join(instancesFolder(root), id + LEASE_SUFFIX);
}

/** How often a lease is renewed, and others' leases checked: a sixth of it, 0.2 to 5 s. */
export function renewIntervalMs(leaseSec: number): number {
  return Math.min(5000, Math.max(200, (leaseSec * 1000) / 6));
}

/** The lease of this instance. */
export class Lease {
  readonly info: InstanceInfo;
  private lastRenewed = 0;

  private constructor(
    private readonly root: string,
    info: InstanceInfo,
  ) {
    this.info = info;
  }

  /** Writes a new lease (a new id) and returns it. */
  static async take(root: string, kind: string, leaseSec: number, version: string): Promise<Lease> {
    const info: InstanceInfo = {
      id: randomTag(),
      host: hostname(),
      hostId: localHostId(),
      pid: process.pid,
      kind,
      startedAt: new Date().toISOString(),
      leaseSec,
      version,
    };
    const lease = new Lease(root, info);
    await mkdir(instancesFolder(root), { recursive: true });
    const handle = await open(lease.path, 'wx');
    try {
      await handle.writeFile(JSON.stringify(info, null, 2) + '\n');
    } finally {
      await handle.close();
    }
    lease.lastRenewed = Date.now();
    return lease;
  }

  get path(): string {
    return leasePath(this.root, this.info.id);
  }

  get id(): string {
    return this.info.id;
  }

  /**
   * Renews the lease: rewrites it in place, so that its mtime comes from the filesystem's
   * clock (a file server's, on a network share). Returns the new mtime, or undefined when
   * the lease is gone: another instance took this one's files over (or someone removed it).
   * Never recreates it: an instance that lost its lease must take a new one.
   */
  async renew(): Promise<number | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const text = JSON.stringify(this.info, null, 2) + '\n';
      await handle.write(text, 0, 'utf8');
      await handle.truncate(Buffer.byteLength(text));
      const stat = await handle.stat();
      this.lastRenewed = Date.now();
      return stat.mtimeMs;
    } finally {
      await handle.close();
    }
  }

  /** Whether this lease has gone unrenewed so long that others may judge it expired. */
  overdue(now = Date.now()): boolean {
    return now - this.lastRenewed > this.info.leaseSec * 1000;
  }

  /** Removes the lease (a clean stop). */
  async release(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/**
 * Every lease on the root but `selfId`'s, judged against `now` (the mtime of our own lease,
 * just renewed: the filesystem's clock). A lease that cannot be parsed (being rewritten this
 * very moment) is judged by its mtime alone.
 */
export async function readInstances(root: string, selfId: string | undefined, now: number): Promise<SeenInstance[]> {
  let names: string[];
  try {
    names = await readdir(instancesFolder(root));
  } catch {
    return [];
  }
  const seen: SeenInstance[] = [];
  for (const name of names) {
    if (!name.endsWith(LEASE_SUFFIX) || name.startsWith('.')) continue;
    const id = name.slice(0, -LEASE_SUFFIX.length);
    if (id === selfId) continue;
    const read = await readLease(path.join(instancesFolder(root), name));
    if (read === undefined) continue; // removed while we looked
    const info: InstanceInfo = { id, host: '?', hostId: '?', pid: 0, kind: '?', startedAt: '', leaseSec: DEFAULT_LEASE_SEC, version: '?', ...read.info };
    seen.push({ ...info, id, heartbeatAt: read.mtimeMs, state: judge(info, read.mtimeMs, now) });
  }
  return seen;
}

function judge(info: InstanceInfo, heartbeatAt: number, now: number): SeenInstance['state'] {
  if (info.hostId === localHostId() && info.pid > 0 && !processExists(info.pid)) return 'dead';
  return now - heartbeatAt > info.leaseSec * 1000 ? 'expired' : 'alive';
}

/** Opened (not just stat()ed): on NFS, an open revalidates the cached attributes (close-to-open). */
async function readLease(file: string): Promise<{ info: Partial<InstanceInfo>; mtimeMs: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const [stat, text] = [await handle.stat(), await handle.readFile('utf8')];
    let info: Partial<InstanceInfo> = {};
    try {
      info = JSON.parse(text) as Partial<InstanceInfo>;
    } catch {
      // half-written: the mtime still tells
    }
    return { info, mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a gone instance's lease (after its files were taken over). */
export async function removeLease(root: string, id: string): Promise<void> {
  await unlink(leasePath(root, id)).catch(() => undefined);
}

/** The ids of the claim folders in underprocess/. */
export async function claimFolderIds(underprocess: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(underprocess);
  } catch {
    return [];
  }
  return names.filter((name) => name.startsWith(CLAIM_FOLDER_PREFIX)).map((name) => name.slice(CLAIM_FOLDER_PREFIX.length));
}
