// Performance probe, not a test of behaviour (run by `npm run bench`, never by `npm test`):
// typing in a 300-line pipeline file while Preview Pipeline shows it over a sample. Measures
// the extension host's event-loop delay while typing with a 10 MB sample, and how long after
// the last keystroke the preview shows the result of the final text, with a 1 MB sample.
// Figures go to the JSON named by FILEFLOW_BENCH_OUT.
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { sampleLogLines, seededRandom } from '../../../src/core/samples';
import type { Preview } from '../../../src/extension/authoring/preview';
import { extensionApi, scratchFolder, waitFor } from '../suite/helpers';

const RESOLUTION_MS = 10;
const KEYSTROKES = Number(process.env.FILEFLOW_BENCH_KEYSTROKES ?? 40);
/** About 8 characters a second, a quick typist. */
const KEY_INTERVAL_MS = 125;

/** A pipeline file of about 300 lines: a level router, 40 chained nodes, 20 tests. */
function bigPipeline(): string {
  const lines = ['{', '  "version": 1,', '  "nodes": {', '    "start": { "use": "tagByLevel" },'];
  for (const level of ['debug', 'info', 'other']) lines.push(`    "${level}": { "use": "drop" },`);
  lines.push('    "warn": {', '      "use": "template",', '      "with": { "format": "{file}:{n}: {line}" },', '      "then": "step0"', '    },');
  for (let i = 0; i < 40; i++) {
    lines.push(`    "step${i}": {`, `      "use": "${i % 2 ? 'trim' : 'replace'}",`);
    if (i % 2 === 0) lines.push(`      "with": { "pattern": "x${i}", "replacement": "y${i}" },`);
    lines.push(`      "then": "${i === 39 ? 'end' : `step${i + 1}`}"`, '    },');
  }
  lines.push('    "error": { "use": "template", "with": { "format": "E {line}" } },', '    "critical": { "use": "uppercase" }', '  },', '  "tests": [');
  for (let i = 0; i < 20; i++) {
    lines.push('    {', `      "name": "test ${i}",`, `      "input": ["a [WARN] ${i}", "b [INFO] ${i}"],`, `      "expect": { "output": ["test.log:1: a [WARN] ${i}"] }`, `    }${i === 19 ? '' : ','}`);
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

async function sampleFile(dir: string, megabytes: number): Promise<string> {
  const chunk = sampleLogLines(8000, seededRandom(3)).join('\n') + '\n';
  const copies = Math.ceil((megabytes * 1024 * 1024) / Buffer.byteLength(chunk));
  const file = path.join(dir, `sample-${megabytes}mb.log`);
  await writeFile(file, chunk.repeat(copies));
  return file;
}

/** Types KEYSTROKES characters into the first template format, one edit per key; returns when the last is in. */
async function type(editor: vscode.TextEditor): Promise<void> {
  const text = editor.document.getText();
  const at = editor.document.positionAt(text.indexOf('{file}:{n}: {line}') + '{file}:{n}: '.length);
  for (let i = 0; i < KEYSTROKES; i++) {
    await editor.edit((edit) => edit.insert(at.translate(0, i), 'abcdefghij'[i % 10]), { undoStopBefore: false, undoStopAfter: false });
    await new Promise((resolve) => setTimeout(resolve, KEY_INTERVAL_MS));
  }
}

async function delayDuring(work: () => Promise<unknown>): Promise<{ p50: number; p99: number; max: number }> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  await work();
  histogram.disable();
  // The histogram holds the time between samples; the delay is what exceeds the resolution.
  const toMs = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
  return { p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max) };
}

/** Profiles this thread (the extension host's) until the returned function is called: the functions with the most self time. */
async function startProfile(): Promise<() => Promise<string[]>> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] } };
    session.disconnect();
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const byName = new Map<string, number>();
    for (const node of profile.nodes) {
      const key = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber}`;
      byName.set(key, (byName.get(key) ?? 0) + (self.get(node.id) ?? 0));
    }
    return [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([key, us]) => `${(us / 1000).toFixed(1)} ms ${key}`);
  };
}

async function settled(preview: Preview, document: vscode.TextDocument): Promise<void> {
  await waitFor('the preview of the final text', () => preview.version === document.version && preview.run !== undefined, 120_000, 5);
}

describe('typing with a preview open (benchmark)', () => {
  it('keeps the host responsive and the preview current', async () => {
    const api = await extensionApi();
    const dir = await scratchFolder('bench-authoring');
    const results: Record<string, unknown> = { keystrokes: KEYSTROKES, keyIntervalMs: KEY_INTERVAL_MS, pipelineLines: bigPipeline().split('\n').length - 1 };
    for (const megabytes of [10, 1]) {
      const sample = await sampleFile(dir, megabytes);
      const file = path.join(dir, `typed-${megabytes}.fileflow.json`);
      await writeFile(file, bigPipeline());
      const document = await vscode.workspace.openTextDocument(file);
      const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
      const preview = (await api.authoring.previews.open(document.uri, { kind: 'file', path: sample })) as Preview;
      await settled(preview, document);
      await vscode.window.showTextDocument(document, vscode.ViewColumn.One);

      // The same host, preview open, nobody typing: what the machine's load alone costs.
      const idle = await delayDuring(() => new Promise((resolve) => setTimeout(resolve, KEYSTROKES * KEY_INTERVAL_MS)));
      let latencyMs = 0;
      const profiler = process.env.FILEFLOW_BENCH_PROFILE === '1' ? await startProfile() : undefined;
      const typing = await delayDuring(async () => {
        await type(editor);
        const lastKey = performance.now();
        await settled(preview, document);
        latencyMs = performance.now() - lastKey;
      });
      if (profiler) results[`${megabytes}MB-profile`] = await profiler();
      results[`${megabytes}MB`] = {
        idle,
        typing,
        previewAfterLastKeyMs: Math.round(latencyMs),
        sampleRunMs: Math.round(preview.run?.durationMs ?? 0),
        updates: preview.updates,
      };
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
    // Typing with no preview open (diagnostics still on): VS Code's own cost of the edits.
    const plain = path.join(dir, 'plain.fileflow.json');
    await writeFile(plain, bigPipeline());
    const plainEditor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(plain), vscode.ViewColumn.One);
    results.noPreview = { typing: await delayDuring(() => type(plainEditor)) };
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const out = process.env.FILEFLOW_BENCH_OUT ?? path.resolve(__dirname, '../../../../test-results/host/authoring-typing.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(results, null, 2));
  });
});
