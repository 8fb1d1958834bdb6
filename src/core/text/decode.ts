// What comes before lines are split (docs/pipelines.md "Text"): gzip input is decompressed
// as it streams, a byte-order mark tells the encoding, and UTF-16 is converted to UTF-8 so
// that one line splitter serves every encoding.

import { Readable, pipeline } from 'node:stream';
import { FileProcessingError } from '../errors';

/** The `encoding` a pipeline or a route may set. */
export type TextEncoding = 'utf8' | 'latin1' | 'utf16le';
export const TEXT_ENCODINGS: readonly TextEncoding[] = ['utf8', 'latin1', 'utf16le'];
/** What a file is read as: a TextEncoding, or UTF-16 big-endian (only ever chosen by its BOM). */
export type InputEncoding = TextEncoding | 'utf16be';

/**
 * For a file whose routes read it in different encodings: which one is decided on its first
 * line, read in each of the candidates (unless a byte-order mark decides first).
 */
export interface EncodingChoice {
  candidates: readonly TextEncoding[];
  /** `firstLine` gives the first line read in an encoding (undefined: none, or too long). */
  choose(firstLine: (encoding: TextEncoding) => string | undefined): TextEncoding;
}

export const ENCODING_NAMES: Record<InputEncoding, string> = { utf8: 'UTF-8', latin1: 'Latin-1', utf16le: 'UTF-16LE', utf16be: 'UTF-16BE' };

// The gzip magic (1f 8b) and its one compression method (08, deflate): three bytes no text
// file starts with.
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const INFLATE_CHUNK_BYTES = 64 * 1024;

export function isGzip(head: Buffer): boolean {
  return head.length >= GZIP_MAGIC.length && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] && head[2] === GZIP_MAGIC[2];
}

/** The encoding a byte-order mark at the start of `bytes` names, and the mark's length. */
export function sniffBom(bytes: Buffer): { encoding: InputEncoding; length: number } | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf8', length: 3 };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf16le', length: 2 };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf16be', length: 2 };
  return undefined;
}

/**
 * The chunks of `source`, decompressed if they start with the gzip magic (whatever the file's
 * name), else as they are. Memory stays flat: zlib works through 64 KiB at a time, pulled as
 * the caller consumes. `onGzip` is called when the input turns out to be compressed. Chunks
 * of `source` may be reused by it once the next one is asked for (they are copied for zlib).
 */
export async function* decompressed(source: AsyncIterable<Buffer> | Iterable<Buffer>, onGzip?: () => void): AsyncGenerator<Buffer> {
  const iterator: AsyncIterator<Buffer> | Iterator<Buffer> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  try {
    const first = await iterator.next();
    if (first.done) return;
    let head = first.value;
    // A stream (a pipe) may deliver its first bytes a few at a time: the magic needs three.
    let ended = false;
    while (head.length < GZIP_MAGIC.length) {
      const short = Buffer.from(head); // the source may reuse it for the next chunk
      const more = await iterator.next();
      if (more.done) {
        ended = true;
        head = short;
        break;
      }
      head = Buffer.concat([short, more.value]);
    }
    if (!isGzip(head)) {
      yield head;
      if (ended) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      return;
    }
    onGzip?.();
    // Loaded on first use: most runs never meet a gzip file, and every worker thread pays the load.
    const { createGunzip } = await import('node:zlib');
    async function* copies(): AsyncGenerator<Buffer> {
      yield Buffer.from(head);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
    }
    // pipeline() ends both streams when either fails (or when this generator is left early).
    const inflater = pipeline(Readable.from(copies()), createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }), () => undefined);
    let out = 0;
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        out += chunk.length;
        yield chunk;
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('Z_')) {
        throw new FileProcessingError(`gzip input is corrupt or truncated after ${out} decompressed bytes: ${(error as Error).message}`, 'EDECODE');
      }
      throw error;
    }
  } finally {
    // Left early (the file failed): the source finishes a read in flight before it is closed.
    await iterator.return?.();
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// A byte that is never valid UTF-8: put where UTF-16 input was invalid, so that the line
// splitter replaces it with U+FFFD and counts the line, as for invalid UTF-8.
const INVALID_UTF8 = Buffer.from([0xff]);
const NO_BYTES = Buffer.alloc(0);

/**
 * UTF-16 (little- or big-endian) to UTF-8, chunk by chunk: a byte or a high surrogate cut off
 * at a chunk's end waits for the next one. A lone surrogate, or an odd byte at the very end,
 * becomes an invalid byte (so U+FFFD, counted). A NUL character among the first `sniffBytes`
 * bytes (counted in UTF-16, from `offset`) means binary input, as a NUL byte does for the
 * 8-bit encodings.
 */
export class Utf16ToUtf8 {
  private odd: number | undefined;
  private high = '';
  private consumed: number;

  constructor(
    private readonly bigEndian: boolean,
    offset: number,
    private readonly sniffBytes: number,
  ) {
    this.consumed = offset;
  }

  convert(chunk: Buffer, final: boolean): Buffer {
    let bytes = chunk;
    if (this.odd !== undefined) {
      bytes = Buffer.concat([Buffer.from([this.odd]), chunk]);
      this.odd = undefined;
    }
    const even = bytes.length & ~1;
    if (even < bytes.length) this.odd = bytes[even];
    let units = bytes.subarray(0, even);
    if (this.bigEndian) {
      units = Buffer.from(units);
      units.swap16();
    }
    this.sniff(units);
    this.consumed += even;
    let text = this.high + units.toString('utf16le');
    this.high = '';
    const last = text.charCodeAt(text.length - 1);
    if (!final && last >= 0xd800 && last <= 0xdbff) {
      this.high = text.slice(-1);
      text = text.slice(0, -1);
    }
    const trailing = final && this.odd !== undefined;
    if (final) this.odd = undefined;
    LONE_SURROGATE.lastIndex = 0;
    if (!LONE_SURROGATE.test(text)) {
      const utf8 = text.length === 0 ? NO_BYTES : Buffer.from(text, 'utf8');
      return trailing ? Buffer.concat([utf8, INVALID_UTF8]) : utf8;
    }
    const pieces: Buffer[] = [];
    let from = 0;
    LONE_SURROGATE.lastIndex = 0; // matchAll starts where test() stopped
    for (const match of text.matchAll(LONE_SURROGATE)) {
      pieces.push(Buffer.from(text.slice(from, match.index), 'utf8'), INVALID_UTF8);
      from = match.index + 1;
    }
    pieces.push(Buffer.from(text.slice(from), 'utf8'));
    if (trailing) pieces.push(INVALID_UTF8);
    return Buffer.concat(pieces);
  }

  private sniff(units: Buffer): void {
    const window = Math.min(units.length, this.sniffBytes - this.consumed);
    for (let i = 0; i + 1 < window; i += 2) {
      if (units[i] === 0 && units[i + 1] === 0) {
        throw new FileProcessingError(
          `binary file: NUL character at offset ${this.consumed + i} (only text files are processed)`,
          'EBINARY',
        );
      }
    }
  }
}
