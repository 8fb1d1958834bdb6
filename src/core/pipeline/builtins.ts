// The built-in processors, with exactly the options and defaults of the table in docs/pipelines.md.
// Options reach `create` already checked against the JSON Schema and by `check`.

import type { ConfigIssue } from '../errors';
import type { Processor, ProcessorContext, ProcessorOptions } from './processor';
import { compileTemplate, parseTemplate, type TemplatePart, type TemplateValue } from './template';

export type ProcessorKind = 'transform' | 'routing' | 'sink';

export interface BuiltinProcessor {
  kind: ProcessorKind;
  /** Holds lines back until end of file (so it must be flushed). */
  flushes?: boolean;
  /**
   * For routing processors: every tag it can emit, each with the path (relative to the
   * node's `with`) where the configuration names it, for the static routing check.
   */
  emits?(options: ProcessorOptions): { tag: string; path: string }[];
  /** Checks the schema cannot express; paths are relative to the node's `with`. */
  check?(options: ProcessorOptions): ConfigIssue[];
  create(options: ProcessorOptions): Processor;
}

const TEMPLATE_VALUES: readonly TemplateValue[] = ['line', 'tag', 'n', 'file'];
const NUMBER_VALUES: readonly TemplateValue[] = ['count', 'line', 'tag', 'n', 'file'];

const LEVEL_TAGS: Record<string, string> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  NOTICE: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  ERR: 'error',
  SEVERE: 'error',
  CRITICAL: 'critical',
  CRIT: 'critical',
  FATAL: 'critical',
  EMERG: 'critical',
  ALERT: 'critical',
};
// Case-sensitive on purpose: lower-case "error" is too often part of a message
// ("no error found") to mean a level. \b is an ASCII word boundary, so "ERROR_CODE" is no level.
const LEVEL_PATTERN = new RegExp(`\\b(?:${Object.keys(LEVEL_TAGS).join('|')})\\b`);

function str(options: ProcessorOptions, key: string, fallback: string): string {
  const value = options[key];
  return typeof value === 'string' ? value : fallback;
}

function int(options: ProcessorOptions, key: string, fallback: number): number {
  const value = options[key];
  return typeof value === 'number' ? value : fallback;
}

/**
 * `template` and `number`: each line rendered through `format`. `{count}` (number's only)
 * counts the lines that reached the node in this file, from `start`.
 */
function templating(defaultFormat: string, allowed: readonly TemplateValue[]): BuiltinProcessor {
  return {
    kind: 'transform',
    check: (o) => templateIssue('/format', str(o, 'format', defaultFormat), allowed),
    create(o) {
      const render = compileTemplate(parseTemplate(str(o, 'format', defaultFormat), allowed) as TemplatePart[]);
      const values = { line: '', tag: '', n: 0, file: '', count: int(o, 'start', 1) };
      return {
        process(line, ctx) {
          values.line = line;
          values.tag = ctx.tag;
          values.n = ctx.n;
          values.file = ctx.file;
          ctx.emit(render(values));
          values.count++;
        },
      };
    },
  };
}

function regexIssue(path: string, pattern: unknown, flags: unknown): ConfigIssue[] {
  try {
    new RegExp(String(pattern), typeof flags === 'string' ? flags : undefined);
    return [];
  } catch (error) {
    return [{ path, message: `invalid regular expression: ${(error as Error).message}` }];
  }
}

function templateIssue(path: string, format: string, allowed: readonly TemplateValue[]): ConfigIssue[] {
  const parsed = parseTemplate(format, allowed);
  return typeof parsed === 'string' ? [{ path, message: parsed }] : [];
}

/** A regex test that does not depend on the `lastIndex` a `g` or `y` flag leaves behind. */
function tester(pattern: string, flags: string): (line: string) => boolean {
  const re = new RegExp(pattern, flags);
  if (!re.global && !re.sticky) return (line) => re.test(line);
  return (line) => {
    re.lastIndex = 0;
    return re.test(line);
  };
}

/** A processor that maps each line to exactly one line. */
function map(fn: (line: string) => string): BuiltinProcessor {
  return {
    kind: 'transform',
    create: () => ({
      process(line: string, ctx: ProcessorContext): void {
        ctx.emit(fn(line));
      },
    }),
  };
}

export const BUILTINS: Record<string, BuiltinProcessor> = {
  trim: map((line) => line.trim()),
  uppercase: map((line) => line.toUpperCase()),
  lowercase: map((line) => line.toLowerCase()),
  snakecase: map((line) => line.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')),

  replace: {
    kind: 'transform',
    check: (o) => regexIssue('/pattern', o.pattern, str(o, 'flags', 'g')),
    create(o) {
      const re = new RegExp(str(o, 'pattern', ''), str(o, 'flags', 'g'));
      const replacement = str(o, 'replacement', '');
      return {
        process(line, ctx) {
          re.lastIndex = 0;
          ctx.emit(line.replace(re, replacement));
        },
      };
    },
  },

  filter: {
    kind: 'transform',
    check: (o) => regexIssue('/pattern', o.pattern, str(o, 'flags', '')),
    create(o) {
      const test = tester(str(o, 'pattern', ''), str(o, 'flags', ''));
      const keep = o.invert !== true;
      return {
        process(line, ctx) {
          if (test(line) === keep) ctx.emit(line);
        },
      };
    },
  },

  template: templating('', TEMPLATE_VALUES),

  number: templating('[{count}] {line}', NUMBER_VALUES),

  split: {
    kind: 'transform',
    create(o) {
      const separator = str(o, 'separator', ',');
      return {
        process(line, ctx) {
          for (const part of line.split(separator)) {
            const trimmed = part.trim();
            if (trimmed !== '') ctx.emit(trimmed);
          }
        },
      };
    },
  },

  join: {
    kind: 'transform',
    flushes: true,
    create(o) {
      const separator = str(o, 'separator', ' | ');
      const size = int(o, 'size', 2);
      let held: string[] = [];
      return {
        process(line, ctx) {
          held.push(line);
          if (held.length >= size) {
            const joined = held.join(separator);
            held = [];
            ctx.emit(joined);
          }
        },
        flush(ctx) {
          if (held.length === 0) return;
          const joined = held.join(separator);
          held = [];
          ctx.emit(joined);
        },
      };
    },
  },

  dedupe: {
    kind: 'transform',
    create(o) {
      const maxEntries = int(o, 'maxEntries', 100000);
      const seen = new Set<string>();
      let dropped = 0;
      return {
        process(line, ctx) {
          if (seen.has(line)) {
            dropped++;
            return;
          }
          // Past maxEntries the oldest remembered line is forgotten, so memory stays bounded
          // and recent duplicates (the common case in logs) are still caught.
          if (seen.size >= maxEntries) seen.delete(seen.values().next().value as string);
          seen.add(line);
          ctx.emit(line);
        },
        summary: () => ({ dropped }),
      };
    },
  },

  count: {
    kind: 'transform',
    check: (o) => (o.pattern === undefined ? [] : regexIssue('/pattern', o.pattern, str(o, 'flags', ''))),
    create(o) {
      const test = o.pattern === undefined ? undefined : tester(str(o, 'pattern', ''), str(o, 'flags', ''));
      let passed = 0;
      let matched = 0;
      return {
        process(line, ctx) {
          passed++;
          if (test?.(line)) matched++;
          ctx.emit(line);
        },
        summary: () => (test ? { passed, matched } : { passed }),
      };
    },
  },

  drop: {
    kind: 'sink',
    create: () => ({ process: () => undefined }),
  },

  route: {
    kind: 'routing',
    emits: (o) => [...rules(o).map((rule, i) => ({ tag: rule.tag, path: `/rules/${i}/tag` })), { tag: str(o, 'default', ''), path: '/default' }],
    check: (o) => rules(o).flatMap((rule, i) => regexIssue(`/rules/${i}/pattern`, rule.pattern, rule.flags ?? '')),
    create(o) {
      const compiled = rules(o).map((rule) => ({ test: tester(rule.pattern, rule.flags ?? ''), tag: rule.tag }));
      const fallback = str(o, 'default', '');
      return {
        process(line, ctx) {
          for (const rule of compiled) {
            if (rule.test(line)) {
              ctx.emit(line, rule.tag);
              return;
            }
          }
          ctx.emit(line, fallback);
        },
      };
    },
  },

  tagByLevel: {
    kind: 'routing',
    // The level tags are fixed, so a missing node is reported at the node itself.
    emits: (o) => [
      ...[...new Set(Object.values(LEVEL_TAGS))].map((tag) => ({ tag, path: '' })),
      { tag: str(o, 'default', 'other'), path: o.default === undefined ? '' : '/default' },
    ],
    create(o) {
      const fallback = str(o, 'default', 'other');
      return {
        process(line, ctx) {
          const match = LEVEL_PATTERN.exec(line);
          ctx.emit(line, match === null ? fallback : LEVEL_TAGS[match[0]]);
        },
      };
    },
  },
};

interface RouteRule {
  pattern: string;
  flags?: string;
  tag: string;
}

function rules(options: ProcessorOptions): RouteRule[] {
  return Array.isArray(options.rules) ? (options.rules as RouteRule[]) : [];
}
