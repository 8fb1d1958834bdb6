// The tag router (docs/pipelines.md): depth-first delivery, `then` chains, `unmatched`, maxHops,
// end-of-file flushes, the `n` each line carries, the summary's counts, and per-file state.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { compilePipelineObject } from '../../src/core/config/pipelineConfig';
import type { Logger } from '../../src/core/logger';
import { assertFailedWith, FIXTURES, runConfig, runPipeline, useTempDirs, type RunResult } from './support/harness';

const fixture = (name: string): string => path.join(FIXTURES, name);
const template = (format: string, then?: string) => ({ use: 'template', with: { format }, ...(then ? { then } : {}) });

describe('tag router', () => {
  const tempDir = useTempDirs('fileflow-router-');

  async function run(pipeline: unknown, text: string, name?: string): Promise<RunResult> {
    return runPipeline(pipeline, await tempDir(), text, { name });
  }

  async function processed(pipeline: unknown, text: string): Promise<RunResult> {
    const result = await run(pipeline, text);
    assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
    return result;
  }

  describe('order', () => {
    // "a…" parts take two more hops than "b…" parts, so breadth-first delivery would
    // write the b parts first; depth first keeps the emission order.
    const fanOut = {
      nodes: {
        start: { use: 'split', then: 'pick' },
        pick: {
          use: 'route',
          with: {
            rules: [
              { pattern: '^a', tag: 'A' },
              { pattern: '^b', tag: 'B' },
            ],
            default: 'end',
          },
        },
        A: template('A:{line}', 'A2'),
        A2: { use: 'uppercase' },
        B: template('B:{line}'),
      },
    };

    it('routes each line and its fan-out depth first, in emission order, before the next input line', async () => {
      const result = await processed(fanOut, 'a1,b1,a2\nb2,a3\nc\n');
      assert.deepEqual(result.lines, ['A:A1', 'B:b1', 'A:A2', 'B:b2', 'A:A3', 'c']);
    });

    it('counts every delivery per tag and per node', async () => {
      const result = await processed(fanOut, 'a1,b1,a2\nb2,a3\nc\n');
      assert.deepEqual(result.summary.tags, { start: 3, pick: 6, A: 3, A2: 3, B: 2, end: 6 });
      assert.equal(result.summary.tags.end, result.summary.linesOut);
      const counts = Object.fromEntries(Object.entries(result.summary.nodes).map(([name, s]) => [name, [s.in, s.out, s.errors]]));
      assert.deepEqual(counts, { start: [3, 6, 0], pick: [6, 6, 0], A: [3, 3, 0], A2: [3, 3, 0], B: [2, 2, 0] });
      for (const stats of Object.values(result.summary.nodes)) assert.ok(typeof stats.ms === 'number' && stats.ms >= 0);
    });

    it('follows `then` chains; a transform without `then` writes to end', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'trim', then: 'up' },
          up: { use: 'uppercase', then: 'fmt' },
          fmt: template('<{line}>'),
        },
      };
      const result = await processed(pipeline, '  a \n b\n');
      assert.deepEqual(result.lines, ['<A>', '<B>']);
      assert.deepEqual(result.summary.tags, { start: 2, up: 2, fmt: 2, end: 2 });
    });

    it('then: "end" is the same as no then', async () => {
      const result = await processed({ nodes: { start: { use: 'trim', then: 'end' } } }, ' x \n');
      assert.deepEqual(result.lines, ['x']);
    });

    it('a node reached by no line has no tag entry but does have node stats', async () => {
      const pipeline = { nodes: { start: { use: 'route', with: { rules: [{ pattern: 'never', tag: 'rare' }], default: 'end' } }, rare: { use: 'drop' } } };
      const result = await processed(pipeline, 'a\nb\n');
      assert.deepEqual(result.summary.tags, { start: 2, end: 2 });
      assert.deepEqual(result.summary.nodes.rare, { in: 0, out: 0, errors: 0, ms: 0 });
    });

    it('enters at the node named by start', async () => {
      const pipeline = { start: 'entry', nodes: { other: template('other'), entry: template('entry:{line}') } };
      const result = await processed(pipeline, 'x\n');
      assert.deepEqual(result.lines, ['entry:x']);
    });
  });

  describe('tags with no node', () => {
    it('fails the file when a custom module emits an unknown tag', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'trim', then: 'y' },
          y: { use: { module: fixture('tagger.mjs') }, with: { tag: 'x' } },
        },
      };
      const result = await run(pipeline, 'fine\n#bad\nnever\n');
      assertFailedWith(result, { message: 'no node for tag "x" (emitted by node "y")', code: 'EROUTING', node: 'y', line: 2 });
      assert.equal(result.summary.linesOut, 0);
      assert.equal(result.summary.tags.x, 1);
    });

    it('sends such lines to the unmatched node instead', async () => {
      const pipeline = {
        unmatched: 'lost',
        nodes: {
          start: { use: { module: fixture('tagger.mjs') }, with: { tag: 'x' }, then: 'ok' },
          ok: template('ok:{line}'),
          lost: template('lost:{line}'),
        },
      };
      const result = await processed(pipeline, 'a\n#b\n#c\n');
      assert.deepEqual(result.lines, ['ok:a', 'lost:b', 'lost:c', 'ok:footer: 3 line(s), n=3, tag=start']);
      assert.deepEqual(result.summary.tags, { start: 3, ok: 2, lost: 2, x: 2, end: 4 });
    });

    it('unmatched: "end" writes such lines to the result as they are', async () => {
      const pipeline = {
        unmatched: 'end',
        nodes: {
          start: { use: 'route', with: { rules: [{ pattern: '^k', tag: 'keep' }], default: 'mystery' } },
          keep: template('kept:{line}'),
        },
      };
      const result = await processed(pipeline, 'k1\nzzz\nk2\n');
      assert.deepEqual(result.lines, ['kept:k1', 'zzz', 'kept:k2']);
      assert.deepEqual(result.summary.tags, { start: 3, keep: 2, mystery: 1, end: 3 });
    });

    it('unmatched also catches a `then` tag with no node', async () => {
      const pipeline = { unmatched: 'catch', nodes: { start: { use: 'trim', then: 'ghost' }, catch: template('caught:{line}') } };
      const result = await processed(pipeline, ' a \n');
      assert.deepEqual(result.lines, ['caught:a']);
      assert.equal(result.summary.tags.ghost, 1);
    });
  });

  describe('maxHops', () => {
    // Each pass adds one "+"; the line leaves after five passes, i.e. after ten nodes.
    const loop = (maxHops?: number) => ({
      ...(maxHops === undefined ? {} : { maxHops }),
      nodes: {
        start: { use: 'replace', with: { pattern: '^', replacement: '+' }, then: 'check' },
        check: { use: 'route', with: { rules: [{ pattern: '^\\+{5}', tag: 'end' }], default: 'start' } },
      },
    });

    it('a line may pass through exactly maxHops nodes', async () => {
      const result = await processed(loop(10), 'x\ny\n');
      assert.deepEqual(result.lines, ['+++++x', '+++++y']);
      assert.deepEqual(result.summary.tags, { start: 10, check: 10, end: 2 });
    });

    it('one node more is a routing loop that fails the file', async () => {
      const result = await run(loop(9), 'x\n');
      assertFailedWith(result, { message: 'routing loop: a line passed through more than maxHops (9) nodes, the last "check"', code: 'EROUTING', node: 'check', line: 1 });
    });

    it('maxHops defaults to 64', async () => {
      // A routing node whose rule never fits: the loop is legal, and this line never leaves it.
      const endless = { nodes: { start: { use: 'trim', then: 'again' }, again: { use: 'route', with: { rules: [{ pattern: '^STOP', tag: 'end' }], default: 'start' } } } };
      const result = await run(endless, 'x\n');
      assert.equal(result.summary.status, 'failed');
      assert.equal(result.summary.error?.code, 'EROUTING');
      assert.match(result.summary.error?.message ?? '', /more than maxHops \(64\) nodes/);
      assert.equal(result.summary.tags.start + result.summary.tags.again, 64);
    });

    it('counts the nodes on one line\'s path, not the lines of a fan-out', async () => {
      const pipeline = { maxHops: 2, nodes: { start: { use: 'split', then: 'fmt' }, fmt: template('[{line}]') } };
      const result = await processed(pipeline, 'a,b,c,d,e,f\n');
      assert.equal(result.lines.length, 6);
    });

    it('counts from the start for every input line', async () => {
      const pipeline = { maxHops: 2, nodes: { start: { use: 'trim', then: 'fmt' }, fmt: template('[{line}]') } };
      const result = await processed(pipeline, 'a\nb\nc\n');
      assert.deepEqual(result.lines, ['[a]', '[b]', '[c]']);
    });
  });

  describe('end of file', () => {
    const twoJoins = (order: ('ja' | 'jb')[]) => ({
      nodes: {
        start: {
          use: 'route',
          with: {
            rules: [
              { pattern: '^a', tag: 'ja' },
              { pattern: '^b', tag: 'jb' },
            ],
            default: 'end',
          },
        },
        ...Object.fromEntries(order.map((name) => [name, { use: 'join', with: { size: 10 } }])),
      },
    });

    it('flushes stateful nodes in declaration order', async () => {
      const text = 'a1\nb1\na2\nb2\n';
      assert.deepEqual((await processed(twoJoins(['ja', 'jb']), text)).lines, ['a1 | a2', 'b1 | b2']);
      assert.deepEqual((await processed(twoJoins(['jb', 'ja']), text)).lines, ['b1 | b2', 'a1 | a2']);
    });

    it('flushed lines are routed like any other', async () => {
      const pipeline = { nodes: { start: { use: 'join', with: { size: 3 }, then: 'fmt' }, fmt: template('{n}: {line}') } };
      const result = await processed(pipeline, '1\n2\n3\n4\n5\n');
      assert.deepEqual(result.lines, ['3: 1 | 2 | 3', '5: 4 | 5']);
    });

    it('a flush that feeds an already-flushed join still loses nothing', async () => {
      // "tail" is declared (so flushed) before "start", whose flush then feeds it.
      const pipeline = {
        nodes: {
          tail: { use: 'join', with: { size: 2, separator: ' + ' } },
          start: { use: 'join', with: { size: 3 }, then: 'tail' },
        },
      };
      const result = await processed(pipeline, 'a\nb\nc\nd\n');
      assert.deepEqual(result.lines, ['a | b | c', 'd']);
    });

    it('a node fed by an earlier node\'s flush is flushed once, after receiving those lines', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'join', with: { size: 3 }, then: 'foot' },
          foot: { use: { module: fixture('footer.cjs') } },
        },
      };
      const result = await processed(pipeline, '1\n2\n3\n4\n');
      assert.deepEqual(result.lines, ['1 | 2 | 3', '4', 'FOOTER after 2']);
    });

    it('a chain of joins loses nothing at end of file', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'join', with: { size: 2, separator: '+' }, then: 'j2' },
          j2: { use: 'join', with: { size: 2, separator: '/' }, then: 'j3' },
          j3: { use: 'join', with: { size: 2, separator: ' ' } },
        },
      };
      const result = await processed(pipeline, '1\n2\n3\n4\n5\n');
      assert.deepEqual(result.lines, ['1+2/3+4 5']);
    });
  });

  describe('n, the input line number', () => {
    it('is carried from the input line through every node and fan-out', async () => {
      const pipeline = { nodes: { start: { use: 'split', with: { separator: ';' }, then: 'up' }, up: { use: 'uppercase', then: 'fmt' }, fmt: template('{n} {line}') } };
      const result = await processed(pipeline, 'a;b\n\nc\n');
      assert.deepEqual(result.lines, ['1 A', '1 B', '3 C']);
    });

    it('a joined line carries the n of the last line it joined, also when flushed', async () => {
      const pipeline = {
        nodes: {
          start: { use: 'filter', with: { pattern: '^x' }, then: 'pair' },
          pair: { use: 'join', with: { size: 2 }, then: 'fmt' },
          fmt: template('{n}: {line}'),
        },
      };
      const result = await processed(pipeline, 'x1\nskip\nx2\nx3\nskip\n');
      assert.deepEqual(result.lines, ['3: x1 | x2', '4: x3']);
    });
  });

  describe('per-file state', () => {
    it('stateful processors start afresh for every file', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(
        {
          nodes: {
            start: { use: 'dedupe', then: 'num' },
            num: { use: 'number', then: 'pair' },
            pair: { use: 'join', with: { size: 2 }, then: 'tally' },
            tally: { use: 'count' },
          },
        },
        path.join(dir, 'p.json'),
      );
      const first = await runConfig(config, dir, 'a\nb\na\nc\n', { name: 'one.log' });
      const second = await runConfig(config, dir, 'a\nd\n', { name: 'two.log' });
      assert.deepEqual(first.lines, ['[1] a | [2] b', '[3] c']);
      assert.deepEqual(second.lines, ['[1] a | [2] d']);
      assert.deepEqual(first.summary.processors, { start: { dropped: 1 }, tally: { passed: 2 } });
      assert.deepEqual(second.summary.processors, { start: { dropped: 0 }, tally: { passed: 1 } });
    });

    it('a failed file does not disturb the next one', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(
        { nodes: { start: { use: 'number', then: 'risky' }, risky: { use: { module: fixture('thrower.js') } } } },
        path.join(dir, 'p.json'),
      );
      const failed = await runConfig(config, dir, 'a\nboom\n', { name: 'bad.log' });
      const ok = await runConfig(config, dir, 'b\n', { name: 'good.log' });
      assert.equal(failed.summary.status, 'failed');
      assert.deepEqual(ok.lines, ['[1] b']);
    });
  });

  describe('pipeline selection (routes)', () => {
    const routed = {
      version: 1,
      routes: [
        { match: '**/*.csv', pipeline: 'csv' },
        { firstLine: '^\\{', pipeline: 'jsonl' },
        { pipeline: 'logs' },
      ],
      pipelines: {
        csv: { nodes: { start: template('csv:{line}') } },
        jsonl: { nodes: { start: template('jsonl:{line}') } },
        logs: { nodes: { start: template('logs:{line}') } },
      },
    };

    it('takes the first route that fits: match on the name, firstLine on the first line, else the catch-all', async () => {
      const csv = await run(routed, '{"a":1}\n', 'data/x.csv');
      assert.equal(csv.summary.pipeline, 'csv');
      assert.deepEqual(csv.lines, ['csv:{"a":1}']);
      const jsonl = await run(routed, '{"a":1}\nplain\n', 'x.log');
      assert.equal(jsonl.summary.pipeline, 'jsonl');
      assert.deepEqual(jsonl.lines, ['jsonl:{"a":1}', 'jsonl:plain']);
      const logs = await run(routed, 'plain\n{"a":1}\n', 'x.log');
      assert.equal(logs.summary.pipeline, 'logs');
    });

    it('the firstLine test sees the first line without BOM and \\r', async () => {
      const result = await run(
        { routes: [{ firstLine: '^\\{$', pipeline: 'j' }], pipelines: { j: { nodes: { start: { use: 'trim' } } } } },
        '\uFEFF{\r\n',
      );
      assert.equal(result.summary.pipeline, 'j');
    });

    it('a file that no route fits fails', async () => {
      const pipeline = { routes: [{ match: '*.csv', pipeline: 'csv' }], pipelines: { csv: { nodes: { start: { use: 'trim' } } } } };
      const result = await run(pipeline, 'a\n', 'x.log');
      assert.equal(result.summary.status, 'failed');
      assert.equal(result.summary.error?.code, 'ENOROUTE');
      assert.equal(result.summary.pipeline, null);
      assert.equal(result.resultExists, false);
    });

    it('the shorthand file is one pipeline named "default"', async () => {
      const result = await processed({ nodes: { start: { use: 'trim' } } }, 'x\n');
      assert.equal(result.summary.pipeline, 'default');
    });
  });

  describe('tracing', () => {
    it('logs every hop at trace level, and nothing above it', async () => {
      const messages: string[] = [];
      const logger = (level: Logger['level']): Logger => ({
        level,
        trace: (m) => messages.push(`trace ${m}`),
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      });
      const pipeline = { nodes: { start: { use: 'split', then: 'up' }, up: { use: 'uppercase' } } };
      const dir = await tempDir();
      await runPipeline(pipeline, dir, 'a,b\n', { logger: logger('trace') });
      assert.deepEqual(messages, [
        'trace input.log:1 start -> up: a',
        'trace input.log:1 up -> end: A',
        'trace input.log:1 start -> up: b',
        'trace input.log:1 up -> end: B',
      ]);
      messages.length = 0;
      await runPipeline(pipeline, dir, 'a,b\n', { logger: logger('debug') });
      assert.deepEqual(messages, []);
    });
  });
});
