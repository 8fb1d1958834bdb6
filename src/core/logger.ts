// The engine logs through this small interface; the CLI writes to stderr and the extension
// adapts it to a VS Code LogOutputChannel.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number] | 'off';

export interface Logger {
  /** The lowest level that is written; the router only traces hops when this is 'trace'. */
  readonly level: LogLevel;
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function levelEnabled(logger: Logger, level: Exclude<LogLevel, 'off'>): boolean {
  if (logger.level === 'off') return false;
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(logger.level);
}

export const silentLogger: Logger = {
  level: 'off',
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Writes `time level message` lines to a stream (stderr for the CLI). */
export function streamLogger(level: LogLevel, write: (line: string) => void): Logger {
  const at = (wanted: Exclude<LogLevel, 'off'>) => (message: string, error?: unknown) => {
    if (level === 'off' || LOG_LEVELS.indexOf(wanted) < LOG_LEVELS.indexOf(level)) return;
    let line = `${new Date().toISOString()} ${wanted.toUpperCase().padEnd(5)} ${message}`;
    if (error instanceof Error && error.stack && (level === 'debug' || level === 'trace')) line += `\n${error.stack}`;
    write(line + '\n');
  };
  return { level, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
