// Which documents are pipeline files (docs/authoring.md), and where a JSON path is in one:
// the exact range of the value (or of the key, for a whole object or an unknown property),
// found with jsonc-parser's tree.

import { parseTree, type Node } from 'jsonc-parser';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_PIPELINE_FILE } from '../../core/defaults';
import { readSettings } from '../settings';

export const PIPELINE_FILE_SUFFIX = '.fileflow.json';

/** Named as package.json's jsonValidation matches: VS Code's JSON service checks these with the schema itself. */
export function coveredBySchema(uri: vscode.Uri): boolean {
  const base = path.basename(uri.fsPath);
  return base === DEFAULT_PIPELINE_FILE || base.endsWith(PIPELINE_FILE_SUFFIX);
}

/** `fileflow.pipeline.json`, `*.fileflow.json`, or the fileflow.pipelineFile of the document's workspace folder. */
export function isPipelineDocument(document: vscode.TextDocument): boolean {
  if (document.uri.scheme !== 'file') return false;
  if (coveredBySchema(document.uri)) return true;
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  return folder !== undefined && path.resolve(readSettings(folder).pipelineFile) === path.resolve(document.uri.fsPath);
}

export interface JsonPlace {
  /** The node the range covers. */
  node: Node;
  /** Whether the range is the property's key (not its value). */
  isKey: boolean;
  /** The whole path was found (not only an ancestor of it). */
  exact: boolean;
  range: vscode.Range;
}

/** JSON Pointer segments, unescaped. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Where `pointer` is in the document. A scalar value's own range; an object or array: its
 * key (or, in an array, its first line); an unknown property (`preferKey`): its key. A path
 * that is not in the text (a defaulted `start`) gives its nearest ancestor that is.
 */
export function placeOf(document: vscode.TextDocument, root: Node | undefined, pointer: string, preferKey = false): JsonPlace {
  const whole = new vscode.Range(0, 0, 0, Math.max(1, document.lineAt(0).text.length));
  if (!root) return { node: { type: 'null', offset: 0, length: 0 }, isKey: false, exact: false, range: whole };
  let node: Node = root;
  let property: Node | undefined;
  let exact = true;
  for (const segment of pointerSegments(pointer)) {
    let next: Node | undefined;
    let nextProperty: Node | undefined;
    if (node.type === 'object') {
      nextProperty = node.children?.find((child) => child.children?.[0]?.value === segment);
      next = nextProperty?.children?.[1];
    } else if (node.type === 'array' && /^\d+$/.test(segment)) {
      next = node.children?.[Number(segment)];
    }
    if (!next) {
      exact = false;
      break;
    }
    node = next;
    property = nextProperty;
  }
  const key = property?.children?.[0];
  const useKey = key !== undefined && ((exact && preferKey) || node.type === 'object' || node.type === 'array' || !exact);
  if (useKey && key) return { node: key, isKey: true, exact, range: rangeOf(document, key.offset, key.length) };
  if (node.type === 'object' || node.type === 'array') {
    // No key (the root, an array item): from its opening bracket to the end of that line.
    const start = document.positionAt(node.offset);
    const lineEnd = document.lineAt(start.line).range.end;
    const end = document.positionAt(Math.min(node.offset + node.length, document.offsetAt(lineEnd)));
    return { node, isKey: false, exact, range: new vscode.Range(start, end.isEqual(start) ? start.translate(0, 1) : end) };
  }
  return { node, isKey: false, exact, range: rangeOf(document, node.offset, node.length) };
}

export function parseDocumentTree(document: vscode.TextDocument): Node | undefined {
  return parseTree(document.getText(), [], { allowTrailingComma: true, disallowComments: false });
}

function rangeOf(document: vscode.TextDocument, offset: number, length: number): vscode.Range {
  return new vscode.Range(document.positionAt(offset), document.positionAt(offset + Math.max(length, 1)));
}
