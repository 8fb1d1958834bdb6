// Every built-in processor of the table in docs/pipelines.md, with every default option value, run through
// the real engine: compilePipelineObject -> processFile -> the result file on disk.

import assert from 'node:assert/strict';
import { runPipeline, useTempDirs, type RunResult } from './support/harness';

type Options = Record<string, unknown>;

/** A one-node pipeline whose start node runs `use`. */
function single(use: string, options?: Options): unknown {
  return { version: 1, nodes: { start: options === undefined ? { use } : { use, with: options } } };
}

describe('built-in processors (the table of docs/pipelines.md)', () => {
  const tempDir = useTempDirs('fileflow-processors-');

  async function run(pipeline: unknown, lines: string[]): Promise<RunResult> {
    const result = await runPipeline(pipeline, await tempDir(), lines.map((line) => `${line}\n`).join(''));
    assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
    return result;
  }

  async function outputOf(pipeline: unknown, lines: string[]): Promise<string[]> {
    return (await run(pipeline, lines)).lines;
  }

  describe('trim', () => {
    it('strips leading and trailing white space and keeps inner white space', async () => {
      assert.deepEqual(await outputOf(single('trim'), ['  a  b ', '\tx\t', 'plain', '   ']), ['a  b', 'x', 'plain', '']);
    });
  });

  describe('uppercase / lowercase', () => {
    it('uppercase changes case', async () => {
      assert.deepEqual(await outputOf(single('uppercase'), ['MiXed case 42', 'élan']), ['MIXED CASE 42', 'ÉLAN']);
    });

    it('lowercase changes case', async () => {
      assert.deepEqual(await outputOf(single('lowercase'), ['MiXed CASE 42', 'ÉLAN']), ['mixed case 42', 'élan']);
    });
  });

  describe('snakecase', () => {
    it('lower-cases and turns every run of characters other than a-z0-9 into one "_"', async () => {
      assert.deepEqual(await outputOf(single('snakecase'), ['Hello, World!', 'CamelCase ID-42', 'a   b...c']), [
        'hello_world',
        'camelcase_id_42',
        'a_b_c',
      ]);
    });

    it('removes leading and trailing "_" (including ones the line had)', async () => {
      assert.deepEqual(await outputOf(single('snakecase'), ['  --Foo__Bar--  ', '_x_', 'été 2024', '!!!']), [
        'foo_bar',
        'x',
        't_2024',
        '',
      ]);
    });
  });

  describe('replace', () => {
    it('replaces every match by default (flags default "g")', async () => {
      assert.deepEqual(await outputOf(single('replace', { pattern: '-', replacement: '+' }), ['a-b-c', 'd-e']), ['a+b+c', 'd+e']);
    });

    it('replacement defaults to "" (the match is removed)', async () => {
      assert.deepEqual(await outputOf(single('replace', { pattern: '\\d+' }), ['id 12 and 345', 'none']), ['id  and ', 'none']);
    });

    it('explicit flags replace the default: "" replaces only the first match', async () => {
      assert.deepEqual(await outputOf(single('replace', { pattern: '-', replacement: '+', flags: '' }), ['a-b-c']), ['a+b-c']);
    });

    it('flags "i" is case-insensitive (and, without "g", replaces once)', async () => {
      assert.deepEqual(await outputOf(single('replace', { pattern: 'x', replacement: '_', flags: 'i' }), ['aXbxc']), ['a_bxc']);
      assert.deepEqual(await outputOf(single('replace', { pattern: 'x', replacement: '_', flags: 'gi' }), ['aXbxc']), ['a_b_c']);
    });

    it('is a JavaScript RegExp replace: groups and $-references work', async () => {
      const pipeline = single('replace', { pattern: '(\\w+)@(\\w+)', replacement: '$2 at $1' });
      assert.deepEqual(await outputOf(pipeline, ['mail alice@example now', 'bob@host']), ['mail example at alice now', 'host at bob']);
    });

    it('a case-sensitive pattern leaves other cases alone', async () => {
      assert.deepEqual(await outputOf(single('replace', { pattern: 'secret', replacement: '***' }), ['Secret secret SECRET']), [
        'Secret *** SECRET',
      ]);
    });
  });

  describe('filter', () => {
    const lines = ['an error here', 'an ERROR here', 'all good', 'error'];

    it('keeps only matching lines, case-sensitively by default (flags default "")', async () => {
      assert.deepEqual(await outputOf(single('filter', { pattern: 'error' }), lines), ['an error here', 'error']);
    });

    it('invert defaults to false; invert: true keeps the lines that do not match', async () => {
      assert.deepEqual(await outputOf(single('filter', { pattern: 'error', invert: false }), lines), ['an error here', 'error']);
      assert.deepEqual(await outputOf(single('filter', { pattern: 'error', invert: true }), lines), ['an ERROR here', 'all good']);
    });

    it('flags "i" makes it case-insensitive', async () => {
      assert.deepEqual(await outputOf(single('filter', { pattern: 'error', flags: 'i' }), lines), ['an error here', 'an ERROR here', 'error']);
    });

    it('a "g" flag does not make consecutive lines skip (lastIndex is not carried over)', async () => {
      assert.deepEqual(await outputOf(single('filter', { pattern: 'x', flags: 'g' }), ['x1', 'x2', 'x3', 'y']), ['x1', 'x2', 'x3']);
    });

    it('counts what it dropped in the summary (node out < in)', async () => {
      const result = await run(single('filter', { pattern: '^keep' }), ['keep 1', 'drop', 'keep 2']);
      assert.equal(result.summary.nodes.start.in, 3);
      assert.equal(result.summary.nodes.start.out, 2);
      assert.equal(result.summary.linesOut, 2);
    });
  });

  describe('template', () => {
    it('fills {line}, {tag}, {n} and {file}', async () => {
      assert.deepEqual(await outputOf(single('template', { format: '{file}:{n} <{tag}> {line}' }), ['first', 'second']), [
        'input.log:1 <start> first',
        'input.log:2 <start> second',
      ]);
    });

    it('{tag} is the name of the node running the template', async () => {
      const pipeline = { nodes: { start: { use: 'trim', then: 'fmt' }, fmt: { use: 'template', with: { format: '{tag}={line}' } } } };
      assert.deepEqual(await outputOf(pipeline, [' a ']), ['fmt=a']);
    });

    it('{{ and }} are literal braces', async () => {
      assert.deepEqual(await outputOf(single('template', { format: '{{{line}}} {{n}} }}' }), ['x']), ['{x} {n} }']);
    });

    it('a format without placeholders replaces every line with the same text', async () => {
      assert.deepEqual(await outputOf(single('template', { format: 'constant' }), ['a', 'b']), ['constant', 'constant']);
    });

    it('{file} is the name given to the file (as in its summary), not its path', async () => {
      const dir = await tempDir();
      const result = await runPipeline(single('template', { format: '{file}' }), dir, 'x\n', { name: 'sub/app.log' });
      assert.equal(result.output, 'sub/app.log\n');
      assert.equal(result.summary.name, 'sub/app.log');
    });
  });

  describe('number', () => {
    it('defaults: format "[{count}] {line}" and start 1', async () => {
      assert.deepEqual(await outputOf(single('number'), ['a', 'b', 'c']), ['[1] a', '[2] b', '[3] c']);
    });

    it('start sets the first value of {count}', async () => {
      assert.deepEqual(await outputOf(single('number', { start: 0 }), ['a', 'b']), ['[0] a', '[1] b']);
      assert.deepEqual(await outputOf(single('number', { start: 100 }), ['a', 'b']), ['[100] a', '[101] b']);
    });

    it('format can use {count}, {line}, {tag}, {n} and {file}, and {{ }}', async () => {
      const pipeline = single('number', { format: '{{{count}}} {tag} {file}:{n} {line}' });
      assert.deepEqual(await outputOf(pipeline, ['a', 'b']), ['{1} start input.log:1 a', '{2} start input.log:2 b']);
    });

    it('{count} counts the lines reaching this node, not input lines', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'filter', with: { pattern: 'x' }, then: 'num' },
          num: { use: 'number', with: { format: '{count} n={n} {line}' } },
        },
      };
      assert.deepEqual(await outputOf(pipeline, ['x1', 'skip', 'skip', 'x2', 'x3']), ['1 n=1 x1', '2 n=4 x2', '3 n=5 x3']);
    });
  });

  describe('split', () => {
    it('separator defaults to ","; parts are trimmed and empty parts dropped', async () => {
      assert.deepEqual(await outputOf(single('split'), [' a, b,,c ,  ', ',,', 'single']), ['a', 'b', 'c', 'single']);
    });

    it('the separator is literal text, not a regular expression', async () => {
      assert.deepEqual(await outputOf(single('split', { separator: '.' }), ['a.b.c']), ['a', 'b', 'c']);
      assert.deepEqual(await outputOf(single('split', { separator: ' - ' }), ['x - y-z - w']), ['x', 'y-z', 'w']);
    });

    it('every part carries the n of the line it came from', async () => {
      const pipeline = { nodes: { start: { use: 'split', then: 'fmt' }, fmt: { use: 'template', with: { format: '{n}:{line}' } } } };
      assert.deepEqual(await outputOf(pipeline, ['a,b', 'c']), ['1:a', '1:b', '2:c']);
    });

    it('counts fan-out in the summary (out > in)', async () => {
      const result = await run(single('split'), ['a,b,c', 'd']);
      assert.equal(result.summary.linesIn, 2);
      assert.equal(result.summary.linesOut, 4);
      assert.deepEqual(result.summary.nodes.start.in, 2);
      assert.deepEqual(result.summary.nodes.start.out, 4);
    });
  });

  describe('join', () => {
    it('defaults: separator " | " and size 2; the remainder is flushed at end of file', async () => {
      assert.deepEqual(await outputOf(single('join'), ['a', 'b', 'c', 'd', 'e']), ['a | b', 'c | d', 'e']);
    });

    it('no remainder means nothing extra at end of file', async () => {
      assert.deepEqual(await outputOf(single('join'), ['a', 'b', 'c', 'd']), ['a | b', 'c | d']);
    });

    it('size and separator options', async () => {
      assert.deepEqual(await outputOf(single('join', { size: 3, separator: ',' }), ['1', '2', '3', '4', '5', '6', '7']), [
        '1,2,3',
        '4,5,6',
        '7',
      ]);
      assert.deepEqual(await outputOf(single('join', { size: 1 }), ['a', 'b']), ['a', 'b']);
      assert.deepEqual(await outputOf(single('join', { separator: '' }), ['a', 'b', 'c']), ['ab', 'c']);
    });

    it('an empty file produces nothing (no empty flush line)', async () => {
      const result = await runPipeline(single('join'), await tempDir(), '');
      assert.equal(result.output, '');
      assert.equal(result.summary.linesOut, 0);
    });
  });

  describe('dedupe', () => {
    it('drops a line equal to an earlier line of the file and reports how many it dropped', async () => {
      const result = await run(single('dedupe'), ['a', 'b', 'a', 'c', 'b', 'a', 'A']);
      assert.deepEqual(result.lines, ['a', 'b', 'c', 'A']);
      assert.deepEqual(result.summary.processors.start, { dropped: 3 });
    });

    it('a remembered line is still caught after other lines', async () => {
      assert.deepEqual(await outputOf(single('dedupe', { maxEntries: 2 }), ['a', 'b', 'a', 'b']), ['a', 'b']);
    });

    it('remembers at most maxEntries distinct lines (a forgotten line passes again)', async () => {
      assert.deepEqual(await outputOf(single('dedupe', { maxEntries: 2 }), ['a', 'b', 'c', 'a']), ['a', 'b', 'c', 'a']);
      assert.deepEqual(await outputOf(single('dedupe', { maxEntries: 1 }), ['a', 'a', 'b', 'a', 'a']), ['a', 'b', 'a']);
    });

    it('maxEntries defaults to 100000', async () => {
      const distinct = Array.from({ length: 100000 }, (_, i) => `line ${i}`);
      // 100000 distinct lines fit, so "line 0" is still remembered; one more evicts the oldest.
      const result = await run(single('dedupe'), [...distinct, 'line 0', 'line 100000', 'line 0']);
      assert.equal(result.lines.length, 100002);
      assert.deepEqual(result.lines.slice(-2), ['line 100000', 'line 0']);
      assert.deepEqual(result.summary.processors.start, { dropped: 1 });
    });
  });

  describe('count', () => {
    it('without pattern: passes every line unchanged and reports only "passed"', async () => {
      const result = await run(single('count'), ['a', 'b', 'a']);
      assert.deepEqual(result.lines, ['a', 'b', 'a']);
      assert.deepEqual(result.summary.processors, { start: { passed: 3 } });
    });

    it('with pattern: reports "passed" and "matched", still passing every line', async () => {
      const result = await run(single('count', { pattern: 'err' }), ['err 1', 'ok', 'ERR 2', 'err 3']);
      assert.deepEqual(result.lines, ['err 1', 'ok', 'ERR 2', 'err 3']);
      assert.deepEqual(result.summary.processors, { start: { passed: 4, matched: 2 } });
    });

    it('flags apply to the pattern (default ""), and "g" does not skip matches', async () => {
      assert.deepEqual((await run(single('count', { pattern: 'err', flags: 'i' }), ['err', 'ERR', 'x'])).summary.processors.start, {
        passed: 3,
        matched: 2,
      });
      assert.deepEqual((await run(single('count', { pattern: 'e', flags: 'g' }), ['e', 'e', 'e'])).summary.processors.start, {
        passed: 3,
        matched: 3,
      });
    });

    it('counts the lines reaching its node, under the node name', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'filter', with: { pattern: '!' }, then: 'count-errors' },
          'count-errors': { use: 'count', with: { pattern: 'disk' } },
        },
      };
      const result = await run(pipeline, ['a!', 'b', 'disk!', 'c', 'disk']);
      assert.deepEqual(result.lines, ['a!', 'disk!']);
      assert.deepEqual(result.summary.processors, { 'count-errors': { passed: 2, matched: 1 } });
    });

    it('an empty file reports zero', async () => {
      const result = await runPipeline(single('count', { pattern: 'x' }), await tempDir(), '');
      assert.deepEqual(result.summary.processors, { start: { passed: 0, matched: 0 } });
    });
  });

  describe('drop', () => {
    it('discards every line; the result is an empty file', async () => {
      const result = await run(single('drop'), ['a', 'b']);
      assert.equal(result.resultExists, true);
      assert.equal(result.output, '');
      assert.equal(result.summary.linesIn, 2);
      assert.equal(result.summary.linesOut, 0);
      assert.equal(result.summary.bytesOut, 0);
      assert.deepEqual(result.summary.tags, { start: 2, end: 0 });
    });
  });

  describe('route', () => {
    const tagged = (format: string) => ({ use: 'template', with: { format } });
    /** A pipeline whose start node routes by `rules` (else to `fallback`) to the other `nodes`. */
    const routing = (rules: object[], fallback: string, nodes: Record<string, object>) => ({
      nodes: { start: { use: 'route', with: { rules, default: fallback } }, ...nodes },
    });

    it('sends a line to the tag of the first rule whose regex matches, in rule order', async () => {
      const pipeline = routing(
        [
          { pattern: 'disk', tag: 'a' },
          { pattern: 'error', tag: 'b' },
        ],
        'c',
        { a: tagged('A {line}'), b: tagged('B {line}'), c: tagged('C {line}') },
      );
      assert.deepEqual(await outputOf(pipeline, ['disk error', 'error', 'disk', 'other']), ['A disk error', 'B error', 'A disk', 'C other']);
    });

    it('uses default when no rule matches (including with no rules at all)', async () => {
      const pipeline = routing([], 'x', { x: tagged('X {line}') });
      assert.deepEqual(await outputOf(pipeline, ['a', 'b']), ['X a', 'X b']);
    });

    it('rule flags default to "" (case-sensitive) and can be set per rule', async () => {
      const pipeline = routing(
        [
          { pattern: 'warn', tag: 'w' },
          { pattern: 'error', flags: 'i', tag: 'e' },
        ],
        'end',
        { w: tagged('W {line}'), e: tagged('E {line}') },
      );
      assert.deepEqual(await outputOf(pipeline, ['warn', 'WARN', 'ERROR', 'error']), ['W warn', 'WARN', 'E ERROR', 'E error']);
    });

    it('a "g" rule matches every line it should (lastIndex is not carried over)', async () => {
      const pipeline = routing([{ pattern: 'x', flags: 'g', tag: 'hit' }], 'end', { hit: tagged('hit {line}') });
      assert.deepEqual(await outputOf(pipeline, ['x', 'x', 'x']), ['hit x', 'hit x', 'hit x']);
    });

    it('may route straight to end', async () => {
      const pipeline = routing([{ pattern: '^k', tag: 'end' }], 'gone', { gone: { use: 'drop' } });
      const result = await run(pipeline, ['keep', 'lose', 'kept']);
      assert.deepEqual(result.lines, ['keep', 'kept']);
      assert.deepEqual(result.summary.tags, { start: 3, gone: 1, end: 2 });
    });
  });

  describe('tagByLevel', () => {
    const levels = ['debug', 'info', 'warn', 'error', 'critical', 'other'];
    const byTag = (extra: Record<string, unknown> = {}) => ({
      nodes: {
        start: { use: 'tagByLevel', ...extra },
        ...Object.fromEntries(levels.map((tag) => [tag, { use: 'template', with: { format: '{tag} <- {line}' } }])),
      },
    });

    const table: [string, string][] = [
      ['TRACE', 'debug'],
      ['DEBUG', 'debug'],
      ['INFO', 'info'],
      ['NOTICE', 'info'],
      ['WARN', 'warn'],
      ['WARNING', 'warn'],
      ['ERROR', 'error'],
      ['ERR', 'error'],
      ['SEVERE', 'error'],
      ['CRITICAL', 'critical'],
      ['CRIT', 'critical'],
      ['FATAL', 'critical'],
      ['EMERG', 'critical'],
      ['ALERT', 'critical'],
    ];

    it('maps every level word to its tag', async () => {
      const lines = table.map(([word]) => `2026-01-01 10:00:00 [${word}] Api: message`);
      const expected = table.map(([word, tag]) => `${tag} <- 2026-01-01 10:00:00 [${word}] Api: message`);
      assert.deepEqual(await outputOf(byTag(), lines), expected);
    });

    const notLevels = ['ERRORS happened', 'XERROR', 'ERROR_CODE 5', 'INFOS', 'WARNINGS', 'CRITICALLY', 'DEBUGGER', 'ERR42'];
    const cases: { title: string; lines: string[]; expected: string[] }[] = [
      {
        title: 'finds the level in pipe-separated and bare forms',
        lines: ['2026|WARNING|Db|slow', 'FATAL', 'x ALERT: y'],
        expected: ['warn <- 2026|WARNING|Db|slow', 'critical <- FATAL', 'critical <- x ALERT: y'],
      },
      { title: 'lines with no level token go to "other" by default', lines: ['nothing to see', ''], expected: ['other <- nothing to see', 'other <- '] },
      { title: 'matches whole words only', lines: notLevels, expected: notLevels.map((line) => `other <- ${line}`) },
      {
        title: 'uses the first level token on the line',
        lines: ['INFO then ERROR', 'WARNINGS ERROR then INFO', 'a-DEBUG-b FATAL'],
        expected: ['info <- INFO then ERROR', 'error <- WARNINGS ERROR then INFO', 'debug <- a-DEBUG-b FATAL'],
      },
      { title: 'is case-sensitive: lower-case words are not levels', lines: ['no error found', 'Warning: x'], expected: ['other <- no error found', 'other <- Warning: x'] },
    ];
    for (const { title, lines, expected } of cases) {
      it(title, async () => {
        assert.deepEqual(await outputOf(byTag(), lines), expected);
      });
    }

    it('the default option names the tag for lines without a level', async () => {
      const pipeline = byTag({ with: { default: 'misc' } });
      (pipeline.nodes as Record<string, unknown>).misc = { use: 'template', with: { format: 'misc <- {line}' } };
      assert.deepEqual(await outputOf(pipeline, ['plain', 'ERROR x']), ['misc <- plain', 'error <- ERROR x']);
    });

    it('reports the lines per tag in the summary', async () => {
      const result = await run(byTag(), ['INFO a', 'INFO b', 'ERROR c', 'plain']);
      assert.deepEqual(result.summary.tags, { start: 4, info: 2, error: 1, other: 1, end: 4 });
    });
  });
});
