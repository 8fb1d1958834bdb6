// Which names the inbox takes (docs/queue.md, "When a file is taken"): never hidden names or
// the temporary names other programs write under, nor what the user's ignore globs match.

import picomatch from 'picomatch';

/** Suffixes of files still being written by other programs (rsync, browsers, editors). */
const TEMPORARY_SUFFIXES = ['.tmp', '.part', '.partial', '.crdownload', '.swp', '~'];

/** Builds the inbox filter: built-in rules for temporary files plus the user's ignore globs. */
export function inboxFilter(ignoreGlobs: readonly string[] = []): (name: string) => boolean {
  const ignoredByGlob = ignoreGlobs.length === 0 ? () => false : picomatch([...ignoreGlobs], { dot: true });
  return (name: string): boolean => {
    // A hidden folder hides everything below it: the watcher never descends into one, so the
    // startup scan must not take its files either.
    if (name.split('/').some((segment) => segment.startsWith('.'))) return false;
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (TEMPORARY_SUFFIXES.some((suffix) => base.endsWith(suffix))) return false;
    return !ignoredByGlob(name);
  };
}
