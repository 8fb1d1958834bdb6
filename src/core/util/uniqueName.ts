// "stem (2).ext" naming (SPEC §1): how two files with one name both survive.

import * as path from 'node:path';

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
