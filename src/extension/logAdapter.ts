// Hands the engine a Logger that writes to the "Fileflow" log output channel, following the
// level the user picks for that channel (Developer: Set Log Level…).

import * as vscode from 'vscode';
import type { Logger, LogLevel } from '../core/logger';

export function channelLevel(channel: vscode.LogOutputChannel): LogLevel {
  switch (channel.logLevel) {
    case vscode.LogLevel.Trace:
      return 'trace';
    case vscode.LogLevel.Debug:
      return 'debug';
    case vscode.LogLevel.Info:
      return 'info';
    case vscode.LogLevel.Warning:
      return 'warn';
    case vscode.LogLevel.Error:
      return 'error';
    default:
      return 'off';
  }
}

export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    get level(): LogLevel {
      return channelLevel(channel);
    },
    trace: (message) => channel.trace(message),
    debug: (message) => channel.debug(message),
    info: (message) => channel.info(message),
    warn: (message) => channel.warn(message),
    error: (message, error) => {
      if (error instanceof Error) channel.error(`${message}: ${error.message}\n${error.stack ?? ''}`);
      else channel.error(message);
    },
  };
}
