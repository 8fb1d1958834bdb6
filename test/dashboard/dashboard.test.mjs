// The HTTP dashboard in a real browser (Debian's Chromium driven by playwright-core; no
// browser is ever downloaded), in front of a real `fileflow watch ROOT --http` process:
// open the #token= link as a person would, see the cards and file lists match the files on
// disk, upload through the page (file picker and drag and drop) and watch the files arrive in
// Processed, open a summary, retry a failed file. Every wait is for a condition, with a
// deadline; screenshots go to test-results/dashboard/ (and, with FILEFLOW_UPDATE_SCREENSHOTS=1,
// the README's to media/screenshots/dashboard.png).
//
//   npm run test:dashboard        (after npm run build)
/* global describe, it, before, after, afterEach -- mocha */
/* global document, DataTransfer, DragEvent, File, sessionStorage, location, getComputedStyle -- page.evaluate() runs these in the browser */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../host/cache.mjs';
import { CHROMIUM_ARGS } from '../host/vscodeWeb.mjs';
import { until, WAIT_MS } from '../host/until.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(repoRoot, 'dist', 'cli.js');
const RESULTS = join(repoRoot, 'test-results', 'dashboard');
const README_SHOT = join(repoRoot, 'media', 'screenshots', 'dashboard.png');
const LINK = /HTTP API and dashboard at (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/;

const line = (i, level) => `2026-01-0${(i % 9) + 1} 10:0${i % 10}:00 [${level}] worker-${i}: message ${i}`;
const log = (n, seed) => Array.from({ length: n }, (_, i) => line(i + seed, ['INFO', 'WARN', 'ERROR', 'DEBUG'][(i + seed) % 4])).join('\n') + '\n';

function names(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1))
    .sort();
}

describe('HTTP dashboard in Chromium', function () {
  this.timeout(180_000);
  let base;
  let root;
  let watcher;
  let stderr = '';
  let link;
  let browser;
  let page;
  const problems = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "node test/host/setup.mjs" (it installs Debian's chromium)`);
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build"`);
    mkdirSync(RESULTS, { recursive: true });
    base = mkdtempSync(join(tmpdir(), 'fileflow-dashboard-'));
    root = join(base, 'logs');
    mkdirSync(join(root, 'unprocessed', '2026'), { recursive: true });
    writeFileSync(join(root, 'unprocessed', 'api.log'), log(400, 1));
    writeFileSync(join(root, 'unprocessed', 'billing.log'), log(250, 2));
    writeFileSync(join(root, 'unprocessed', '2026', 'jobs.log'), log(120, 3));
    writeFileSync(join(root, 'unprocessed', 'core.log'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 0x0a])); // binary: fails
    const env = { ...process.env };
    delete env.FILEFLOW_HTTP_TOKEN;
    watcher = spawn(process.execPath, [CLI, 'watch', root, '--http', '127.0.0.1:0', '--stability-ms', '100'], { cwd: base, env, stdio: ['ignore', 'ignore', 'pipe'] });
    watcher.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    link = (await until('the dashboard link on stderr', () => LINK.exec(stderr)))[1];
    await until('the four files to finish', () => names(join(root, 'processed')).length === 3 && names(join(root, 'failed')).length === 1);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  });

  after(async function () {
    if (page && this.currentTest?.state === 'failed') await page.screenshot({ path: join(RESULTS, 'failure.png') }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    if (watcher && watcher.exitCode === null) {
      watcher.kill('SIGTERM');
      await until('the watcher to exit', () => watcher.exitCode !== null || watcher.signalCode !== null, { timeout: 20_000, every: 100 }).catch(() => watcher.kill('SIGKILL'));
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await page.screenshot({ path: join(RESULTS, `failed-${this.currentTest.title.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    }
  });

  const figure = (id) => page.locator(`[data-figure="${id}"]`).innerText();
  const listed = (state) => page.locator(`.file-list[data-state="${state}"] li[data-name]`).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-name')).sort());

  it('opens the #token= link, keeps the token in sessionStorage and removes it from the address bar', async () => {
    await page.goto(link);
    await page.locator('#cards .card').first().waitFor({ timeout: WAIT_MS });
    assert.equal(new URL(page.url()).hash, '', 'the fragment is gone');
    assert.doesNotMatch(await page.evaluate(() => location.href), /token/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fileflow.token')), new URL(link).hash.slice('#token='.length));
    await until('the live feed', async () => (await page.locator('#connection').innerText()) === 'live');
  });

  it('shows cards and file lists that match the files on disk', async () => {
    const processed = names(join(root, 'processed'));
    const failed = names(join(root, 'failed'));
    await until('the cards to count the finished files', async () => (await figure('processed')) === String(processed.length) && (await figure('failed')) === String(failed.length));
    const rendered = JSON.parse(await page.evaluate(() => document.body.dataset.rendered ?? '{}'));
    assert.equal(rendered.processed, processed.length);
    assert.equal(rendered.failed, failed.length);
    assert.equal(rendered.linesIn, 400 + 250 + 120);
    await until('the file lists', async () => JSON.stringify(await listed('processed')) === JSON.stringify(processed));
    assert.deepEqual(await listed('failed'), failed);
    assert.deepEqual(await listed('queued'), []);
    assert.equal(await page.locator('[data-count="processed"]').innerText(), String(processed.length));
    await page.screenshot({ path: join(RESULTS, 'dashboard-light.png'), fullPage: true });
  });

  it('shows a processed file’s result and summary in the viewer', async () => {
    await page.locator('.file-list[data-state="processed"] li[data-name="api.log"] a[data-action="result"]').click();
    await until('the result in the viewer', async () => (await page.locator('#viewer-text').innerText()).startsWith('api.log:'));
    const expected = readFileSync(join(root, 'results', 'api.log'), 'utf8').trimEnd();
    assert.equal((await page.locator('#viewer-text').innerText()).trimEnd(), expected);
    await page.locator('#viewer-close').click();
    await page.locator('.file-list[data-state="processed"] li[data-name="api.log"] a[data-action="summary"]').click();
    await until('the summary in the viewer', async () => (await page.locator('#viewer-text').innerText()).includes('"status": "processed"'));
    await page.screenshot({ path: join(RESULTS, 'summary-viewer.png') });
    await page.locator('#viewer-close').click();
  });

  it('uploads a file through the page and sees it arrive in Processed', async () => {
    const upload = join(base, 'uploaded.log');
    writeFileSync(upload, log(60, 5));
    await page.locator('#upload-input').setInputFiles(upload);
    const row = page.locator('#uploads li.done[data-file="uploaded.log"]');
    await row.waitFor({ timeout: WAIT_MS });
    assert.equal(await row.getAttribute('data-saved-as'), 'uploaded.log');
    await until('uploaded.log processed on disk', () => names(join(root, 'processed')).includes('uploaded.log'));
    await until('uploaded.log in the Processed list', async () => (await listed('processed')).includes('uploaded.log'));
    assert.equal(readFileSync(join(root, 'processed', 'uploaded.log'), 'utf8'), log(60, 5));
  });

  it('takes files dropped on the upload area, and names a taken name "stem (2).ext"', async () => {
    await page.evaluate((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'api.log', { type: 'text/plain' }));
      const zone = document.getElementById('drop-zone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, log(30, 7));
    const row = page.locator('#uploads li.done[data-file="api.log"]');
    await row.waitFor({ timeout: WAIT_MS });
    assert.equal(await row.getAttribute('data-saved-as'), 'api (2).log');
    assert.match(await row.innerText(), /queued as api \(2\)\.log/);
    await until('api (2).log processed on disk', () => names(join(root, 'processed')).includes('api (2).log'));
    await until('api (2).log in the Processed list', async () => (await listed('processed')).includes('api (2).log'));
    await until('the cards to count it', async () => (await figure('processed')) === String(names(join(root, 'processed')).length));
  });

  it('retries a failed file from its Retry button', async () => {
    // The person fixes the file first (here: replaces the binary with text), then retries.
    writeFileSync(join(root, 'failed', 'core.log'), log(10, 9));
    await page.locator('.file-list[data-state="failed"] li[data-name="core.log"] button[data-action="retry"]').click();
    await until('core.log processed on disk', () => names(join(root, 'processed')).includes('core.log'));
    assert.deepEqual(names(join(root, 'failed')), []);
    await until('core.log in the Processed list, none failed', async () => (await listed('processed')).includes('core.log') && (await listed('failed')).length === 0);
    await until('the retry notice', async () => (await page.locator('#uploads').innerText()).includes('core.log is queued again'));
  });

  it('is themed for the browser: light and dark follow prefers-color-scheme', async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await background(), 'rgb(255, 255, 255)');
    await page.screenshot({ path: join(RESULTS, 'dashboard-final-light.png'), fullPage: true });
    if (process.env.FILEFLOW_UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: README_SHOT });
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await background(), 'rgb(31, 31, 31)');
    await page.screenshot({ path: join(RESULTS, 'dashboard-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('asks for the token again when the server refuses it', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    try {
      const url = new URL(link);
      await other.goto(`${url.origin}/#token=not-the-right-token-at-all`);
      await other.locator('#token-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.match(await other.locator('#token-error').innerText(), /refused/);
      assert.equal(await other.evaluate(() => sessionStorage.getItem('fileflow.token')), null);
      await other.locator('#token-input').fill(url.hash.slice('#token='.length));
      await other.locator('#token-form button[type="submit"]').click();
      await other.locator('#cards .card').first().waitFor({ timeout: WAIT_MS });
      await other.screenshot({ path: join(RESULTS, 'token-form-then-dashboard.png') });
    } finally {
      await context.close();
    }
  });

  it('ran without a console error or a CSP violation', () => {
    assert.deepEqual(problems, []);
  });
});

