// The sample worker thread: compiles a pipeline (the text of its file, or the editor's, handed
// in by the caller) and runs its tests and previews in memory, so that a stuck processor or a regular expression that
// backtracks for ever blocks this thread, which the SampleRunner can end, and never the caller.

import { readFile } from 'node:fs/promises';
import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { compilePipelineObject, loadDefaultConfig, matchesSchema, parsePipelineText, pipelineShapes, type LoadedConfig } from '../config/pipelineConfig';
import { ConfigError, errorMessage } from '../errors';
import { processInMemory } from '../processFile';
import { readTests, testInput, type PipelineTest, type TestInput } from './pipelineTests';
import { packTraces, type FromSampleWorker, type InvalidStage, type SampleRun, type ToSampleWorker } from './sampleProtocol';
import { checkTest } from './testRunner';

const port = parentPort;
if (!port) throw new Error('sampleWorker.ts must run as a worker thread');

if ((workerData as { background?: boolean } | null)?.background) {
  try {
    // Priority 0 means the calling thread on Linux (nice is per thread there): this worker only.
    setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not allowed here: run at the normal priority.
  }
}

let config: LoadedConfig | undefined;
let tests: PipelineTest[] = [];
const kept = new Map<string, TestInput>();

function post(message: FromSampleWorker): void {
  port?.postMessage(message);
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToSampleWorker) => {
  queue = queue.then(() => handle(message)).catch((error: unknown) => post({ type: 'error', id: message.id, message: errorMessage(error) }));
});

async function handle(message: ToSampleWorker): Promise<void> {
  switch (message.type) {
    case 'load': {
      const { pipeline } = message;
      config = undefined;
      tests = [];
      let stage: InvalidStage = 'json';
      try {
        if (pipeline === undefined) {
          config = await loadDefaultConfig();
        } else {
          const raw = parsePipelineText(pipeline.text, pipeline.file);
          stage = matchesSchema(raw) ? 'semantic' : 'schema';
          // Custom modules are imported, and their createProcessor called, only when allowed
          // (a trusted workspace): in Restricted Mode no workspace code runs here.
          config = await compilePipelineObject(raw, pipeline.file, { allowCustomModules: message.allowCustomModules, checkTests: message.checkTests });
          tests = readTests(raw, pipeline.file).tests;
        }
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        post({ type: 'invalid', id: message.id, message: error.message, issues: error.issues, stage });
        return;
      }
      post({ type: 'loaded', id: message.id, tests, pipelines: pipelineShapes(config), usesCustomModules: config.usesCustomModules });
      return;
    }
    case 'test': {
      const test = tests[message.index];
      if (!config || !test) throw new Error(`no test ${message.index} loaded`);
      const input = await testInput(test);
      const started = performance.now();
      const { summary, lines } = await processInMemory(config, { name: test.file, source: test.file }, input, { maxLineBytes: message.maxLineBytes });
      post({ type: 'tested', id: message.id, result: checkTest(test, summary, lines, performance.now() - started) });
      return;
    }
    case 'keep': {
      kept.clear(); // one sample at a time is all a preview needs
      const { sample } = message;
      kept.set(message.key, 'text' in sample ? sample : { bytes: Buffer.from(sample.bytes.buffer, sample.bytes.byteOffset, sample.bytes.byteLength) });
      post({ type: 'kept', id: message.id });
      return;
    }
    case 'run': {
      if (!config) throw new Error('no pipeline loaded');
      const input = 'path' in message.input ? { bytes: await readFile(message.input.path) } : kept.get(message.input.key);
      if (!input) throw new Error(`no sample kept as "${'key' in message.input ? message.input.key : ''}"`);
      const started = performance.now();
      const result = await processInMemory(config, { name: message.name, source: message.name }, input, { maxLineBytes: message.maxLineBytes, trace: message.trace });
      const durationMs = performance.now() - started;
      const lines = result.lines.length > message.maxLines ? result.lines.slice(0, message.maxLines) : result.lines;
      const traces = result.traces ? packTraces(result.traces.slice(0, message.maxLines)) : undefined;
      const run: SampleRun = {
        summary: result.summary,
        text: lines.map((line) => `${line}\n`).join(''),
        lineCount: lines.length,
        totalLines: result.lines.length,
        durationMs,
        ...(traces ? { traces } : {}),
      };
      port?.postMessage({ type: 'ran', id: message.id, run } satisfies FromSampleWorker, traces ? [traces.pathOf.buffer as ArrayBuffer, traces.n.buffer as ArrayBuffer] : []);
      return;
    }
  }
}
