// How a failed pipeline test is told to a person: a readable line diff and one line per key
// that differs (for `fileflow test` and the Testing view). Kept apart from the runner so that
// showing results does not pull in the engine.

import { diffArrays } from 'diff';
import type { TestFailure } from './testRunner';

/**
 * A readable line diff: `- ` expected lines that are missing, `+ ` actual lines that were not
 * expected, `  ` lines both have (only the `context` nearest a change; longer runs are folded
 * into one `…` line). Lines are shown JSON-quoted, so white space at their ends is visible.
 */
export function lineDiff(expected: string[], actual: string[], context = 2): string[] {
  const parts = diffArrays(expected, actual);
  const rows: { mark: ' ' | '-' | '+'; line: string }[] = [];
  for (const part of parts) {
    for (const line of part.value) rows.push({ mark: part.added ? '+' : part.removed ? '-' : ' ', line });
  }
  const near = rows.map(() => false);
  rows.forEach((row, i) => {
    if (row.mark === ' ') return;
    for (let j = Math.max(0, i - context); j <= Math.min(rows.length - 1, i + context); j++) near[j] = true;
  });
  const out: string[] = [];
  let folded = 0;
  rows.forEach((row, i) => {
    if (!near[i]) {
      folded++;
      return;
    }
    if (folded > 0) out.push(`  … ${folded} unchanged line${folded === 1 ? '' : 's'}`);
    folded = 0;
    out.push(`${row.mark} ${JSON.stringify(row.line)}`);
  });
  if (folded > 0) out.push(`  … ${folded} unchanged line${folded === 1 ? '' : 's'}`);
  return out;
}

/** What differs, as lines for a person (`fileflow test` indents them under the test; the Testing view shows them). */
export function describeFailure(failure: TestFailure): string[] {
  switch (failure.key) {
    case 'status':
      return [`status: expected "${failure.expected}", got "${failure.actual}"${failure.error === undefined ? '' : `: ${failure.error}`}`];
    case 'error':
      return [`error: expected a message containing ${JSON.stringify(failure.expected)}, got ${failure.actual === null ? 'no error' : JSON.stringify(failure.actual)}`];
    case 'tags':
      return [`tags.${failure.tag}: expected ${failure.expected}, got ${failure.actual}`];
    case 'output': {
      const count = (n: number): string => `${n} line${n === 1 ? '' : 's'}`;
      return [
        `output differs (expected ${count(failure.expected.length)}, got ${count(failure.actual.length)}; - expected, + actual):`,
        ...lineDiff(failure.expected, failure.actual).map((line) => `  ${line}`),
      ];
    }
  }
}
