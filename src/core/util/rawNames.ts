// File names that are not valid UTF-8 (Latin-1 names from old systems, a zip unpacked
// without its encoding). Node decodes such a name into U+FFFD, and the path it gives back no
// longer opens the file, so the queue would never see it again. Here each invalid byte XY
// is kept as the lone surrogate U+DCXY instead ("surrogate escape"): a JavaScript string that
// round-trips to the exact bytes on disk, and that no valid UTF-8 name can produce. fsPath()
// turns such a string back into the bytes for the filesystem; a claimed name never has them
// (safeName() writes each byte as %XY).

const ESCAPED = /[\uDC80-\uDCFF]/;
const ESCAPED_ALL = /[\uDC80-\uDCFF]/g;

/** A name read as bytes (readdir / fs.watch with encoding 'buffer'), as a string. */
export function decodeName(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  // Invalid input always shows as U+FFFD; a name that merely contains U+FFFD round-trips.
  if (!text.includes('\uFFFD') || Buffer.from(text, 'utf8').equals(bytes)) return text;
  let out = '';
  let at = 0;
  while (at < bytes.length) {
    const size = validSequenceLength(bytes, at);
    if (size === 0) {
      out += String.fromCharCode(0xdc00 + bytes[at]);
      at++;
    } else {
      out += bytes.toString('utf8', at, at + size);
      at += size;
    }
  }
  return out;
}

/** Whether a path holds bytes that are not valid UTF-8 (see decodeName). */
export function hasRawBytes(file: string): boolean {
  return ESCAPED.test(file);
}

/** The path to give the filesystem: the string itself, or its exact bytes when it has escaped ones. */
export function fsPath(file: string): string | Buffer {
  if (!ESCAPED.test(file)) return file;
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < file.length; i++) {
    const code = file.charCodeAt(i);
    if (code < 0xdc80 || code > 0xdcff) continue;
    parts.push(Buffer.from(file.slice(start, i), 'utf8'), Buffer.of(code - 0xdc00));
    start = i + 1;
  }
  parts.push(Buffer.from(file.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** A name fit for summaries, messages and claimed files: each byte that is not UTF-8 as %XY. */
export function safeName(name: string): string {
  return name.replace(ESCAPED_ALL, (c) => `%${(c.charCodeAt(0) - 0xdc00).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Length of the valid UTF-8 sequence at `at`, or 0 when the byte there starts none. */
function validSequenceLength(bytes: Buffer, at: number): number {
  const first = bytes[at];
  if (first < 0x80) return 1;
  let size: number;
  let min: number;
  if (first >= 0xc2 && first <= 0xdf) [size, min] = [2, 0x80];
  else if (first >= 0xe0 && first <= 0xef) [size, min] = [3, 0x800];
  else if (first >= 0xf0 && first <= 0xf4) [size, min] = [4, 0x10000];
  else return 0;
  if (at + size > bytes.length) return 0;
  let code = first & (0xff >> (size + 1));
  for (let i = 1; i < size; i++) {
    const byte = bytes[at + i];
    if ((byte & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (byte & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return size;
}
