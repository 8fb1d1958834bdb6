// Runs with workspace trust turned on (suite.json), so the fresh test workspace, which nobody
// has trusted, opens in Restricted Mode. Suites that test Restricted Mode behaviour go here.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('Restricted Mode window', () => {
  it('opens the test workspace untrusted', () => {
    assert.equal(vscode.workspace.getConfiguration('security.workspace.trust').get('enabled'), true);
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('still loads the extension under development (so trust behaviour needs the .vsix)', () => {
    assert.ok(vscode.extensions.getExtension('fileflow.fileflow'));
  });
});
