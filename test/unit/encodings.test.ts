// Compressed and non-UTF-8 input (docs/pipelines.md "Text"): gzip input decompressed as it
// streams, the `encoding` of a pipeline or a route, byte-order marks, `invalidLines` and the
// one warning per file. Every test with bytes runs both the streamed and the whole-file path
// (see support/harness.ts).

import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { compilePipelineObject } from '../../src/core/config/pipelineConfig';
import type { Logger } from '../../src/core/logger';
import type { EncodingChoice } from '../../src/core/text/decode';
import { LineSplitter } from '../../src/core/text/lineSplitter';
import { runConfig, runPipeline, useTempDirs, type RunOptions, type RunResult } from './support/harness';

// Lines pass as they are.
const PLAIN = { nodes: { start: { use: 'template', with: { format: '{line}' } } } };
const LATIN1 = { encoding: 'latin1', ...PLAIN };

/** A logger that keeps what is logged at warn and above. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const none = (): void => undefined;
  return { level: 'info', trace: none, debug: none, info: none, warn: (m: string) => warnings.push(m), error: none, warnings };
}

/** UTF-16 big-endian bytes of `text` (Node has no such encoding). */
function utf16be(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf16le');
  bytes.swap16();
  return bytes;
}

interface Split {
  lines: string[];
  invalidLines: number;
  crlf: boolean;
}

/** Feeds `bytes` in chunks of `size` through a LineSplitter, copying each into one reused buffer. */
function split(bytes: Buffer, size: number, encoding: ConstructorParameters<typeof LineSplitter>[2] = 'utf8', pauseEvery = 0): Split {
  const lines: string[] = [];
  let splitter: LineSplitter | undefined = undefined;
  splitter = new LineSplitter(
    (line) => {
      lines.push(line);
      if (pauseEvery > 0 && lines.length % pauseEvery === 0) splitter?.pause();
    },
    1024 * 1024,
    encoding,
  );
  const settle = (done: boolean): void => {
    for (let rounds = 0; !done; rounds++) {
      assert.ok(rounds < 1_000_000, 'resume() ends');
      done = splitter.resume();
    }
  };
  const scratch = Buffer.alloc(Math.min(size, Math.max(bytes.length, 1)));
  for (let at = 0; at < bytes.length; at += scratch.length) {
    const length = bytes.copy(scratch, 0, at, Math.min(at + scratch.length, bytes.length));
    settle(splitter.push(scratch.subarray(0, length)));
    scratch.fill(0x7e); // anything kept from the chunk must have been copied
  }
  settle(splitter.end());
  return { lines, invalidLines: splitter.invalidLines, crlf: splitter.crlf };
}

const CHUNK_SIZES = [1, 2, 3, 5, 7, Infinity];

/** Every chunk size, with and without pauses, gives `expected`. */
function expectSplit(bytes: Buffer, expected: string[], encoding?: ConstructorParameters<typeof LineSplitter>[2], invalidLines = 0): Split {
  let last: Split | undefined;
  for (const size of CHUNK_SIZES) {
    for (const pauseEvery of [0, 1, 2]) {
      const result = split(bytes, size, encoding, pauseEvery);
      assert.deepEqual(result.lines, expected, `chunk size ${size}, pausing every ${pauseEvery}`);
      assert.equal(result.invalidLines, invalidLines, `chunk size ${size}, pausing every ${pauseEvery}: invalidLines`);
      last = result;
    }
  }
  return last as Split;
}

describe('compressed and non-UTF-8 input', () => {
  const tempDir = useTempDirs('fileflow-encodings-');

  async function run(pipeline: unknown, bytes: Buffer, options: RunOptions = {}): Promise<RunResult> {
    return runPipeline(pipeline, await tempDir(), bytes, options);
  }

  async function processed(pipeline: unknown, bytes: Buffer, options: RunOptions = {}): Promise<RunResult> {
    const result = await run(pipeline, bytes, options);
    assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
    return result;
  }

  describe('gzip', () => {
    const log = '2026-11-30 10:00:00 [INFO] Api: started\n2026-11-30 10:00:01 [ERROR] Db: down\n2026-11-30 10:00:02 [WARN] Api: slow\n';

    it('a file that starts with the gzip magic is decompressed, whatever its name; bytesIn counts the compressed bytes', async () => {
      const compressed = gzipSync(log);
      for (const name of ['app.log.gz', 'app.log']) {
        const plain = await processed(PLAIN, Buffer.from(log), { name });
        const result = await processed(PLAIN, compressed, { name });
        assert.equal(result.output, plain.output, name);
        assert.equal(result.summary.linesIn, 3);
        assert.equal(result.summary.bytesIn, compressed.length);
        assert.equal(result.summary.invalidLines, 0);
      }
    });

    it('the built-in default pipeline triages a gzip log (it is no longer "binary")', async () => {
      const dir = await tempDir();
      const { loadDefaultConfig } = await import('../../src/core/config/pipelineConfig');
      const result = await runConfig(await loadDefaultConfig(), dir, gzipSync(log), { name: 'app.log.gz' });
      assert.equal(result.summary.status, 'processed', JSON.stringify(result.summary.error));
      assert.deepEqual(result.lines, ['app.log.gz:2: 2026-11-30 10:00:01 [ERROR] Db: down', 'app.log.gz:3: 2026-11-30 10:00:02 [WARN] Api: slow']);
    });

    it('several gzip members one after another are one text', async () => {
      const result = await processed(PLAIN, Buffer.concat([gzipSync('a\nb'), gzipSync('c\n')]));
      assert.deepEqual(result.lines, ['a', 'bc']);
    });

    it('a large input decompresses as it streams (many chunks, lines across them)', async () => {
      const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
      const result = await processed(PLAIN, gzipSync(lines.join('\n') + '\n'));
      assert.equal(result.summary.linesIn, lines.length);
      assert.deepEqual(result.lines, lines);
    });

    it('a truncated gzip fails the file with EDECODE and leaves no result', async () => {
      const compressed = gzipSync(log.repeat(50));
      const result = await run(PLAIN, compressed.subarray(0, compressed.length - 10));
      assert.equal(result.summary.status, 'failed');
      assert.equal(result.summary.error?.code, 'EDECODE');
      assert.match(result.summary.error?.message ?? '', /^gzip input is corrupt or truncated after \d+ decompressed bytes: unexpected end of file$/);
      assert.equal(result.resultExists, false);
    });

    it('corrupt compressed data fails the file with EDECODE', async () => {
      const compressed = Buffer.from(gzipSync(log.repeat(50)));
      compressed.fill(0x55, 20, 40);
      const result = await run(PLAIN, compressed);
      assert.equal(result.summary.error?.code, 'EDECODE');
      assert.match(result.summary.error?.message ?? '', /^gzip input is corrupt or truncated/);
    });

    it('maxLineBytes and the binary sniff apply to the decompressed text', async () => {
      const long = await run(PLAIN, gzipSync('short\n' + 'x'.repeat(5000) + '\n'), { maxLineBytes: 1000 });
      assert.equal(long.summary.error?.code, 'ELINETOOLONG');
      assert.equal(long.summary.error?.line, 2);
      const binary = await run(PLAIN, gzipSync(Buffer.from([0x41, 0x00, 0x42, 0x0a])));
      assert.equal(binary.summary.error?.code, 'EBINARY');
      assert.match(binary.summary.error?.message ?? '', /NUL byte at offset 1/);
    });

    it('a compressed UTF-16 file with a byte-order mark is read as UTF-16', async () => {
      const result = await processed(PLAIN, gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('é\nü\n', 'utf16le')])));
      assert.deepEqual(result.lines, ['é', 'ü']);
    });
  });

  describe('the encoding option', () => {
    const latin1 = Buffer.from('caf\xe9 cr\xe8me\nna\xefve\n', 'latin1');

    it('"latin1" reads every byte as one character', async () => {
      const result = await processed(LATIN1, latin1);
      assert.deepEqual(result.lines, ['café crème', 'naïve']);
      assert.equal(result.summary.invalidLines, 0);
    });

    it('without it, Latin-1 text read as UTF-8 is counted in invalidLines and warned about once', async () => {
      const logger = recordingLogger();
      const result = await processed(PLAIN, Buffer.concat([latin1, Buffer.from('plain\n\xff\n', 'latin1')]), { logger, name: 'old.txt' });
      assert.deepEqual(result.lines, ['caf\uFFFD cr\uFFFDme', 'na\uFFFDve', 'plain', '\uFFFD']);
      assert.equal(result.summary.invalidLines, 3);
      assert.equal(result.written.invalidLines, 3);
      // Once per file: the harness processed it twice (streamed and whole).
      assert.deepEqual(logger.warnings, [
        'old.txt: 3 line(s) held bytes that are not valid UTF-8, replaced with U+FFFD (the first on line 1); if the file is not UTF-8, set "encoding" (e.g. "latin1") in its pipeline or route',
        'old.txt: 3 line(s) held bytes that are not valid UTF-8, replaced with U+FFFD (the first on line 1); if the file is not UTF-8, set "encoding" (e.g. "latin1") in its pipeline or route',
      ]);
    });

    it('invalidLines is 0 and nothing is warned for valid text', async () => {
      const logger = recordingLogger();
      const result = await processed(PLAIN, Buffer.from('ok\n'), { logger });
      assert.equal(result.summary.invalidLines, 0);
      assert.deepEqual(logger.warnings, []);
    });

    it('a U+FFFD that is in the text is no invalid byte', async () => {
      const result = await processed(PLAIN, Buffer.from('a\uFFFDb\n\uFFFD\xff\n', 'utf8'));
      assert.equal(result.summary.invalidLines, 0);
      const mixed = await processed(PLAIN, Buffer.concat([Buffer.from('\uFFFD'), Buffer.from([0xff]), Buffer.from('\n')]));
      assert.equal(mixed.summary.invalidLines, 1);
    });

    it('a failed file\'s summary has invalidLines too', async () => {
      const result = await run(PLAIN, Buffer.from([0xff, 0x0a, 0x41, 0x00, 0x0a]));
      assert.equal(result.summary.status, 'failed');
      assert.equal(result.summary.invalidLines, 0);
      const later = await run(PLAIN, Buffer.from('\xff\n' + 'x'.repeat(2000) + '\n', 'latin1'), { maxLineBytes: 1000 });
      assert.equal(later.summary.error?.code, 'ELINETOOLONG');
      assert.equal(later.summary.invalidLines, 1);
      assert.equal(later.written.invalidLines, 1);
    });

    it('"utf16le" reads UTF-16 without a byte-order mark (its NUL bytes are no binary)', async () => {
      const result = await processed({ encoding: 'utf16le', nodes: { start: { use: 'trim' } } }, Buffer.from('héllo\r\nwörld 😀\r\n', 'utf16le'));
      assert.deepEqual(result.lines, ['héllo', 'wörld 😀']);
      assert.equal(result.output, 'héllo\r\nwörld 😀\r\n', 'the result is UTF-8, with the input\'s line ends');
    });

    it('a route\'s encoding wins over its pipeline\'s', async () => {
      const config = {
        routes: [{ match: '*.latin1', encoding: 'latin1', pipeline: 'p' }, { pipeline: 'p' }],
        pipelines: { p: { nodes: { start: { use: 'trim' } } } },
      };
      assert.deepEqual((await processed(config, latin1, { name: 'a/x.latin1' })).lines, ['café crème', 'naïve']);
      assert.equal((await processed(config, latin1, { name: 'x.txt' })).summary.invalidLines, 2);
    });

    it('a route\'s firstLine is tested on the first line read in that route\'s encoding', async () => {
      const config = {
        routes: [
          { firstLine: '^é', pipeline: 'utf' },
          { firstLine: '^é', encoding: 'latin1', pipeline: 'latin' },
          { pipeline: 'other' },
        ],
        pipelines: {
          utf: { nodes: { start: { use: 'template', with: { format: 'utf:{line}' } } } },
          latin: { nodes: { start: { use: 'template', with: { format: 'latin:{line}' } } } },
          other: { nodes: { start: { use: 'template', with: { format: 'other:{line}' } } } },
        },
      };
      const asLatin1 = await processed(config, Buffer.from('\xe9t\xe9\nb\n', 'latin1'));
      assert.equal(asLatin1.summary.pipeline, 'latin');
      assert.deepEqual(asLatin1.lines, ['latin:été', 'latin:b']);
      const asUtf8 = await processed(config, Buffer.from('été\nb\n', 'utf8'));
      assert.equal(asUtf8.summary.pipeline, 'utf');
      assert.deepEqual(asUtf8.lines, ['utf:été', 'utf:b']);
      const neither = await processed(config, Buffer.from('x\n'));
      assert.equal(neither.summary.pipeline, 'other');
      const empty = await processed(config, Buffer.alloc(0));
      assert.equal(empty.summary.pipeline, 'other');
    });

    it('an unknown encoding is a configuration error at its path', async () => {
      const { configIssues } = await import('./support/harness');
      const issues = await configIssues(
        compilePipelineObject({ routes: [{ encoding: 'utf-8', pipeline: 'p' }], pipelines: { p: { encoding: 'ascii', nodes: { start: { use: 'trim' } } } } }, 'p.json'),
      );
      assert.deepEqual(issues, [
        { path: '/routes/0/encoding', message: 'must be one of "utf8", "latin1", "utf16le" (did you mean "utf8"?)' },
        { path: '/pipelines/p/encoding', message: 'must be one of "utf8", "latin1", "utf16le"' },
      ]);
    });
  });

  describe('byte-order marks', () => {
    it('a UTF-16LE or UTF-16BE byte-order mark selects UTF-16 by itself; such a file is text, not binary', async () => {
      const text = 'first line\nsecond 😀 line\n';
      const le = await processed(PLAIN, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
      const be = await processed(PLAIN, Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]));
      assert.deepEqual(le.lines, ['first line', 'second 😀 line']);
      assert.deepEqual(be.lines, le.lines);
      assert.equal(le.summary.bytesIn, 2 + Buffer.byteLength(text, 'utf16le'));
    });

    it('a byte-order mark wins over the encoding option', async () => {
      assert.deepEqual((await processed(LATIN1, Buffer.from('\uFEFFcafé\n', 'utf8'))).lines, ['café']);
      assert.deepEqual((await processed(LATIN1, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('é\n', 'utf16le')]))).lines, ['é']);
    });

    it('a NUL character in UTF-16 is binary', async () => {
      const result = await run(PLAIN, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ab\u0000c\n', 'utf16le')]));
      assert.equal(result.summary.error?.code, 'EBINARY');
      assert.match(result.summary.error?.message ?? '', /NUL character at offset 6/);
    });

    it('the first line of a UTF-16 file feeds routes\' firstLine', async () => {
      const config = { routes: [{ firstLine: '^\\{', pipeline: 'j' }, { pipeline: 'o' }], pipelines: { j: PLAIN, o: PLAIN } };
      const result = await processed(config, Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('{"a":1}\r\n')]));
      assert.equal(result.summary.pipeline, 'j');
    });
  });

  describe('the line splitter, in every chunking and with pauses', () => {
    it('UTF-16 with surrogate pairs and CRLF cut anywhere', () => {
      const text = 'a😀b\r\n\r\n漢字 😀😀\nlast';
      const expected = ['a😀b', '', '漢字 😀😀', 'last'];
      const le = expectSplit(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), expected);
      assert.equal(le.crlf, true);
      expectSplit(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), expected);
      expectSplit(Buffer.from(text, 'utf16le'), expected, 'utf16le');
    });

    it('a newline byte inside a UTF-16 character is no line end', () => {
      // U+0A0A is 0A 0A in either byte order.
      expectSplit(Buffer.from('x\u0A0Ay\nz\n', 'utf16le'), ['x\u0A0Ay', 'z'], 'utf16le');
    });

    it('lone surrogates and an odd last byte in UTF-16 are invalid: U+FFFD, counted per line', () => {
      const lone = Buffer.concat([Buffer.from('a', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('b\nok\n', 'utf16le'), Buffer.from([0x00, 0xdc]), Buffer.from('\n', 'utf16le')]);
      expectSplit(lone, ['a\uFFFDb', 'ok', '\uFFFD'], 'utf16le', 2);
      expectSplit(Buffer.concat([Buffer.from('ab\nc', 'utf16le'), Buffer.from([0x41])]), ['ab', 'c\uFFFD'], 'utf16le', 1);
    });

    it('Latin-1 in every chunking', () => {
      expectSplit(Buffer.from('\xe9\xe8\r\n\xff\n\n\xe0', 'latin1'), ['éè', 'ÿ', '', 'à'], 'latin1');
    });

    it('invalid UTF-8 is counted per line, also when a line spans chunks', () => {
      const bytes = Buffer.concat([Buffer.from('ok\nbad '), Buffer.from([0xc3]), Buffer.from(' twice '), Buffer.from([0xff]), Buffer.from('\n\uFFFD real\nend '), Buffer.from([0xe2, 0x82])]);
      expectSplit(bytes, ['ok', 'bad \uFFFD twice \uFFFD', '\uFFFD real', 'end \uFFFD'], 'utf8', 2);
    });

    it('pausing never changes the lines', () => {
      const text = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
      expectSplit(Buffer.from(text), text.split('\n'));
    });

    it('an encoding choice is made on the first line, read in each candidate', () => {
      const seen: (string | undefined)[] = [];
      const choice: EncodingChoice = {
        candidates: ['utf8', 'latin1', 'utf16le'],
        choose(firstLine) {
          seen.length = 0;
          seen.push(firstLine('utf8'), firstLine('latin1'));
          return 'latin1';
        },
      };
      expectSplit(Buffer.from('\xe9a\r\nb\n', 'latin1'), ['éa', 'b'], choice);
      assert.deepEqual(seen, ['\uFFFDa', 'éa']);
    });
  });
});
