// Performance probe, not a test of behaviour (run by `npm run bench`, never by `npm test`):
// the extension host's event-loop delay while the queue processes a big file and a burst of
// small ones, against the same host idle. Processing runs in worker threads, so the host
// thread should stay responsive. Figures go to the JSON named by FILEFLOW_BENCH_OUT.
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { sampleLogLines, seededRandom } from '../../../src/core/samples';
import { COMMANDS } from '../../../src/extension/constants';
import { extensionApi, scratchFolder, waitFor } from '../suite/helpers';

const MOVE_ALL = `const fs = require('fs'), path = require('path'); const [from, to] = process.argv.slice(1);
for (const name of fs.readdirSync(from)) fs.renameSync(path.join(from, name), path.join(to, name));`;

/** A dashboard's event stream, read by another process (as a browser would): counts the messages until killed. */
const DASHBOARD = `const http = require('http'); const [url, token, out] = process.argv.slice(1); let messages = 0;
const req = http.get(url, { headers: { authorization: 'Bearer ' + token } }, (res) => { res.setEncoding('utf8'); res.on('data', (t) => { messages += t.split('\\n\\n').length - 1; }); });
req.on('error', () => undefined); process.on('SIGTERM', () => { require('fs').writeFileSync(out, String(messages)); process.exit(0); });`;

const BIG_MB = Number(process.env.FILEFLOW_BENCH_BIG_MB ?? 1024);
/** With FILEFLOW_BENCH_HTTP=1 the HTTP server is on and a dashboard is open during the burst. */
const WITH_HTTP = process.env.FILEFLOW_BENCH_HTTP === '1';
const BURST = Number(process.env.FILEFLOW_BENCH_BURST ?? 2000);
const RESOLUTION_MS = 10;

async function delayOver(ms: number, work?: () => Promise<void>): Promise<{ p50: number; p99: number; max: number; seconds: number }> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const started = Date.now();
  if (work) await work();
  else await new Promise((resolve) => setTimeout(resolve, ms));
  histogram.disable();
  // The histogram holds the time between samples; the delay is what exceeds the resolution.
  const toMs = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
  return { p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max), seconds: (Date.now() - started) / 1000 };
}

describe('extension host responsiveness (benchmark)', () => {
  it(`stays responsive while a ${BIG_MB} MB file and ${BURST} small files are processed${WITH_HTTP ? ', the HTTP server on and a dashboard open' : ''}`, async () => {
    const dir = await scratchFolder('responsiveness');
    const staging = path.join(dir, 'staging');
    await mkdir(staging, { recursive: true });
    // The big file: sample lines repeated up to the size (written outside the inbox, moved in).
    const chunk = Buffer.from(sampleLogLines(8000, seededRandom(3)).join('\n') + '\n');
    const big = await open(path.join(staging, 'big.log'), 'w');
    for (let written = 0; written < BIG_MB * 1024 * 1024; written += chunk.length) await big.write(chunk);
    await big.close();
    const random = seededRandom(5);
    for (let i = 0; i < BURST; i++) await writeFile(path.join(staging, `s${i}.log`), sampleLogLines(50, random).join('\n') + '\n');

    const api = await extensionApi();
    await vscode.commands.executeCommand(COMMANDS.watchFolder, vscode.Uri.file(dir));
    let dashboard: ReturnType<typeof spawn> | undefined;
    const dashboardOut = path.join(dir, 'dashboard-messages.txt');
    if (WITH_HTTP) {
      await vscode.workspace.getConfiguration('fileflow.http').update('port', 0, vscode.ConfigurationTarget.Global);
      await vscode.workspace.getConfiguration('fileflow.http').update('enabled', true, vscode.ConfigurationTarget.Global);
      const url = await waitFor('the HTTP server', () => api.http.url);
      dashboard = spawn(process.execPath, ['-e', DASHBOARD, `${url}/events?root=${encodeURIComponent(dir)}`, await api.http.token(), dashboardOut], { stdio: 'ignore' });
    }
    const idle = await delayOver(3000);
    const busy = await delayOver(0, async () => {
      // Another process delivers the files, as in real use (not this thread's event loop).
      const mover = spawn(process.execPath, ['-e', MOVE_ALL, staging, path.join(dir, 'unprocessed')], { stdio: 'ignore' });
      await new Promise((resolve) => mover.on('exit', resolve));
      // Poll rarely: the probe itself should not be what keeps the thread busy.
      await waitFor('everything processed', async () => (await readdir(path.join(dir, 'processed'))).length === BURST + 1, 30 * 60_000, 500);
    });
    let dashboardMessages: number | undefined;
    if (dashboard) {
      dashboard.kill('SIGTERM');
      await new Promise((resolve) => dashboard?.on('exit', resolve));
      dashboardMessages = Number(await readFile(dashboardOut, 'utf8'));
      await vscode.workspace.getConfiguration('fileflow.http').update('enabled', undefined, vscode.ConfigurationTarget.Global);
      await vscode.workspace.getConfiguration('fileflow.http').update('port', undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand(COMMANDS.stopWatchingFolder, vscode.Uri.file(dir));
    const out = process.env.FILEFLOW_BENCH_OUT ?? path.resolve(__dirname, '../../../../test-results/host/responsiveness.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify({ bigMB: BIG_MB, burst: BURST, http: WITH_HTTP, dashboardMessages, idle, busy }, null, 2));
  });
});
