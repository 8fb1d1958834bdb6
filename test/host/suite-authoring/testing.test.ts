// The Testing view (docs/authoring.md): a pipeline file's tests are listed at their places,
// run one / a file's, and a failed output shows expected against actual; saving runs them again.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeEditors, extensionApi, openPipeline, rangeOfText, scratchFolder, waitFor } from './helpers';

const PIPELINE = `{
  "nodes": { "start": { "use": "uppercase" } },
  "tests": [
    { "name": "shouts", "input": ["a", "b"], "expect": { "output": ["A", "B"] } },
    { "name": "whispers", "input": ["a"], "expect": { "output": ["a"] } }
  ]
}
`;

/** Test results as reported to the Testing view, through a run of our controller. */
interface Recorded {
  passed: string[];
  failed: Map<string, vscode.TestMessage[]>;
  errored: string[];
}

describe('Testing view', () => {
  afterEach(closeEditors);

  it('lists each test of a pipeline file at its place, runs them and shows a diff for a failed output', async () => {
    const api = await extensionApi();
    const testing = api.authoring.testing;
    const dir = await scratchFolder('testing');
    const file = path.join(dir, 'tested.fileflow.json');
    const { document } = await openPipeline(file, PIPELINE);
    const fileItem = await waitFor('the file in the Testing view', () => testing.controller.items.get(document.uri.toString()));
    const children: vscode.TestItem[] = [];
    fileItem.children.forEach((item) => children.push(item));
    assert.deepEqual(
      children.map((item) => item.label),
      ['shouts', 'whispers'],
    );
    assert.equal(children[1].range?.start.line, rangeOfText(document, '{ "name": "whispers"').start.line);

    const recorded = await recordRun(testing, new vscode.TestRunRequest([fileItem]));
    assert.deepEqual(recorded.passed, ['shouts']);
    const [message] = recorded.failed.get('whispers') ?? [];
    assert.ok(message, 'whispers failed');
    assert.equal(message.expectedOutput, 'a');
    assert.equal(message.actualOutput, 'A');
    assert.equal(message.location?.uri.toString(), document.uri.toString());
    assert.equal(message.location?.range.start.line, children[1].range?.start.line);

    // One test alone.
    const alone = await recordRun(testing, new vscode.TestRunRequest([children[0]]));
    assert.deepEqual(alone.passed, ['shouts']);
    assert.equal(alone.failed.size, 0);
  });

  it('reports an invalid pipeline as an error of its tests; saving refreshes the list and runs the tests again', async () => {
    const api = await extensionApi();
    const testing = api.authoring.testing;
    const dir = await scratchFolder('testing-invalid');
    const { document, editor } = await openPipeline(path.join(dir, 'broken.fileflow.json'), PIPELINE.replace('"uppercase"', '"uppercase", "then": "nowhere"'));
    const fileItem = await waitFor('the file in the Testing view', () => testing.controller.items.get(document.uri.toString()));
    const recorded = await recordRun(testing, new vscode.TestRunRequest([fileItem]));
    assert.deepEqual(recorded.errored.sort(), ['shouts', 'whispers']);

    // Fixed and saved: the list follows the file, and tests that ran before run again.
    const again = recordRuns(testing);
    await editor.edit((edit) => {
      edit.replace(rangeOfText(document, '"whispers"'), '"murmurs"');
      edit.replace(rangeOfText(document, ', "then": "nowhere"'), '');
    });
    await document.save();
    await waitFor('the tests to run again on save', () => again.recorded.passed.includes('shouts') && again.recorded.failed.has('murmurs'));
    again.stop();
    await waitFor('the renamed test', () => {
      const labels: string[] = [];
      testing.controller.items.get(document.uri.toString())?.children.forEach((item) => labels.push(item.label));
      return labels.join(',') === 'shouts,murmurs';
    });
  });
});

/**
 * Records the outcomes of every run the controller makes until stop(). The public API gives no
 * read access to results, so the controller's createTestRun is wrapped meanwhile (the runs
 * themselves are the real ones VS Code shows).
 */
function recordRuns(testing: { controller: vscode.TestController }): { recorded: Recorded; stop(): void } {
  const recorded: Recorded = { passed: [], failed: new Map(), errored: [] };
  const controller = testing.controller;
  const original = controller.createTestRun.bind(controller);
  controller.createTestRun = (req, name, persist) => {
    const run = original(req, name, persist);
    const passed = run.passed.bind(run);
    const failed = run.failed.bind(run);
    const errored = run.errored.bind(run);
    run.passed = (item, duration) => {
      recorded.passed.push(item.label);
      passed(item, duration);
    };
    run.failed = (item, message, duration) => {
      recorded.failed.set(item.label, [message].flat());
      failed(item, message, duration);
    };
    run.errored = (item, message, duration) => {
      recorded.errored.push(item.label);
      errored(item, message, duration);
    };
    return run;
  };
  return { recorded, stop: () => (controller.createTestRun = original) };
}

/** Runs a request through the controller's own run handler and records the outcomes. */
async function recordRun(testing: { controller: vscode.TestController; run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> }, request: vscode.TestRunRequest): Promise<Recorded> {
  const recording = recordRuns(testing);
  try {
    const source = new vscode.CancellationTokenSource();
    await testing.run(request, source.token);
    source.dispose();
  } finally {
    recording.stop();
  }
  return recording.recorded;
}
