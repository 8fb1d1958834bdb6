// Pipeline files (docs/pipelines.md): every class of problem is reported with its
// JSON path and a clear message, all problems at once; the loader is JSONC; the built-in
// default is the documented `logs` pipeline.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  compilePipelineObject,
  compilePipelineText,
  DEFAULT_CONFIG_SOURCE,
  DEFAULT_PIPELINE_FILE_CONTENT,
  loadDefaultConfig,
  loadPipelineFile,
} from '../../src/core/config/pipelineConfig';
import { DEFAULT_PIPELINE_FILE } from '../../src/core/defaults';
import { ConfigError, type ConfigIssue } from '../../src/core/errors';
import { configIssues, runConfig, useTempDirs } from './support/harness';

const BUILTIN_LIST =
  'trim, uppercase, lowercase, snakecase, replace, filter, template, number, split, join, dedupe, count, drop, route, tagByLevel';
const NO_NODE_HINT = '(add that node, use "end", or set "unmatched")';

function issuesOf(raw: unknown): Promise<ConfigIssue[]> {
  return configIssues(compilePipelineObject(raw, 'pipeline.json'));
}

function issuesOfText(text: string): Promise<ConfigIssue[]> {
  return configIssues(compilePipelineText(text, 'pipeline.json'));
}

/** A one-node shorthand pipeline. */
function single(node: Record<string, unknown>): unknown {
  return { version: 1, nodes: { start: node } };
}

describe('pipeline configuration', () => {
  describe('JSON syntax', () => {
    it('invalid JSON names the line and column', async () => {
      assert.deepEqual(await issuesOfText('{\n  "nodes": {\n    "start": { "use": "trim" }\n  }\n'), [
        { path: '', message: 'invalid JSON at line 5, column 1: CloseBraceExpected' },
      ]);
      assert.deepEqual(await issuesOfText('{"nodes": 1 "version": 1}'), [{ path: '', message: 'invalid JSON at line 1, column 13: CommaExpected' }]);
    });

    it('an empty file is invalid JSON', async () => {
      assert.deepEqual(await issuesOfText(''), [{ path: '', message: 'invalid JSON at line 1, column 1: ValueExpected' }]);
    });

    it('line and column are right in a file that starts with a BOM', async () => {
      assert.deepEqual(await issuesOfText('\uFEFF{\n"nodes": {},\nx}'), [{ path: '', message: 'invalid JSON at line 3, column 1: InvalidSymbol' }]);
    });

    it('accepts comments and trailing commas (the loader is JSONC)', async () => {
      const text = `// triage
        {
          /* the only pipeline */
          "version": 1,
          "nodes": {
            "start": { "use": "trim", }, // trailing comma above
          },
        }`;
      const config = await compilePipelineText(text, 'pipeline.json');
      assert.deepEqual([...config.pipelines.keys()], ['default']);
    });

    it('accepts a BOM before the JSON', async () => {
      const config = await compilePipelineText('\uFEFF{"nodes": {"start": {"use": "trim"}}}', 'pipeline.json');
      assert.equal(config.pipelines.size, 1);
    });

    it('a ConfigError message lists the file and every problem with its path', async () => {
      await assert.rejects(compilePipelineObject({ version: 2, nodes: { start: { use: 'trimm' } } }, 'my.json'), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.file, 'my.json');
        assert.equal(
          error.message,
          `my.json: 2 problems\n  /version: must be 1\n  /nodes/start/use: unknown processor "trimm" (did you mean "trim"?) (built-ins: ${BUILTIN_LIST})`,
        );
        return true;
      });
      await assert.rejects(compilePipelineObject([], 'my.json'), { message: 'my.json: 1 problem\n  /: must be an object, not an array' });
    });
  });

  describe('loading files', () => {
    const tempDir = useTempDirs('fileflow-config-');

    it('loadPipelineFile reads JSONC from disk and records its source', async () => {
      const file = path.join(await tempDir(), DEFAULT_PIPELINE_FILE);
      await writeFile(file, '{ "nodes": { "start": { "use": "trim" } }, /* ok */ }');
      const config = await loadPipelineFile(file);
      assert.equal(config.source, file);
      assert.equal(DEFAULT_PIPELINE_FILE, 'fileflow.pipeline.json');
    });

    it('a missing pipeline file is a ConfigError', async () => {
      const file = path.join(await tempDir(), 'missing.json');
      const issues = await configIssues(loadPipelineFile(file));
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, '');
      assert.match(issues[0].message, /^cannot read the pipeline file: ENOENT/);
    });
  });

  describe('top level', () => {
    it('an unknown top-level property is reported with a "did you mean"', async () => {
      assert.deepEqual(await issuesOf({ version: 1, pipline: {}, nodes: { start: { use: 'trim' } } }), [
        { path: '/pipline', message: 'unknown property "pipline" (did you mean "pipelines"?)' },
      ]);
    });

    it('an unknown property far from any known one lists the known ones', async () => {
      const issues = await issuesOf({ nodes: { start: { use: 'trim' } }, zzz: 1 });
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, '/zzz');
      assert.match(issues[0].message, /^unknown property "zzz" \(known: \$schema, version, routes, pipelines, start, maxHops, maxFanOut, encoding, unmatched, nodes, description, tests\)$/);
    });

    it('version must be 1', async () => {
      assert.deepEqual(await issuesOf({ version: 2, nodes: { start: { use: 'trim' } } }), [{ path: '/version', message: 'must be 1' }]);
      assert.deepEqual(await issuesOf({ version: '1', nodes: { start: { use: 'trim' } } }), [{ path: '/version', message: 'must be 1' }]);
    });

    it('version may be left out; $schema and description are allowed', async () => {
      const config = await compilePipelineObject(
        { $schema: './schema.json', description: 'd', nodes: { start: { use: 'trim', description: 'n' } } },
        'pipeline.json',
      );
      assert.equal(config.pipelines.size, 1);
    });

    it('the file must be an object', async () => {
      assert.deepEqual(await issuesOf([]), [{ path: '', message: 'must be an object, not an array' }]);
      assert.deepEqual(await issuesOf(null), [{ path: '', message: 'must be an object, not null' }]);
    });

    it('both "nodes" and "pipelines" is an error', async () => {
      assert.deepEqual(await issuesOf({ nodes: { start: { use: 'trim' } }, pipelines: { a: { nodes: { start: { use: 'trim' } } } } }), [
        { path: '/pipelines', message: 'give either top-level "nodes" (one pipeline) or "pipelines", not both' },
      ]);
    });

    it('neither "nodes" nor "pipelines" is an error', async () => {
      assert.deepEqual(await issuesOf({ version: 1 }), [{ path: '', message: 'no pipeline: add "nodes" (one pipeline) or "pipelines"' }]);
    });

    it('start, maxHops and unmatched at the top level belong inside a pipeline when "pipelines" is used', async () => {
      const issues = await issuesOf({ start: 's', maxHops: 3, unmatched: 'end', pipelines: { a: { nodes: { start: { use: 'trim' } } } } });
      assert.deepEqual(issues, [
        { path: '/start', message: '"start" belongs inside a pipeline (or use top-level "nodes")' },
        { path: '/maxHops', message: '"maxHops" belongs inside a pipeline (or use top-level "nodes")' },
        { path: '/unmatched', message: '"unmatched" belongs inside a pipeline (or use top-level "nodes")' },
      ]);
    });

    it('empty nodes or pipelines are reported', async () => {
      assert.deepEqual((await issuesOf({ nodes: {} })).map((i) => i.path), ['/nodes']);
      assert.deepEqual((await issuesOf({ pipelines: {} })).map((i) => i.path), ['/pipelines']);
    });

    it('maxHops must be a whole number of at least 1', async () => {
      assert.deepEqual(await issuesOf({ maxHops: 0, nodes: { start: { use: 'trim' } } }), [{ path: '/maxHops', message: 'must be >= 1' }]);
      assert.deepEqual(await issuesOf({ maxHops: 2.5, nodes: { start: { use: 'trim' } } }), [
        { path: '/maxHops', message: 'must be an integer, not a number' },
      ]);
    });
  });

  describe('processors and options', () => {
    it('an unknown processor is reported with a suggestion and the list of built-ins', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'trimm' })), [
        { path: '/nodes/start/use', message: `unknown processor "trimm" (did you mean "trim"?) (built-ins: ${BUILTIN_LIST})` },
      ]);
      assert.deepEqual(await issuesOf({ pipelines: { p: { nodes: { start: { use: 'tagbylevel' } } } } }), [
        { path: '/pipelines/p/nodes/start/use', message: `unknown processor "tagbylevel" (did you mean "tagByLevel"?) (built-ins: ${BUILTIN_LIST})` },
      ]);
    });

    it('use that is neither a name nor { module } is reported (not a crash)', async () => {
      const expected = 'must be the name of a built-in processor or { "module": "./path.js" }';
      for (const use of [42, null, [], {}, { module: 5 }, { module: './x.js', extra: true }]) {
        const issues = await issuesOf(single({ use }));
        assert.ok(
          issues.some((i) => i.path === '/nodes/start/use' && i.message === expected),
          `use ${JSON.stringify(use)}: ${JSON.stringify(issues)}`,
        );
      }
    });

    it('a node without use is reported', async () => {
      assert.deepEqual(await issuesOf(single({ with: {} })), [{ path: '/nodes/start', message: 'missing required property "use"' }]);
    });

    it('a missing required option is reported (replace without pattern)', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'replace', with: { replacement: 'x' } })), [
        { path: '/nodes/start/with', message: 'missing required property "pattern"' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'replace' })), [{ path: '/nodes/start', message: 'missing required property "with"' }]);
      assert.deepEqual(await issuesOf(single({ use: 'template', with: {} })), [{ path: '/nodes/start/with', message: 'missing required property "format"' }]);
      assert.deepEqual(await issuesOf(single({ use: 'route', with: { rules: [] } })), [
        { path: '/nodes/start/with', message: 'missing required property "default"' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'route', with: { rules: [{ tag: 'end' }], default: 'end' } })), [
        { path: '/nodes/start/with/rules/0', message: 'missing required property "pattern"' },
      ]);
    });

    it('a wrong option type is reported', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'join', with: { size: '3' } })), [
        { path: '/nodes/start/with/size', message: 'must be an integer, not a string' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'filter', with: { pattern: 'a', invert: 'yes' } })), [
        { path: '/nodes/start/with/invert', message: 'must be a boolean, not a string' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'route', with: { rules: {}, default: 'end' } })), [
        { path: '/nodes/start/with/rules', message: 'must be an array, not an object' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'trim', with: 'x' })), [{ path: '/nodes/start/with', message: 'must be an object, not a string' }]);
      assert.deepEqual(await issuesOf(single({ use: 'trim', then: 5 })), [{ path: '/nodes/start/then', message: 'must be a string, not a number' }]);
    });

    it('out-of-range option values are reported', async () => {
      assert.deepEqual((await issuesOf(single({ use: 'join', with: { size: 0 } }))).map((i) => i.path), ['/nodes/start/with/size']);
      assert.deepEqual((await issuesOf(single({ use: 'dedupe', with: { maxEntries: 0 } }))).map((i) => i.path), ['/nodes/start/with/maxEntries']);
      assert.deepEqual((await issuesOf(single({ use: 'split', with: { separator: '' } }))).map((i) => i.path), ['/nodes/start/with/separator']);
    });

    it('an unknown option is reported with a suggestion', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'replace', with: { pattern: 'a', flag: 'g' } })), [
        { path: '/nodes/start/with/flag', message: 'unknown property "flag" (did you mean "flags"?)' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'join', with: { seperator: ',' } })), [
        { path: '/nodes/start/with/seperator', message: 'unknown property "seperator" (did you mean "separator"?)' },
      ]);
    });

    it('an option for a processor that takes none is reported', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'trim', with: { x: 1 } })), [
        { path: '/nodes/start/with/x', message: 'unknown property "x" (this processor takes no options)' },
      ]);
    });

    it('an unknown property on a node is reported', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'trim', than: 'end' })), [
        { path: '/nodes/start/than', message: 'unknown property "than" (did you mean "then"?)' },
      ]);
    });
  });

  describe('regular expressions', () => {
    it('an invalid filter pattern is reported at with/pattern', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'filter', with: { pattern: '(' } })), [
        { path: '/nodes/start/with/pattern', message: 'invalid regular expression: Invalid regular expression: /(/: Unterminated group' },
      ]);
    });

    it('invalid replace and count patterns are reported', async () => {
      assert.deepEqual((await issuesOf(single({ use: 'replace', with: { pattern: '[' } }))).map((i) => i.path), ['/nodes/start/with/pattern']);
      assert.deepEqual((await issuesOf(single({ use: 'count', with: { pattern: '*' } }))).map((i) => i.path), ['/nodes/start/with/pattern']);
    });

    it('unknown regex flags are reported at with/flags', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'filter', with: { pattern: 'a', flags: 'q' } })), [
        { path: '/nodes/start/with/flags', message: 'invalid regular expression flags (allowed: d g i m s u v y)' },
      ]);
    });

    it('a pattern that is only invalid with its flags is reported', async () => {
      // Valid without "u", invalid with it.
      const issues = await issuesOf(single({ use: 'filter', with: { pattern: '\\-', flags: 'u' } }));
      assert.equal(issues.length, 1);
      assert.match(issues[0].message, /^invalid regular expression: /);
    });

    it('an invalid route rule pattern is reported at its index', async () => {
      const rules = [
        { pattern: 'ok', tag: 'end' },
        { pattern: '[', tag: 'end' },
        { pattern: 'a', flags: 'x', tag: 'end' },
      ];
      assert.deepEqual(await issuesOf(single({ use: 'route', with: { rules, default: 'end' } })), [
        { path: '/nodes/start/with/rules/2/flags', message: 'invalid regular expression flags (allowed: d g i m s u v y)' },
      ]);
      rules.pop();
      assert.deepEqual(await issuesOf(single({ use: 'route', with: { rules, default: 'end' } })), [
        { path: '/nodes/start/with/rules/1/pattern', message: 'invalid regular expression: Invalid regular expression: /[/: Unterminated character class' },
      ]);
    });

    it('an invalid routes firstLine is reported', async () => {
      assert.deepEqual(await issuesOf({ routes: [{ firstLine: '(', pipeline: 'p' }], pipelines: { p: { nodes: { start: { use: 'trim' } } } } }), [
        { path: '/routes/0/firstLine', message: 'invalid regular expression: Invalid regular expression: /(/: Unterminated group' },
      ]);
    });
  });

  describe('templates', () => {
    it('an unknown placeholder is reported with the known ones', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'template', with: { format: '{lin}' } })), [
        { path: '/nodes/start/with/format', message: 'unknown placeholder "{lin}" (known: {line}, {tag}, {n}, {file}; write "{{" for a literal brace)' },
      ]);
    });

    it('{count} belongs to number only', async () => {
      assert.deepEqual((await issuesOf(single({ use: 'template', with: { format: '{count}' } }))).map((i) => i.path), ['/nodes/start/with/format']);
      await compilePipelineObject(single({ use: 'number', with: { format: '{count} {line} {tag} {n} {file}' } }), 'p.json');
    });

    it('a number format is checked too', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'number', with: { format: '{x}' } })), [
        { path: '/nodes/start/with/format', message: 'unknown placeholder "{x}" (known: {count}, {line}, {tag}, {n}, {file}; write "{{" for a literal brace)' },
      ]);
    });

    it('unbalanced braces are reported', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'template', with: { format: 'a {line' } })), [
        { path: '/nodes/start/with/format', message: 'unclosed "{" at position 2 (write "{{" for a literal brace)' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'template', with: { format: 'a}' } })), [
        { path: '/nodes/start/with/format', message: 'unmatched "}" at position 1 (write "}}" for a literal brace)' },
      ]);
    });
  });

  describe('tags and nodes', () => {
    it('a missing start node is reported', async () => {
      assert.deepEqual(await issuesOf({ nodes: { begin: { use: 'trim' } } }), [
        { path: '/start', message: 'the start node "start" does not exist (nodes: begin)' },
      ]);
      assert.deepEqual(await issuesOf({ pipelines: { p: { start: 'entri', nodes: { entry: { use: 'trim' } } } } }), [
        { path: '/pipelines/p/start', message: 'the start node "entri" does not exist (did you mean "entry"?) (nodes: entry)' },
      ]);
    });

    it('a `then` tag with no node is reported', async () => {
      assert.deepEqual(await issuesOf({ nodes: { start: { use: 'trim', then: 'nxt' }, next: { use: 'trim' } } }), [
        { path: '/nodes/start/then', message: `node "start" sends its lines to tag "nxt", but there is no node "nxt" (did you mean "next"?) ${NO_NODE_HINT}` },
      ]);
    });

    it('route rule tags and default with no node are reported', async () => {
      const issues = await issuesOf(single({ use: 'route', with: { rules: [{ pattern: 'a', tag: 'x' }], default: 'y' } }));
      assert.deepEqual(issues, [
        { path: '/nodes/start/with/rules/0/tag', message: `node "start" (route) can emit tag "x", but there is no node "x" ${NO_NODE_HINT}` },
        { path: '/nodes/start/with/default', message: `node "start" (route) can emit tag "y", but there is no node "y" ${NO_NODE_HINT}` },
      ]);
    });

    it('tagByLevel\'s tags are reported when their nodes are missing', async () => {
      const issues = await issuesOf({ nodes: { start: { use: 'tagByLevel' }, warn: { use: 'drop' } } });
      assert.deepEqual(
        issues.map((i) => i.path),
        // The level tags are built in, so they are reported at the node itself.
        Array(5).fill('/nodes/start'),
      );
      const tags = issues.map((i) => /can emit tag "(\w+)"/.exec(i.message)?.[1]);
      assert.deepEqual(tags, ['debug', 'info', 'error', 'critical', 'other']);
    });

    it('tagByLevel\'s default tag is checked', async () => {
      const nodes = Object.fromEntries(['debug', 'info', 'warn', 'error', 'critical'].map((t) => [t, { use: 'drop' }]));
      const issues = await issuesOf({ nodes: { start: { use: 'tagByLevel', with: { default: 'misc' } }, ...nodes } });
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, '/nodes/start/with/default');
      assert.match(issues[0].message, /can emit tag "misc"/);
    });

    it('setting `unmatched` lifts all of these', async () => {
      const pipeline = {
        unmatched: 'end',
        nodes: {
          start: { use: 'tagByLevel' },
          error: { use: 'route', with: { rules: [{ pattern: 'a', tag: 'x' }], default: 'y' } },
          warn: { use: 'trim', then: 'nowhere' },
        },
      };
      const config = await compilePipelineObject(pipeline, 'p.json');
      assert.equal(config.pipelines.get('default')?.unmatched, 'end');
    });

    it('`unmatched` must itself name a node or end', async () => {
      assert.deepEqual(await issuesOf({ unmatched: 'lost', nodes: { start: { use: 'trim' }, last: { use: 'drop' } } }), [
        { path: '/unmatched', message: 'no node named "lost" (did you mean "last"?); "unmatched" must name a node or "end"' },
      ]);
    });

    it('`then` on a routing or drop node is reported', async () => {
      assert.deepEqual(await issuesOf(single({ use: 'route', with: { rules: [], default: 'end' }, then: 'end' })), [
        { path: '/nodes/start/then', message: '"then" has no effect: route chooses the tag of each line itself' },
      ]);
      assert.deepEqual(await issuesOf({ unmatched: 'end', nodes: { start: { use: 'tagByLevel', then: 'end' } } }), [
        { path: '/nodes/start/then', message: '"then" has no effect: tagByLevel chooses the tag of each line itself' },
      ]);
      assert.deepEqual(await issuesOf(single({ use: 'drop', then: 'end' })), [
        { path: '/nodes/start/then', message: '"then" has no effect: drop discards its lines' },
      ]);
    });

    it('a node named "end" is reported', async () => {
      assert.deepEqual(await issuesOf({ nodes: { start: { use: 'trim', then: 'end' }, end: { use: 'trim' } } }), [
        { path: '/nodes/end', message: '"end" is the terminal tag (lines that reach it are written to the result) and cannot be a node' },
      ]);
    });

    it('node names with "/" and "~" are escaped in JSON paths', async () => {
      const issues = await issuesOf({ nodes: { start: { use: 'trim', then: 'a/b' }, 'a/b': { use: 'trim', then: 'c~d' } } });
      assert.deepEqual(issues.map((i) => i.path), ['/nodes/a~1b/then']);
    });
  });

  describe('pipelines and routes', () => {
    const p = { nodes: { start: { use: 'trim' } } };

    it('several pipelines without routes is an error', async () => {
      assert.deepEqual(await issuesOf({ pipelines: { a: p, b: p } }), [
        { path: '/routes', message: 'there are 2 pipelines but no "routes" to choose between them' },
      ]);
    });

    it('a route to an unknown pipeline is reported with a suggestion', async () => {
      assert.deepEqual(await issuesOf({ routes: [{ pipeline: 'logs' }, { pipeline: 'log' }], pipelines: { logs: p } }), [
        { path: '/routes/1/pipeline', message: 'no pipeline named "log" (did you mean "logs"?)' },
      ]);
    });

    it('a route needs a pipeline and takes no unknown keys', async () => {
      const issues = await issuesOf({ routes: [{ match: '*.log' }, { pipeline: 'a', glob: '*' }], pipelines: { a: p } });
      assert.deepEqual(issues, [
        { path: '/routes/0', message: 'missing required property "pipeline"' },
        { path: '/routes/1/glob', message: 'unknown property "glob" (known: match, firstLine, encoding, pipeline, description)' },
      ]);
    });

    it('one pipeline needs no routes; routes that only use some pipelines are fine', async () => {
      assert.equal((await compilePipelineObject({ pipelines: { only: p } }, 'p.json')).routes.length, 0);
      const config = await compilePipelineObject({ routes: [{ match: '*.csv', pipeline: 'a' }], pipelines: { a: p, b: p } }, 'p.json');
      assert.equal(config.routes.length, 1);
      assert.equal(config.needsFirstLine, false);
    });

    it('a firstLine route makes the choice wait for the first line', async () => {
      const config = await compilePipelineObject({ routes: [{ firstLine: '^#', pipeline: 'a' }], pipelines: { a: p } }, 'p.json');
      assert.equal(config.needsFirstLine, true);
    });
  });

  describe('reporting everything at once', () => {
    it('lists every schema problem of the file together', async () => {
      const issues = await issuesOf({
        version: 2,
        extra: true,
        nodes: {
          start: { use: 'trimm' },
          a: { use: 'join', with: { size: '2', sep: ',' } },
          b: { use: 'replace', with: {} },
        },
      });
      assert.deepEqual(
        issues.map((i) => i.path).sort(),
        ['/extra', '/nodes/a/with/sep', '/nodes/a/with/size', '/nodes/b/with', '/nodes/start/use', '/version'].sort(),
      );
    });

    it('lists every semantic problem together, across pipelines and routes', async () => {
      const issues = await issuesOf({
        routes: [{ pipeline: 'nope' }, { firstLine: '(', pipeline: 'a' }],
        pipelines: {
          a: {
            start: 'missing',
            nodes: {
              f: { use: 'filter', with: { pattern: '(' }, then: 'ghost' },
              t: { use: 'template', with: { format: '{x}' } },
              end: { use: 'trim' },
            },
          },
          b: { nodes: { start: { use: 'drop', then: 'end' } } },
        },
      });
      assert.deepEqual(
        issues.map((i) => i.path),
        [
          '/pipelines/a/start',
          '/pipelines/a/nodes/f/with/pattern',
          '/pipelines/a/nodes/f/then',
          '/pipelines/a/nodes/t/with/format',
          '/pipelines/a/nodes/end',
          '/pipelines/b/nodes/start/then',
          '/routes/0/pipeline',
          '/routes/1/firstLine',
        ],
      );
    });
  });

  describe('the built-in default', () => {
    const tempDir = useTempDirs('fileflow-default-');
    const template = { use: 'template', with: { format: '{file}:{n}: {line}' } };
    // docs/pipelines.md: with no pipeline file, the built-in default is exactly this `logs` pipeline.
    const specLogs = {
      start: 'start',
      maxHops: 64,
      nodes: {
        start: { use: 'tagByLevel' },
        debug: { use: 'drop' },
        info: { use: 'drop' },
        other: { use: 'drop' },
        warn: template,
        error: template,
        critical: template,
      },
    };

    it('is the documented logs pipeline, as written there', async () => {
      assert.deepEqual(DEFAULT_PIPELINE_FILE_CONTENT, { version: 1, pipelines: { logs: specLogs } });
      const config = await loadDefaultConfig();
      assert.equal(config.source, DEFAULT_CONFIG_SOURCE);
      assert.deepEqual([...config.pipelines.keys()], ['logs']);
      assert.deepEqual(config.routes, []);
      assert.equal(config.usesCustomModules, false);
      const logs = config.pipelines.get('logs');
      assert.equal(logs?.start, 'start');
      assert.equal(logs?.maxHops, 64);
      assert.deepEqual(
        logs?.nodes.map((n) => [n.name, n.use]),
        [
          ['start', 'tagByLevel'],
          ['debug', 'drop'],
          ['info', 'drop'],
          ['other', 'drop'],
          ['warn', 'template'],
          ['error', 'template'],
          ['critical', 'template'],
        ],
      );
    });

    it('behaves like the documented logs pipeline: warnings and worse, with file and line number', async () => {
      const text = [
        '2026-11-30 10:00:00 [DEBUG] Auth: a',
        '2026-11-30 10:00:01 [INFO] Auth: b',
        '2026-11-30 10:00:02 [WARNING] Db: c',
        'no level here',
        '2026-11-30 10:00:03|ERROR|Api|d',
        '2026-11-30 10:00:04 [CRITICAL] Api: e',
        'TRACE f',
        'NOTICE g',
        'FATAL h',
      ].join('\n');
      const dir = await tempDir();
      const fromDefault = await runConfig(await loadDefaultConfig(), dir, text, { name: 'app.log' });
      const fromSpec = await runConfig(await compilePipelineObject({ version: 1, pipelines: { logs: specLogs } }, 'spec.json'), dir, text, {
        name: 'app.log',
      });
      const expected = [
        'app.log:3: 2026-11-30 10:00:02 [WARNING] Db: c',
        'app.log:5: 2026-11-30 10:00:03|ERROR|Api|d',
        'app.log:6: 2026-11-30 10:00:04 [CRITICAL] Api: e',
        'app.log:9: FATAL h',
      ];
      assert.deepEqual(fromDefault.lines, expected);
      assert.deepEqual(fromSpec.lines, expected);
      assert.equal(fromDefault.summary.pipeline, 'logs');
      assert.deepEqual(fromDefault.summary.tags, { start: 9, debug: 2, info: 2, other: 1, warn: 1, error: 1, critical: 2, end: 4 });
    });
  });
});
