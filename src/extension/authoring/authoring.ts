// Pipeline authoring in the editor (docs/authoring.md): diagnostics and quick fixes, the
// Testing view, and Preview Pipeline. Registered from extension.ts in one call.

import type * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { PipelineDiagnostics } from './diagnostics';
import { PipelinePreviews } from './preview';
import { PipelineTesting } from './testing';

export interface AuthoringApi {
  diagnostics: PipelineDiagnostics;
  testing: PipelineTesting;
  previews: PipelinePreviews;
}

export function registerAuthoring(subscriptions: vscode.Disposable[], logger: Logger): AuthoringApi {
  const diagnostics = new PipelineDiagnostics(logger);
  const testing = new PipelineTesting(logger);
  const previews = new PipelinePreviews(logger);
  subscriptions.push(diagnostics, testing, previews);
  return { diagnostics, testing, previews };
}
