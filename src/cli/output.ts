// Standard output and error for the `fileflow` process, safe against a reader that goes away
// (`fileflow watch ROOT | head -1`): once a stream fails, what would have gone to it is
// dropped, and the queue and the exit status carry on as if it had been read (docs/cli.md).

import type { Writable } from 'node:stream';

export interface SafeStream {
  write(text: string): void;
  /** True once the stream failed (EPIPE: its reader closed); later writes are dropped. */
  readonly closed: boolean;
}

/**
 * Wraps a process stream. Node reports a write to a closed pipe as an 'error' event on the
 * stream, which kills the process when nobody listens for it; this listens, and stops writing.
 */
export function safeStream(stream: Writable): SafeStream {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return {
    write(text: string): void {
      if (closed || stream.destroyed || stream.writableEnded) return;
      try {
        stream.write(text);
      } catch {
        closed = true;
      }
    },
    get closed(): boolean {
      return closed;
    },
  };
}
