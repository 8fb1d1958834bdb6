// Turns a stream of byte chunks into lines (docs/pipelines.md "Text"): split on \n, drop one
// trailing \r, keep a non-empty final line, honour a byte-order mark, read UTF-8 (invalid bytes
// become U+FFFD, and such lines are counted), Latin-1 or UTF-16, refuse binary input and
// over-long lines. Memory is bounded by the chunk size plus maxLineBytes, whatever the file
// size, and the line handler may pause the splitter (to write out what the lines produced).

import { DEFAULT_MAX_LINE_BYTES } from '../defaults';
import { FileProcessingError } from '../errors';
import { sniffBom, Utf16ToUtf8, type EncodingChoice, type InputEncoding, type TextEncoding } from './decode';

export const BINARY_SNIFF_BYTES = 8 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 13;
const REPLACEMENT = '\uFFFD';
const REPLACEMENT_UTF8 = Buffer.from([0xef, 0xbf, 0xbd]);
const NO_BYTES = Buffer.alloc(0);

export type LineHandler = (line: string, n: number) => void;

/**
 * The splitter a file's bytes are pushed into. `push` and `end` return false when the line
 * handler called `pause()`: the caller then does what it paused for and calls `resume()`
 * until that returns true, leaving the chunk untouched until then, before pushing more.
 */
export class LineSplitter {
  /** Bytes pushed so far, byte-order mark included. */
  bytesIn = 0;
  /** What the input is read as, once the first bytes have told. */
  encoding: InputEncoding | undefined;

  private lines: ByteLines | undefined;
  private utf16: Utf16ToUtf8 | undefined;
  // The first bytes, until they tell the encoding (a BOM needs three; a choice, a first line).
  private head: Buffer[] = [];
  private headBytes = 0;
  private afterDrain: (() => boolean) | undefined;

  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
    private readonly choice: TextEncoding | EncodingChoice = 'utf8',
  ) {}

  /** Input lines seen so far; also the `n` of the latest line. */
  get linesIn(): number {
    return this.lines?.linesIn ?? 0;
  }

  /** True once the first line is known to have ended in \r\n (so the output uses \r\n). */
  get crlf(): boolean {
    return this.lines?.crlf ?? false;
  }

  /** Lines in which invalid bytes were replaced with U+FFFD. */
  get invalidLines(): number {
    return this.lines?.invalidLines ?? 0;
  }

  /** The first such line's number (0: none). */
  get firstInvalidLine(): number {
    return this.lines?.firstInvalidLine ?? 0;
  }

  /** Feeds one chunk. The chunk may be reused by the caller once this (or resume) returns true. */
  push(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    this.bytesIn += chunk.length;
    const lines = this.lines;
    if (lines !== undefined) return lines.push(this.utf16 === undefined ? chunk : this.utf16.convert(chunk, false));
    if (this.headBytes === 0) {
      const encoding = this.decide(chunk, false);
      if (encoding !== undefined) return this.start(chunk, encoding);
    }
    this.head.push(Buffer.from(chunk));
    this.headBytes += chunk.length;
    const head = Buffer.concat(this.head, this.headBytes);
    this.head = [head];
    const encoding = this.decide(head, false);
    return encoding === undefined ? true : this.start(head, encoding);
  }

  /** Asks the splitter to stop after the current line (from within the line handler). */
  pause(): void {
    this.lines?.pause();
  }

  /** Goes on after a pause; false when paused again. */
  resume(): boolean {
    if (this.lines !== undefined && !this.lines.resume()) return false;
    const next = this.afterDrain;
    this.afterDrain = undefined;
    return next === undefined ? true : next();
  }

  /** Signals end of input: emits the final line if the input did not end with \n. */
  end(): boolean {
    const finish = (): boolean => {
      const lines = this.lines as ByteLines;
      const tail = this.utf16?.convert(NO_BYTES, true);
      if (tail !== undefined && tail.length > 0 && !lines.push(tail)) {
        this.afterDrain = () => lines.end();
        return false;
      }
      return lines.end();
    };
    if (this.lines === undefined) {
      const head = this.head.length === 0 ? NO_BYTES : this.head[0];
      this.head = [];
      if (!this.start(head, this.decide(head, true) as InputEncoding)) {
        this.afterDrain = finish;
        return false;
      }
    }
    return finish();
  }

  /** The encoding the first bytes tell, or undefined while more are needed. */
  private decide(bytes: Buffer, final: boolean): InputEncoding | undefined {
    if (bytes.length < 3 && !final) return undefined;
    const bom = sniffBom(bytes);
    if (bom) return bom.encoding;
    const choice = this.choice;
    if (typeof choice === 'string') return choice;
    if (!final && !choice.candidates.every((encoding) => firstLineKnown(bytes, encoding, this.maxLineBytes))) return undefined;
    return choice.choose((encoding) => firstLineOf(bytes, encoding, final, this.maxLineBytes));
  }

  private start(bytes: Buffer, encoding: InputEncoding): boolean {
    this.encoding = encoding;
    const bomLength = sniffBom(bytes)?.length ?? 0;
    const body = bomLength === 0 ? bytes : bytes.subarray(bomLength);
    if (encoding === 'utf16le' || encoding === 'utf16be') {
      this.utf16 = new Utf16ToUtf8(encoding === 'utf16be', bomLength, BINARY_SNIFF_BYTES);
      this.lines = new ByteLines(this.onLine, this.maxLineBytes, 'utf8', undefined);
      return this.lines.push(this.utf16.convert(body, false));
    }
    this.lines = new ByteLines(this.onLine, this.maxLineBytes, encoding, bomLength);
    return this.lines.push(body);
  }
}

/** Whether the first line of `bytes` in `encoding` is complete (or too long to matter). */
function firstLineKnown(bytes: Buffer, encoding: TextEncoding, maxLineBytes: number): boolean {
  if (encoding === 'utf16le') {
    return bytes.length > 2 * (maxLineBytes + 2) || new Utf16ToUtf8(false, 0, 0).convert(bytes, false).includes(NEWLINE);
  }
  return bytes.length > maxLineBytes + 2 || bytes.includes(NEWLINE);
}

function firstLineOf(bytes: Buffer, encoding: TextEncoding, final: boolean, maxLineBytes: number): string | undefined {
  if (bytes.length === 0) return undefined; // an empty file has no lines
  const utf8 = encoding === 'utf16le' ? new Utf16ToUtf8(false, 0, 0).convert(bytes, final) : bytes;
  const end = utf8.indexOf(NEWLINE);
  if (end === -1 && !final) return undefined; // longer than maxLineBytes: the file fails anyway
  let line = utf8.subarray(0, end === -1 ? utf8.length : end);
  if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
  if (line.length > maxLineBytes) return undefined;
  return line.toString(encoding === 'latin1' ? 'latin1' : 'utf8');
}

/** Splits UTF-8 or Latin-1 bytes (UTF-16 arrives converted to UTF-8). */
class ByteLines {
  linesIn = 0;
  crlf = false;
  invalidLines = 0;
  firstInvalidLine = 0;

  // The start of an unfinished line, kept as copied pieces so a long line costs one concat.
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private paused = false;
  // The decoded run of complete lines of the current chunk not emitted yet, from `from`;
  // `raw` its bytes (from `rawFrom`) when it holds U+FFFD, to tell replaced bytes from real
  // U+FFFD characters; `tail` the chunk's bytes after its last \n.
  private text: string | undefined;
  private from = 0;
  private raw: Buffer | undefined;
  private rawFrom = 0;
  private tail: Buffer | undefined;
  private readonly utf8: boolean;
  // The most bytes one UTF-16 unit of a decoded line can stand for.
  private readonly unitBytes: number;
  /** Offset of the next byte, for the binary sniff; undefined: no sniffing here. */
  private offset: number | undefined;

  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLineBytes: number,
    private readonly encoding: 'utf8' | 'latin1',
    sniffFrom: number | undefined,
  ) {
    this.utf8 = encoding === 'utf8';
    this.unitBytes = this.utf8 ? 3 : 1;
    this.offset = sniffFrom;
  }

  push(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    if (this.offset !== undefined) this.sniffBinary(chunk);
    const firstNewline = chunk.indexOf(NEWLINE);
    if (firstNewline === -1) {
      this.keep(chunk);
      return true;
    }
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    this.tail = lastNewline + 1 < chunk.length ? chunk.subarray(lastNewline + 1) : undefined;
    if (this.carryBytes === 0) {
      this.setRun(chunk, 0, lastNewline);
    } else {
      this.carry.push(chunk.subarray(0, firstNewline));
      const line = Buffer.concat(this.carry, this.carryBytes + firstNewline);
      this.carry = [];
      this.carryBytes = 0;
      this.setRun(chunk, firstNewline + 1, lastNewline);
      this.emitBytes(line, true);
      if (this.paused) return false;
    }
    return this.drain();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): boolean {
    this.paused = false;
    return this.drain();
  }

  end(): boolean {
    if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry, this.carryBytes);
      this.carry = [];
      this.carryBytes = 0;
      this.emitBytes(line, false);
    }
    return true;
  }

  /** The complete lines of chunk[start, end) (end is a \n), to be emitted by drain(). */
  private setRun(chunk: Buffer, start: number, end: number): void {
    if (end < start) {
      this.text = undefined;
      return;
    }
    // One decode for the whole run of complete lines, then cheap string slicing. Safe
    // because 0x0A never occurs inside a multi-byte UTF-8 sequence, so no character
    // straddles a line boundary and invalid sequences never swallow a newline. A string with
    // no character above U+00FF (most logs) answers the U+FFFD search at once.
    const text = chunk.toString(this.encoding, start, end);
    this.text = text;
    this.from = 0;
    this.raw = this.utf8 && text.indexOf(REPLACEMENT) !== -1 ? chunk.subarray(start, end) : undefined;
    this.rawFrom = 0;
  }

  /** Emits the pending run of lines, then keeps the chunk's tail; false when paused. */
  private drain(): boolean {
    const text = this.text;
    if (text !== undefined) {
      if (this.raw !== undefined) {
        if (!this.drainChecked(text, this.raw)) return false;
      } else {
        let from = this.from;
        let to = text.indexOf('\n', from);
        while (to !== -1) {
          this.emit(text.slice(from, to), true, false);
          from = to + 1;
          if (this.paused) {
            this.from = from;
            return false;
          }
          to = text.indexOf('\n', from);
        }
        this.text = undefined;
        this.emit(from === 0 ? text : text.slice(from), true, false);
      }
    }
    const tail = this.tail;
    if (tail !== undefined) {
      this.tail = undefined;
      this.keep(tail);
    }
    return !this.paused;
  }

  /** drain() for a run that holds U+FFFD: each such line is checked against its bytes. */
  private drainChecked(text: string, raw: Buffer): boolean {
    let from = this.from;
    let rawFrom = this.rawFrom;
    for (;;) {
      const to = text.indexOf('\n', from);
      const rawTo = to === -1 ? raw.length : raw.indexOf(NEWLINE, rawFrom);
      const line = to === -1 ? text.slice(from) : text.slice(from, to);
      const invalid = line.indexOf(REPLACEMENT) !== -1 && replacedBytes(line, raw.subarray(rawFrom, rawTo));
      if (to === -1) {
        this.text = undefined;
        this.raw = undefined;
        this.emit(line, true, invalid);
        return true;
      }
      this.emit(line, true, invalid);
      from = to + 1;
      rawFrom = rawTo + 1;
      if (this.paused) {
        this.from = from;
        this.rawFrom = rawFrom;
        return false;
      }
    }
  }

  private keep(bytes: Buffer): void {
    this.carryBytes += bytes.length;
    // +1 leaves room for a \r that will be stripped.
    if (this.carryBytes > this.maxLineBytes + 1) {
      throw this.tooLong(this.linesIn + 1);
    }
    this.carry.push(Buffer.from(bytes));
  }

  private emitBytes(bytes: Buffer, terminated: boolean): void {
    const line = bytes.toString(this.encoding);
    this.emit(line, terminated, this.utf8 && line.indexOf(REPLACEMENT) !== -1 && replacedBytes(line, bytes));
  }

  private emit(line: string, terminated: boolean, invalid: boolean): void {
    const n = ++this.linesIn;
    const last = line.length - 1;
    if (last >= 0 && line.charCodeAt(last) === CARRIAGE_RETURN) {
      line = line.slice(0, last);
      if (n === 1 && terminated) this.crlf = true;
    }
    // Only long lines need measuring.
    if (line.length * this.unitBytes > this.maxLineBytes && (this.utf8 ? Buffer.byteLength(line, 'utf8') : line.length) > this.maxLineBytes) {
      throw this.tooLong(n);
    }
    if (invalid) {
      this.invalidLines++;
      if (this.firstInvalidLine === 0) this.firstInvalidLine = n;
    }
    this.onLine(line, n);
  }

  private sniffBinary(chunk: Buffer): void {
    const offset = this.offset as number;
    if (offset >= BINARY_SNIFF_BYTES) {
      this.offset = undefined;
      return;
    }
    this.offset = offset + chunk.length;
    const window = chunk.subarray(0, BINARY_SNIFF_BYTES - offset);
    const nul = window.indexOf(0);
    if (nul !== -1) {
      throw new FileProcessingError(`binary file: NUL byte at offset ${offset + nul} (only text files are processed)`, 'EBINARY');
    }
  }

  private tooLong(n: number): FileProcessingError {
    return new FileProcessingError(`line ${n} is longer than maxLineBytes (${this.maxLineBytes} bytes)`, 'ELINETOOLONG', undefined, n);
  }
}

/**
 * Whether decoding `bytes` into `line` replaced invalid bytes: it holds more U+FFFD than
 * `bytes` holds encoded U+FFFD (EF BF BD is never part of an invalid sequence, since EF is
 * never a continuation byte).
 */
function replacedBytes(line: string, bytes: Buffer): boolean {
  let decoded = 0;
  for (let at = line.indexOf(REPLACEMENT); at !== -1; at = line.indexOf(REPLACEMENT, at + 1)) decoded++;
  let literal = 0;
  for (let at = bytes.indexOf(REPLACEMENT_UTF8); at !== -1; at = bytes.indexOf(REPLACEMENT_UTF8, at + 3)) literal++;
  return decoded > literal;
}
