// A clone holds every file its code, docs and tests refer to: reads every tracked file (git
// ls-files) and fails, naming each one, on a relative Markdown link (or its #anchor) that leads
// nowhere, a path of this repository (docs/…, src/…, test/…, media/…, webview/…) or a bare
// Markdown file name (README.md) that no tracked file has, a section reference such as
// `docs/queue.md, "Names"` whose page has no such heading, a
// function or class named in docs/architecture.md that the code does not define, and a
// citation of a document that lives outside the repository (see CONTRIBUTING.md, "House style").
// Generated and ignored outputs (dist/, out/, bench-results/, test-results/, node_modules/…)
// are never looked for: the patterns below only match paths that must be tracked, and a file
// the build generates in the source tree is named in .gitignore.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './support/harness';

interface Problem {
  file: string;
  line: number;
  message: string;
}

/** Files read as text: everything tracked but images, archives and the lock file. */
const SKIPPED = /\.(png|jpe?g|gif|ico|svg|gz|tgz|zip|vsix|bin|dump)$|^package-lock\.json$/;

/**
 * Citations of documents that are not in the repository. Spelled in pieces so this file does
 * not trip over itself.
 */
const FORBIDDEN: { text: string; why: string; except?: RegExp }[] = [
  { text: 'SPEC' + ' §', why: 'cites a specification the repository does not contain; cite docs/ instead' },
  { text: 'SPEC' + '.md', why: 'names a specification the repository does not contain; cite docs/ instead' },
  { text: 'TESTING' + '.md', why: 'names a document the repository does not contain; cite CONTRIBUTING.md instead' },
  { text: 'STYLE' + '.md', why: 'names a document the repository does not contain; cite CONTRIBUTING.md or docs/architecture.md instead' },
  { text: '/wo' + 'rk/', why: 'a path on a developer machine' },
  // The Dockerfile's paths are inside the image.
  { text: '/t' + 'mp/', why: 'a path on a developer machine (use os.tmpdir() or a relative path)', except: /^Dockerfile$/ },
];

/** Paths that must be tracked when a file names them from the repository's top. */
const REPO_PATH = /(?<![\w.\-/~@$])((?:docs|src|test|media|webview|\.ci)\/[\w.\-/*<>{}$]*)/g;
/** A bare Markdown file name (README.md, CONTRIBUTING.md…): some tracked file must have it. */
const BARE_MD = /(?<![\w.\-/])([A-Za-z][\w-]*\.md)\b/g;
/** `docs/queue.md, "Names"`: a page and one of its headings. */
const SECTION = /([\w./-]*\.md),? "([^"\n]+)"/g;
/** A relative path up to a `shared` folder: it must lead to src/shared, the only one there is. */
const SHARED = /((?:\.\.\/)+shared[\w./-]*)/g;
/** Markdown links and images: [text](target). */
const MD_LINK = /!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

function trackedFiles(): string[] {
  const result = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `git ls-files failed: ${result.stderr}`);
  // ls-files lists the index: a file deleted in the work tree but not yet in git is gone here too.
  return result.stdout.split('\0').filter((file) => file !== '' && existsSync(path.join(REPO_ROOT, file)));
}

class Repo {
  readonly files: string[];
  readonly paths = new Set<string>();
  readonly basenames = new Set<string>();
  private readonly texts = new Map<string, string>();
  private readonly slugCache = new Map<string, Set<string>>();

  constructor() {
    this.files = trackedFiles();
    // A file the build generates is named in .gitignore (a plain path, no pattern): it counts.
    const generated = readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && !/[*?[\]!]/.test(line) && line.includes('/') && !line.endsWith('/'));
    for (const file of [...this.files, ...generated]) {
      this.paths.add(file);
      this.basenames.add(path.posix.basename(file));
      for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) this.paths.add(dir);
    }
  }

  textFiles(): string[] {
    return this.files.filter((file) => !SKIPPED.test(path.posix.basename(file)) && !SKIPPED.test(file) && !this.text(file).includes('\0'));
  }

  text(file: string): string {
    let text = this.texts.get(file);
    if (text === undefined) {
      text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      this.texts.set(file, text);
    }
    return text;
  }

  /**
   * A tracked file or folder. A path with a pattern in it needs only some tracked path under its
   * fixed part; `x.js` may name the bundle built from a tracked `x.ts` (`webview/main.js`).
   */
  has(target: string): boolean {
    const clean = target.replace(/\/+$/, '');
    const wild = clean.search(/[*<>{}$]/);
    if (wild === -1) return this.paths.has(clean) || (clean.endsWith('.js') && this.paths.has(clean.replace(/\.js$/, '.ts')));
    const prefix = clean.slice(0, wild);
    for (const known of this.paths) if (known.startsWith(prefix)) return true;
    return false;
  }

  /** The anchors GitHub makes for a Markdown file's headings. */
  slugs(file: string): Set<string> {
    let slugs = this.slugCache.get(file);
    if (slugs) return slugs;
    slugs = new Set();
    const seen = new Map<string, number>();
    for (const { text } of lines(this.text(file), { skipCode: true })) {
      const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
      if (!heading) continue;
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      slugs.add(count === 0 ? base : `${base}-${count}`);
    }
    this.slugCache.set(file, slugs);
    return slugs;
  }
}

/** GitHub's heading anchor: links and code marks dropped, lower case, punctuation removed, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A file's lines with their numbers; for Markdown, optionally without fenced code blocks. */
function* lines(text: string, options: { skipCode?: boolean } = {}): Generator<{ text: string; line: number }> {
  let fenced = false;
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    if (options.skipCode && /^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    yield { text: line, line: i + 1 };
  }
}

function isMarkdown(file: string): boolean {
  return file.endsWith('.md');
}

/** Where a path written in `file` leads: relative to the file's folder, or the repository's top for "/x". */
function resolveFrom(file: string, target: string): string | undefined {
  const joined = target.startsWith('/') ? target.slice(1) : path.posix.join(path.posix.dirname(file), target);
  const normal = path.posix.normalize(joined);
  return normal.startsWith('../') || normal === '..' ? undefined : normal === '.' ? '' : normal;
}

function report(problems: Problem[]): string {
  return `${problems.length} dangling reference(s):\n${problems.map((p) => `  ${p.file}:${p.line}: ${p.message}`).join('\n')}`;
}

describe('references: everything the repository points to is in it', function () {
  this.timeout(60_000);
  const repo = new Repo();
  const textFiles = repo.textFiles();

  it('reads the tracked files (a sanity check of the check itself)', () => {
    assert.ok(textFiles.includes('README.md') && textFiles.includes('docs/architecture.md'), 'git ls-files did not list the docs');
    assert.ok(textFiles.length > 100, `only ${textFiles.length} text files found`);
  });

  it('cites no document that lives outside the repository', () => {
    const problems: Problem[] = [];
    for (const file of textFiles) {
      for (const { text, line } of lines(repo.text(file))) {
        for (const { text: needle, why, except } of FORBIDDEN) {
          if (text.includes(needle) && !except?.test(file)) problems.push({ file, line, message: `"${needle}": ${why}` });
        }
        for (const match of text.matchAll(SHARED)) {
          const target = resolveFrom(file, match[1]);
          const candidates = target === undefined ? [] : [target, `${target}.ts`, `${target}.js`, `${target}.mjs`];
          if (!candidates.some((candidate) => repo.has(candidate))) {
            problems.push({ file, line, message: `"${match[1]}" leads outside the repository or to nothing in it` });
          }
        }
      }
    }
    assert.deepEqual(problems, [], report(problems));
  });

  it('has a file (and a heading) for every relative Markdown link', () => {
    const problems: Problem[] = [];
    for (const file of textFiles.filter(isMarkdown)) {
      for (const { text, line } of lines(repo.text(file), { skipCode: true })) {
        // Inline code is not a link.
        const prose = text.replace(/`[^`]*`/g, '');
        for (const match of prose.matchAll(MD_LINK)) {
          const href = match[1];
          if (/^[a-z][a-z+.-]*:/i.test(href)) continue; // https:, mailto:, vscode:…
          const [pathPart, anchor] = href.split('#', 2);
          const target = pathPart === '' ? file : resolveFrom(file, decodeURIComponent(pathPart));
          if (target === undefined || !repo.has(target)) {
            problems.push({ file, line, message: `link to ${href}: no such file in the repository` });
            continue;
          }
          if (anchor !== undefined && anchor !== '' && isMarkdown(target) && !repo.slugs(target).has(anchor)) {
            problems.push({ file, line, message: `link to ${href}: ${target} has no heading with the anchor #${anchor}` });
          }
        }
      }
    }
    assert.deepEqual(problems, [], report(problems));
  });

  it('has every repository path and Markdown page that the docs, comments and tests name', () => {
    const problems: Problem[] = [];
    for (const file of textFiles) {
      for (const { text, line } of lines(repo.text(file))) {
        for (const match of text.matchAll(REPO_PATH)) {
          const target = match[1].replace(/[.,:;]+$/, '');
          if (!repo.has(target)) problems.push({ file, line, message: `${target}: no such file or folder in the repository` });
        }
        for (const match of text.matchAll(BARE_MD)) {
          if (!repo.basenames.has(match[1])) problems.push({ file, line, message: `${match[1]}: no file of that name in the repository` });
        }
      }
    }
    assert.deepEqual(problems, [], report(problems));
  });

  it('has every section that a reference such as `docs/queue.md, "Names"` names', () => {
    const problems: Problem[] = [];
    for (const file of textFiles) {
      for (const { text, line } of lines(repo.text(file))) {
        for (const match of text.matchAll(SECTION)) {
          const [, page, section] = match;
          // A page named from the top (docs/…), or one beside the file (a Markdown link's way).
          const target = [page, resolveFrom(file, page)].find((candidate) => candidate !== undefined && repo.paths.has(candidate) && isMarkdown(candidate));
          if (target === undefined) continue; // a missing page is reported by the test above
          const wanted = slug(section);
          if (![...repo.slugs(target)].some((anchor) => anchor.startsWith(wanted))) {
            problems.push({ file, line, message: `${page}, "${section}": ${target} has no such heading` });
          }
        }
      }
    }
    assert.deepEqual(problems, [], report(problems));
  });

  it('defines every function and class that docs/architecture.md names', () => {
    const code = textFiles
      .filter((file) => /^(src|webview|test)\/.*\.(ts|mjs|js)$/.test(file) || file === 'esbuild.mjs' || file === 'package.json')
      .map((file) => repo.text(file))
      .join('\n');
    const words = new Set(code.match(/[A-Za-z_$][\w$]*/g));
    const problems: Problem[] = [];
    for (const { text, line } of lines(repo.text('docs/architecture.md'), { skipCode: true })) {
      for (const match of text.matchAll(/`([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(\(\))?`/g)) {
        const [, name, call] = match;
        const parts = name.split('.');
        // Code names only: a call, a dotted member, or a PascalCase type. Not words like `end`.
        const last = parts[parts.length - 1];
        const isFile = parts.length > 1 && /^(json|ts|js|mjs|cjs|md|css|sh)$/.test(last);
        const isCode = !isFile && (call !== undefined || (parts.length > 1 && /^[a-z]/.test(last)) || /^[A-Z][a-z]\w*[A-Z]\w*$/.test(name));
        if (!isCode) continue;
        for (const part of parts) {
          if (part.length >= 3 && !words.has(part)) problems.push({ file: 'docs/architecture.md', line, message: `${name}: "${part}" is in none of src/, webview/, test/, esbuild.mjs, package.json` });
        }
      }
    }
    assert.deepEqual(problems, [], report(problems));
  });
});
