// Errors a user can cause: each carries a stable code and, where it has one, a place
// (file line, node) so that summaries and messages can say exactly where things went wrong.

export type FileErrorCode =
  | 'EBINARY' // a NUL byte in the first 8 KiB
  | 'ELINETOOLONG' // a line longer than maxLineBytes
  | 'EDECODE' // compressed input that cannot be decompressed (corrupt or truncated gzip)
  | 'EROUTING' // a tag with no node, or a routing loop
  | 'ENOROUTE' // no entry of `routes` fits the file
  | 'EPROCESSOR' // a processor threw
  | 'ENOTFILE' // a symlink, FIFO, socket or directory where a regular file was expected
  | 'EIO'; // the filesystem refused (after retries, where retried)

/** Why one file failed. Becomes the `error` object of the file's summary. */
export class FileProcessingError extends Error {
  constructor(
    message: string,
    readonly code: FileErrorCode,
    readonly node?: string,
    readonly line?: number,
    /** The filesystem's error code (EACCES, ENOSPC…) when the filesystem refused. */
    readonly sysCode?: string,
  ) {
    super(message);
    this.name = 'FileProcessingError';
  }
}

/**
 * This instance no longer holds the file's claim: another instance took it over (this one
 * was paused or cut off past its lease), so this one's work on it is thrown away rather than
 * written over the other's (docs/instances.md, "Fencing").
 */
export class FencedError extends Error {
  override name = 'FencedError';
}

/** Filesystem errors that may go away by themselves, so the queue retries them (docs/queue.md). */
export const TRANSIENT_FS_CODES: ReadonlySet<string> = new Set(['EBUSY', 'EMFILE', 'ENFILE', 'EAGAIN', 'ENOSPC', 'EACCES', 'EPERM']);

export function isTransientFsError(error: unknown): boolean {
  const code = error instanceof FileProcessingError ? error.sysCode : (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && TRANSIENT_FS_CODES.has(code);
}

/** One problem in a pipeline file, at a JSON path such as `/pipelines/logs/nodes/warn/use`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A pipeline file that cannot be used. Lists every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(formatConfigIssues(file, issues));
    this.name = 'ConfigError';
  }
}

export function formatConfigIssues(file: string, issues: ConfigIssue[]): string {
  const lines = issues.map((issue) => `  ${issue.path || '/'}: ${issue.message}`);
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return `${file}: ${issues.length} ${noun}\n${lines.join('\n')}`;
}

/** The text of anything thrown: an Error's message, else the value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
