// docs/pipelines.md, "Text": the line splitter, fed in chunks of many sizes (chunking must
// never change the result), and the end-of-line style of the result file.

import assert from 'node:assert/strict';
import { FileProcessingError } from '../../src/core/errors';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/core/defaults';
import { BINARY_SNIFF_BYTES, LineSplitter } from '../../src/core/text/lineSplitter';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { compilePipelineObject } from '../../src/core/config/pipelineConfig';
import { processFile } from '../../src/core/processFile';
import { assertFailedWith, runPipeline, useTempDirs } from './support/harness';

const CHUNK_SIZES = [1, 2, 3, 7, Infinity];

interface Split {
  lines: string[];
  numbers: number[];
  crlf: boolean;
  linesIn: number;
  bytesIn: number;
}

/**
 * Feeds `input` in chunks of `size` bytes, each copied into one scratch buffer that is
 * overwritten by the next chunk (as processFile's read loop does).
 */
function split(input: Buffer | string, size: number, maxLineBytes?: number): Split {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const lines: string[] = [];
  const numbers: number[] = [];
  const splitter = new LineSplitter((line, n) => {
    lines.push(line);
    numbers.push(n);
  }, maxLineBytes);
  const scratch = Buffer.alloc(Math.min(size, Math.max(bytes.length, 1)));
  for (let at = 0; at < bytes.length; at += scratch.length) {
    const length = bytes.copy(scratch, 0, at, Math.min(at + scratch.length, bytes.length));
    splitter.push(scratch.subarray(0, length));
    scratch.fill(0x7e); // anything kept from the chunk must have been copied
  }
  splitter.end();
  return { lines, numbers, crlf: splitter.crlf, linesIn: splitter.linesIn, bytesIn: splitter.bytesIn };
}

/** Asserts that every chunk size gives `expected` lines (numbered 1…) and returns the split. */
function expectLines(input: Buffer | string, expected: string[], maxLineBytes?: number): Split {
  let last: Split | undefined;
  for (const size of CHUNK_SIZES) {
    const result = split(input, size, maxLineBytes);
    assert.deepEqual(result.lines, expected, `chunk size ${size}`);
    assert.deepEqual(
      result.numbers,
      expected.map((_, i) => i + 1),
      `chunk size ${size}`,
    );
    assert.equal(result.linesIn, expected.length);
    if (last) assert.equal(result.crlf, last.crlf, `chunk size ${size}: crlf`);
    last = result;
  }
  return last as Split;
}

/** Asserts that every chunk size fails with `code`, `message` and `line`. */
function expectFailure(input: Buffer | string, code: string, message: string | RegExp, maxLineBytes?: number, line?: number): void {
  for (const size of CHUNK_SIZES) {
    assert.throws(
      () => split(input, size, maxLineBytes),
      (error: unknown) => {
        assert.ok(error instanceof FileProcessingError, `chunk size ${size}: ${String(error)}`);
        assert.equal(error.code, code, `chunk size ${size}`);
        if (typeof message === 'string') assert.equal(error.message, message, `chunk size ${size}`);
        else assert.match(error.message, message, `chunk size ${size}`);
        assert.equal(error.line, line, `chunk size ${size}: line`);
        return true;
      },
    );
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('line splitter (text handling)', () => {
  describe('splitting', () => {
    it('splits on \\n and numbers lines from 1', () => {
      expectLines('a\nb\nc\n', ['a', 'b', 'c']);
    });

    it('keeps empty lines', () => {
      expectLines('a\n\nb\n\n', ['a', '', 'b', '']);
      expectLines('\n', ['']);
      expectLines('\n\n\n', ['', '', '']);
    });

    it('removes one trailing \\r from each line, and only one', () => {
      expectLines('a\r\nb\r\r\n\r\n', ['a', 'b\r', '']);
    });

    it('keeps a \\r that does not end the line', () => {
      expectLines('a\rb\n\rc\n', ['a\rb', '\rc']);
    });

    it('keeps the final line without \\n when it is not empty (and strips its \\r)', () => {
      expectLines('a\nb', ['a', 'b']);
      expectLines('a\nb\r', ['a', 'b']);
      expectLines('only', ['only']);
    });

    it('has no extra line after a final \\n', () => {
      expectLines('a\n', ['a']);
    });

    it('an empty file has no lines', () => {
      const result = expectLines('', []);
      assert.equal(result.bytesIn, 0);
    });

    it('splits lines spread over many chunks', () => {
      const long = 'x'.repeat(1000) + 'y'.repeat(777);
      expectLines(`${long}\nshort\n${long}`, [long, 'short', long]);
    });

    it('counts every input byte in bytesIn', () => {
      const text = 'héllo\r\nwörld';
      const result = expectLines(text, ['héllo', 'wörld']);
      assert.equal(result.bytesIn, Buffer.byteLength(text));
    });
  });

  describe('byte-order mark', () => {
    it('drops a UTF-8 BOM at the start, whatever the chunk boundaries (sizes 1 and 2 split it)', () => {
      const result = expectLines(Buffer.concat([BOM, Buffer.from('a\nb\n')]), ['a', 'b']);
      assert.equal(result.bytesIn, 7, 'bytesIn still counts the BOM');
    });

    it('a file holding only a BOM has no lines', () => {
      expectLines(BOM, []);
      expectLines(Buffer.concat([BOM, Buffer.from('\n')]), ['']);
    });

    it('drops it before a short final line', () => {
      expectLines(Buffer.concat([BOM, Buffer.from('x')]), ['x']);
    });

    it('keeps U+FEFF anywhere but the start', () => {
      expectLines(Buffer.concat([Buffer.from('a\n'), BOM, Buffer.from('b\n')]), ['a', '\uFEFFb']);
    });

    it('drops only one BOM', () => {
      expectLines(Buffer.concat([BOM, BOM, Buffer.from('a')]), ['\uFEFFa']);
    });

    it('files shorter than a BOM are still read', () => {
      expectLines('a', ['a']);
      expectLines('ab', ['ab']);
      expectLines('a\n', ['a']);
    });

    it('a BOM-like prefix that is not a BOM is decoded as text', () => {
      expectLines(Buffer.from([0xef, 0xbb, 0x78, 0x0a]), ['\uFFFDx']);
    });
  });

  describe('UTF-8', () => {
    it('turns invalid UTF-8 into U+FFFD', () => {
      expectLines(Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xc3, 0x28, 0x0a]), ['a\uFFFDb', '\uFFFD(']);
    });

    it('a truncated sequence before \\n does not swallow the newline', () => {
      expectLines(Buffer.from([0xe2, 0x82, 0x0a, 0x61, 0x0a]), ['\uFFFD', 'a']);
    });

    it('a truncated sequence at the end of the file becomes U+FFFD', () => {
      expectLines(Buffer.from([0x61, 0xe2, 0x82]), ['a\uFFFD']);
    });

    it('multi-byte characters split across chunk boundaries are decoded whole', () => {
      expectLines('héllo wörld €100 😀 日本語\n€€€\n😀', ['héllo wörld €100 😀 日本語', '€€€', '😀']);
    });
  });

  describe('maxLineBytes', () => {
    it('defaults to 1 MiB', () => {
      assert.equal(DEFAULT_MAX_LINE_BYTES, 1024 * 1024);
      const exact = 'x'.repeat(DEFAULT_MAX_LINE_BYTES);
      const ok = split(`${exact}\n`, 64 * 1024);
      assert.equal(ok.lines[0].length, DEFAULT_MAX_LINE_BYTES);
      assert.throws(() => split(`${exact}x\n`, 64 * 1024), /line 1 is longer than maxLineBytes \(1048576 bytes\)/);
    });

    it('accepts a line of exactly maxLineBytes bytes, \\r not counted', () => {
      expectLines('12345\n12345\r\nabc\n12345', ['12345', '12345', 'abc', '12345'], 5);
    });

    it('fails a longer line, inside a chunk or across chunks, naming the line', () => {
      expectFailure('ok\n123456\nok\n', 'ELINETOOLONG', 'line 2 is longer than maxLineBytes (5 bytes)', 5, 2);
    });

    it('fails a too-long final line without \\n', () => {
      expectFailure('ok\nok\n123456', 'ELINETOOLONG', 'line 3 is longer than maxLineBytes (5 bytes)', 5, 3);
    });

    it('fails a line with one \\r too many', () => {
      expectFailure('12345\r\r\n', 'ELINETOOLONG', 'line 1 is longer than maxLineBytes (5 bytes)', 5, 1);
    });

    it('counts bytes, not characters', () => {
      expectLines('éé\n€\n', ['éé', '€'], 4);
      expectFailure('€€\n', 'ELINETOOLONG', 'line 1 is longer than maxLineBytes (4 bytes)', 4, 1);
      expectFailure('😀x\n', 'ELINETOOLONG', 'line 1 is longer than maxLineBytes (4 bytes)', 4, 1);
    });

    it('fails as soon as an unfinished line is too long, without waiting for its end', () => {
      const splitter = new LineSplitter(() => undefined, 5);
      let fed = 0;
      assert.throws(() => {
        for (; fed < 1000; fed++) splitter.push(Buffer.from('a'));
      }, FileProcessingError);
      assert.ok(fed < 10, `threw only after ${fed} bytes`);
    });
  });

  describe('binary input', () => {
    it('a NUL byte at the very start is binary', () => {
      expectFailure(Buffer.from([0x00, 0x61, 0x0a]), 'EBINARY', 'binary file: NUL byte at offset 0 (only text files are processed)');
    });

    it('reports the offset of the NUL whatever the chunking', () => {
      expectFailure(Buffer.from('line one\nli\0ne two\n'), 'EBINARY', 'binary file: NUL byte at offset 11 (only text files are processed)');
    });

    it('a NUL in the last byte of the first 8 KiB is binary', () => {
      assert.equal(BINARY_SNIFF_BYTES, 8192);
      const bytes = Buffer.alloc(BINARY_SNIFF_BYTES, 0x61);
      bytes[100] = 0x0a;
      bytes[BINARY_SNIFF_BYTES - 1] = 0x00;
      for (const size of [1, 7, 4096, Infinity]) {
        assert.throws(() => split(bytes, size), /NUL byte at offset 8191/, `chunk size ${size}`);
      }
    });

    it('a NUL after the first 8 KiB is just a character', () => {
      const bytes = Buffer.alloc(BINARY_SNIFF_BYTES + 3, 0x61);
      bytes[4000] = 0x0a;
      bytes[BINARY_SNIFF_BYTES] = 0x00;
      for (const size of [1, 7, 4096, Infinity]) {
        const result = split(bytes, size);
        assert.equal(result.lines.length, 2, `chunk size ${size}`);
        assert.equal(result.lines[1].length, BINARY_SNIFF_BYTES + 3 - 4001);
        assert.ok(result.lines[1].includes('\0'));
      }
    });

    it('the BOM counts towards the first 8 KiB', () => {
      expectFailure(Buffer.concat([BOM, Buffer.from([0x00])]), 'EBINARY', /NUL byte at offset 3 /);
    });
  });

  describe('end-of-line style', () => {
    it('crlf is set when the first line ends in \\r\\n', () => {
      assert.equal(expectLines('a\r\nb\n', ['a', 'b']).crlf, true);
      assert.equal(expectLines(Buffer.concat([BOM, Buffer.from('a\r\n')]), ['a']).crlf, true);
    });

    it('crlf is not set when the first line ends in \\n only, even if later lines use \\r\\n', () => {
      assert.equal(expectLines('a\nb\r\n', ['a', 'b']).crlf, false);
    });

    it('crlf is not set for a single unterminated line ending in \\r', () => {
      assert.equal(expectLines('a\r', ['a']).crlf, false);
    });
  });

  describe('through processFile', () => {
    const tempDir = useTempDirs('fileflow-text-');
    const passThrough = { nodes: { start: { use: 'count' } } };

    it('writes \\r\\n after every output line when the first input line ended in \\r\\n', async () => {
      const result = await runPipeline(passThrough, await tempDir(), 'a\r\nb\nc');
      assert.equal(result.output, 'a\r\nb\r\nc\r\n');
    });

    it('writes \\n after every output line otherwise', async () => {
      const result = await runPipeline(passThrough, await tempDir(), 'a\nb\r\nc');
      assert.equal(result.output, 'a\nb\nc\n');
    });

    it('uses the input\'s style even when the first input line produces no output', async () => {
      const pipeline = { nodes: { start: { use: 'filter', with: { pattern: 'keep' } } } };
      const result = await runPipeline(pipeline, await tempDir(), 'drop\r\nkeep 1\r\nkeep 2\r\n');
      assert.equal(result.output, 'keep 1\r\nkeep 2\r\n');
    });

    it('an empty input gives an empty result file and no lines', async () => {
      const result = await runPipeline(passThrough, await tempDir(), '');
      assert.equal(result.resultExists, true);
      assert.equal(result.output, '');
      assert.equal(result.summary.linesIn, 0);
      assert.equal(result.summary.linesOut, 0);
    });

    it('drops the BOM and reports linesIn and bytesIn', async () => {
      const result = await runPipeline(passThrough, await tempDir(), '\uFEFFa\nb\n');
      assert.equal(result.output, 'a\nb\n');
      assert.equal(result.summary.linesIn, 2);
      assert.equal(result.summary.bytesIn, 7);
      assert.equal(result.summary.bytesOut, 4);
    });

    it('reads a file in chunks without splitting characters or lines', async () => {
      // 2998-byte lines of "€": the 256 KiB read boundary falls inside a character.
      const line = '€'.repeat(999);
      const text = Array.from({ length: 120 }, (_, i) => `${i}${line}`).join('\n');
      const result = await runPipeline(passThrough, await tempDir(), Buffer.from(text, 'utf8'));
      assert.equal(result.summary.status, 'processed');
      assert.equal(result.output, text + '\n');
      assert.equal(result.summary.linesIn, 120);
      assert.equal(result.summary.bytesIn, Buffer.byteLength(text));
    });

    it('a binary file fails with EBINARY and leaves no result', async () => {
      const result = await runPipeline(passThrough, await tempDir(), Buffer.from([0x61, 0x0a, 0x00]));
      assert.equal(result.summary.status, 'failed');
      assert.equal(result.summary.error?.code, 'EBINARY');
      assert.equal(result.resultExists, false);
    });

    it('syncBelowBytes: a file over the limit is streamed, one under it read whole; both give the same result', async () => {
      const dir = await tempDir();
      const config = await compilePipelineObject(passThrough, path.join(dir, 'pipeline.json'));
      const input = path.join(dir, 'in.log');
      const text = 'line one\r\nline two\r\nlast';
      await writeFile(input, text);
      const outputs = [];
      for (const syncBelowBytes of [0, 8, text.length, text.length + 1]) {
        const resultPath = path.join(dir, `out-${syncBelowBytes}.log`);
        const summary = await processFile(config, { name: 'in.log', source: 'in.log', input: { path: input }, resultPath, summaryPath: `${resultPath}.summary.json` }, { syncBelowBytes });
        assert.equal(summary.status, 'processed');
        assert.equal(summary.bytesIn, text.length);
        outputs.push(await readFile(resultPath, 'utf8'));
      }
      assert.deepEqual(outputs, Array(4).fill('line one\r\nline two\r\nlast\r\n'));
    });

    it('maxLineBytes is honoured and the failure names the line', async () => {
      const result = await runPipeline(passThrough, await tempDir(), 'short\nmuch too long\n', { maxLineBytes: 8 });
      assertFailedWith(result, { message: 'line 2 is longer than maxLineBytes (8 bytes)', code: 'ELINETOOLONG', line: 2 });
    });
  });
});
