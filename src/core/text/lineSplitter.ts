// Turns a stream of byte chunks into lines, following SPEC §2 "Text handling": split on \n,
// drop one trailing \r, keep a non-empty final line, drop a UTF-8 BOM, replace invalid UTF-8
// with U+FFFD, refuse binary input and over-long lines. Memory is bounded by the chunk size
// plus maxLineBytes, whatever the file size.

import { FileProcessingError } from '../errors';

export const BINARY_SNIFF_BYTES = 8 * 1024;
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 13;

export type LineHandler = (line: string, n: number) => void;

export class LineSplitter {
  /** Input lines seen so far; also the `n` of the latest line. */
  linesIn = 0;
  /** Raw bytes seen so far, BOM included. */
  bytesIn = 0;
  /** True once the first line is known to have ended in \r\n (so the output uses \r\n). */
  crlf = false;

  // The start of an unfinished line, kept as copied pieces so a long line costs one concat.
  private carry: Buffer[] = [];
  private carryBytes = 0;
  // Until three bytes have arrived we cannot tell whether the input starts with a BOM.
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Feeds one chunk. The chunk may be reused by the caller afterwards. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const offset = this.bytesIn;
    this.bytesIn += chunk.length;
    this.sniffBinary(chunk, offset);
    if (this.head !== undefined) {
      const head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      if (head.length < 3) {
        this.head = Buffer.from(head);
        return;
      }
      this.head = undefined;
      chunk = hasBom(head) ? head.subarray(3) : head;
    }
    this.splitChunk(chunk);
  }

  /** Signals end of input: emits the final line if the input did not end with \n. */
  end(): void {
    if (this.head !== undefined) {
      const head = this.head;
      this.head = undefined;
      this.splitChunk(hasBom(head) ? head.subarray(3) : head);
    }
    if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry, this.carryBytes).toString('utf8');
      this.carry = [];
      this.carryBytes = 0;
      this.emit(line, false);
    }
  }

  private splitChunk(chunk: Buffer): void {
    const firstNewline = chunk.indexOf(NEWLINE);
    if (firstNewline === -1) {
      this.keep(chunk);
      return;
    }
    let start = 0;
    if (this.carryBytes > 0) {
      this.carry.push(chunk.subarray(0, firstNewline));
      const line = Buffer.concat(this.carry, this.carryBytes + firstNewline).toString('utf8');
      this.carry = [];
      this.carryBytes = 0;
      this.emit(line, true);
      start = firstNewline + 1;
    }
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline >= start) {
      // One decode for the whole run of complete lines, then cheap string slicing. Safe
      // because 0x0A never occurs inside a multi-byte UTF-8 sequence, so no character
      // straddles a line boundary and invalid sequences never swallow a newline.
      const text = chunk.toString('utf8', start, lastNewline);
      let from = 0;
      let to = text.indexOf('\n');
      while (to !== -1) {
        this.emit(text.slice(from, to), true);
        from = to + 1;
        to = text.indexOf('\n', from);
      }
      this.emit(from === 0 ? text : text.slice(from), true);
    }
    if (lastNewline + 1 < chunk.length) this.keep(chunk.subarray(lastNewline + 1));
  }

  private keep(bytes: Buffer): void {
    this.carryBytes += bytes.length;
    // +1 leaves room for a \r that will be stripped.
    if (this.carryBytes > this.maxLineBytes + 1) {
      throw this.tooLong(this.linesIn + 1);
    }
    this.carry.push(Buffer.from(bytes));
  }

  private emit(line: string, terminated: boolean): void {
    const n = ++this.linesIn;
    const last = line.length - 1;
    if (last >= 0 && line.charCodeAt(last) === CARRIAGE_RETURN) {
      line = line.slice(0, last);
      if (n === 1 && terminated) this.crlf = true;
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes, so only long lines need measuring.
    if (line.length * 3 > this.maxLineBytes && Buffer.byteLength(line, 'utf8') > this.maxLineBytes) {
      throw this.tooLong(n);
    }
    this.onLine(line, n);
  }

  private sniffBinary(chunk: Buffer, offset: number): void {
    if (offset >= BINARY_SNIFF_BYTES) return;
    const window = chunk.subarray(0, BINARY_SNIFF_BYTES - offset);
    const nul = window.indexOf(0);
    if (nul !== -1) {
      throw new FileProcessingError(
        `binary file: NUL byte at offset ${offset + nul} (only text files are processed)`,
        'EBINARY',
      );
    }
  }

  private tooLong(n: number): FileProcessingError {
    return new FileProcessingError(
      `line ${n} is longer than maxLineBytes (${this.maxLineBytes} bytes)`,
      'ELINETOOLONG',
      undefined,
      n,
    );
  }
}

function hasBom(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
