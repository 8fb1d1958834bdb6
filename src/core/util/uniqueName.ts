// "stem (2).ext" naming: how two files with one name both survive (docs/queue.md, "Names").
// Claimed names also have to fit the filesystem: a name's last part plus ".summary.json" must
// stay within the name length limit (255 bytes on most filesystems), so a longer name is
// claimed under a shortened one ("very long…name.log"); its summary's `source` keeps the
// original.

import * as path from 'node:path';

/** The usual limit of one path component, in bytes (ext4, xfs, btrfs, NFS, SMB…). */
export const NAME_MAX_BYTES = 255;
/** What a result's summary adds to the name's last part. */
const SUMMARY_SUFFIX_BYTES = '.summary.json'.length;
/** Marks where a shortened name was cut. */
const ELLIPSIS = '…';
/** An extension longer than this is treated as part of the stem when a name is shortened. */
const MAX_KEPT_EXTENSION_BYTES = 16;

/** `name`, then `stem (2).ext`, `stem (3).ext`… without end. Folders in `name` are kept. */
export function* candidateNames(name: string): Generator<string> {
  yield name;
  const dir = path.posix.dirname(name);
  const base = path.posix.basename(name);
  const ext = path.posix.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  const prefix = dir === '.' ? '' : `${dir}/`;
  for (let i = 2; ; i++) yield `${prefix}${stem} (${i})${ext}`;
}

/** The first candidate name for which `taken` is false. */
export function uniqueName(name: string, taken: (candidate: string) => boolean): string {
  for (const candidate of candidateNames(name)) if (!taken(candidate)) return candidate;
  throw new Error('unreachable');
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest start of `text` of at most `maxBytes` UTF-8 bytes, cut between characters. */
function truncateBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * `base` + `suffix` (" (2)", or "") as a file name of at most `maxBytes` bytes: unchanged when
 * it fits, else with the stem cut short and marked with "…" (the extension kept).
 */
export function fitBaseName(base: string, suffix: string, maxBytes: number): string {
  let ext = path.posix.extname(base);
  if (byteLength(ext) > MAX_KEPT_EXTENSION_BYTES) ext = '';
  const stem = base.slice(0, base.length - ext.length);
  if (byteLength(stem) + byteLength(suffix) + byteLength(ext) <= maxBytes) return `${stem}${suffix}${ext}`;
  const room = maxBytes - byteLength(suffix) - byteLength(ext) - byteLength(ELLIPSIS);
  return `${truncateBytes(stem, Math.max(1, room))}${ELLIPSIS}${suffix}${ext}`;
}

/**
 * The names a claim tries, in order: `name`, `stem (2).ext`, …; after skipFolder() (the
 * name's top folder is a file where it must go: an earlier "a" blocks "a/b.log"), the same
 * under "a (2)/", then "a (3)/", … Every candidate fits `maxComponentBytes` per folder and
 * leaves room for ".summary.json" after its last part; shrink() lowers that limit (the
 * filesystem said ENAMETOOLONG) and starts over.
 */
export class NameCandidates {
  private folderIndex = 1;
  private index = 1;
  private readonly folders: string[];
  private readonly base: string;

  constructor(
    private readonly name: string,
    private maxComponentBytes: number = NAME_MAX_BYTES,
  ) {
    const parts = name.split('/');
    this.base = parts.pop() as string;
    this.folders = parts;
  }

  next(): string {
    const suffix = this.index === 1 ? '' : ` (${this.index})`;
    this.index++;
    const folders = this.folders.map((folder, i) => {
      const folderSuffix = i === 0 && this.folderIndex > 1 ? ` (${this.folderIndex})` : '';
      return fitBaseName(folder, folderSuffix, this.maxComponentBytes);
    });
    return [...folders, fitBaseName(this.base, suffix, this.maxComponentBytes - SUMMARY_SUFFIX_BYTES)].join('/');
  }

  /** The name the candidates start from. */
  get first(): string {
    return this.name;
  }

  /** Whether the name has a folder part that skipFolder() can vary. */
  get canSkipFolder(): boolean {
    return this.folders.length > 0;
  }

  skipFolder(): void {
    if (this.folders.length === 0) throw new Error(`no free name for ${this.name}`);
    this.folderIndex++;
    this.index = 1;
  }

  /** Starts over from the first candidate (the disk may have changed). */
  restart(): void {
    this.index = 1;
    this.folderIndex = 1;
  }

  /** The filesystem refused a name as too long: try shorter ones. False when there is no shorter limit to try. */
  shrink(): boolean {
    const next = SHORTER_LIMITS.find((limit) => limit < this.maxComponentBytes);
    if (next === undefined) return false;
    this.maxComponentBytes = next;
    this.index = 1;
    this.folderIndex = 1;
    return true;
  }

  /** The per-folder limit in use now. */
  get limit(): number {
    return this.maxComponentBytes;
  }
}

/** Limits of filesystems with shorter names than 255 bytes (eCryptfs: 143), then a safe floor. */
const SHORTER_LIMITS = [143, 100, 64];
