// UI end-to-end scenarios of pipeline authoring (docs/authoring.md), run by run.mjs as the group
// "authoring": a pipeline file with a mistake, named in the Problems panel and fixed with its
// quick fix; Preview Pipeline over a log file, with a line's node path on hover; the file's
// tests run from the Testing view, a failure shown as a diff. Keyboard, mouse and the screen.
/* global document -- functions passed to page.evaluate() run in the browser */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until, WAIT_MS } from '../host/until.mjs';

const RESULTS = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'test-results', 'e2e');

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const LOG = [
  '2026-11-30 08:00:00 [INFO] Api: started',
  '2026-11-30 08:00:01 [WARN] Cache: slow response',
  '2026-11-30 08:00:02 [ERROR] Db: connection refused',
  '2026-11-30 08:00:03 [DEBUG] Auth: token refreshed',
  '2026-11-30 08:00:04 [WARN] Disk: 91% full',
];
// What the fixed pipeline gives for LOG (written by hand): warnings with file and line, errors shouted.
const LOG_RESULT = ['app.log:2: 2026-11-30 08:00:01 [WARN] Cache: slow response', 'ERROR! 2026-11-30 08:00:02 [ERROR] DB: CONNECTION REFUSED', 'app.log:5: 2026-11-30 08:00:04 [WARN] Disk: 91% full'];

const PIPELINE = `{
  "version": 1,
  "nodes": {
    "start": { "use": "tagByLevel" },
    "warn": { "use": "template", "with": { "format": "{file}:{n}: {line}" } },
    "error": { "use": "template", "with": { "format": "error! {line}" }, "then": "shuot" },
    "shout": { "use": "uppercase" },
    "debug": { "use": "drop" },
    "info": { "use": "drop" },
    "other": { "use": "drop" },
    "critical": { "use": "drop" }
  },
  "tests": [
    {
      "name": "warnings keep file and line",
      "file": "app.log",
      "input": ["a [WARN] disk", "b [INFO] ok"],
      "expect": { "output": ["app.log:1: a [WARN] disk"], "tags": { "warn": 1, "info": 1 } }
    },
    {
      "name": "errors are shouted",
      "input": ["c [ERROR] db down"],
      "expect": { "output": ["ERROR: C [ERROR] DB DOWN"] }
    }
  ]
}
`;

function layout(dir) {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'logs', 'app.log'), `${LOG.join('\n')}\n`);
  writeFileSync(join(dir, 'fileflow.pipeline.json'), PIPELINE);
}

/** The text of the editor whose tab is `tab`, as Monaco renders it (its visible lines). */
async function editorText(page, tab) {
  return page.evaluate((label) => {
    for (const group of document.querySelectorAll('.editor-group-container')) {
      const active = group.querySelector('.tabs-container .tab.active');
      if (!active?.getAttribute('aria-label')?.startsWith(label)) continue;
      const lines = [...group.querySelectorAll('.view-lines .view-line')].map((line) => ({ top: parseFloat(line.style.top), text: line.textContent.replace(/\u00a0/g, ' ') }));
      return lines.sort((a, b) => a.top - b.top).map((line) => line.text).join('\n');
    }
    return undefined;
  }, tab);
}

/**
 * Control+P, the file's path, then its row. (Not ui.openFile: the breadcrumbs of a JSON file
 * go on into the JSON's own structure, so its check never matches.)
 */
async function openFile(ui, path) {
  await ui.closeQuickInput();
  await ui.page.keyboard.press('Control+P');
  await ui.page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: WAIT_MS });
  await ui.page.keyboard.type(path);
  const name = path.split('/').at(-1);
  await ui.pick(name);
  await until(`the editor of ${path} to be active`, async () => {
    const seen = await ui.page.$$eval('.editor-group-container.active .tabs-container .tab.active', (els) => els.map((e) => e.getAttribute('aria-label')));
    return { ok: seen.some((t) => t?.startsWith(name)), seen };
  });
}

async function problemsRows(page) {
  return page.$$eval('.markers-panel .monaco-list-row', (rows) => rows.map((row) => row.getAttribute('aria-label') ?? row.textContent));
}

async function problemsAndFix({ ui, workspaceDir }) {
  await openFile(ui, 'fileflow.pipeline.json');
  await ui.page.keyboard.press('Control+Shift+M');
  const rows = await until('the Problems panel to name the tag with no node', async () => {
    const seen = await problemsRows(ui.page);
    return { ok: seen.some((r) => /no node "shuot" \(did you mean "shout"\?\)/.test(r)), seen };
  });
  ui.log(`[e2e] problems: ${JSON.stringify(rows)}`);
  check(rows.some((r) => /fileflow/.test(r)), `the problem's source is not fileflow: ${JSON.stringify(rows)}`);
  const shot = await ui.screenshot('authoring-problems');

  // The problem's row has a light bulb: its quick fixes.
  const row = ui.page.locator('.markers-panel .monaco-list-row', { hasText: /shuot/ }).last();
  await row.hover();
  await row.locator('[class*="lightbulb"], [class*="light-bulb"]').first().click();
  const fix = ui.page.getByText('Change to "shout"', { exact: true }).first();
  await fix.waitFor({ state: 'visible', timeout: WAIT_MS });
  await ui.screenshot('authoring-quick-fix');
  await fix.click();
  await ui.page.keyboard.press('Control+S');
  await until('the fix saved to disk', () => readFileSync(join(workspaceDir, 'fileflow.pipeline.json'), 'utf8').includes('"then": "shout"'));
  await until('the Problems panel to be empty of Fileflow problems', async () => {
    const seen = await problemsRows(ui.page);
    return { ok: !seen.some((r) => /fileflow|shuot/.test(r)), seen };
  });
  return { readmeShots: [[shot, 'authoring-problems.png']] };
}

async function previewOnLogFile({ ui }) {
  await ui.runCommand('View: Close All Editors');
  // Room for three editors side by side: the side bar and the Problems panel close.
  await ui.runCommand('View: Close Primary Side Bar');
  await ui.runCommand('View: Toggle Panel Visibility');
  await openFile(ui, 'logs/app.log');
  await ui.runCommand('View: Split Editor Right');
  await openFile(ui, 'fileflow.pipeline.json');
  // The editor title's Preview Pipeline button.
  const button = ui.page.locator('.editor-group-container.active .editor-actions .action-label[aria-label^="Preview Pipeline"]');
  await button.waitFor({ state: 'visible', timeout: WAIT_MS });
  await button.click();
  const text = await until('the preview beside the pipeline to show the result over app.log', async () => {
    const seen = await editorText(ui.page, 'fileflow.pipeline.json (preview)');
    return { ok: seen?.trimEnd() === LOG_RESULT.join('\n'), seen };
  });
  ui.log(`[e2e] preview: ${text}`);

  // Hovering the shouted line shows where it came from.
  const line = ui.page.locator('.editor-group-container .view-line', { hasText: /ERROR!.2026/ }).first();
  await line.hover({ position: { x: 40, y: 8 } });
  const hover = await until('the hover with the node path', async () => {
    const seen = await ui.page.locator('.monaco-hover').allTextContents();
    return { ok: seen.some((t) => /Input line 3/.test(t) && /start → error → shout → end/.test(t)), seen };
  });
  ui.log(`[e2e] hover: ${JSON.stringify(hover)}`);
  // Not ui.screenshot(): it moves the mouse away first, and the hover is the point here.
  const shot = join(RESULTS, 'authoring-preview.png');
  await ui.page.screenshot({ path: shot, timeout: 15_000 });

  // An edit in the pipeline shows in the preview: errors get their line number.
  await ui.page.mouse.move(10, 790);
  await ui.page.locator('.editor-group-container.active .view-line', { hasText: 'error! {line}' }).click();
  await ui.page.keyboard.press('Control+H');
  await ui.page.keyboard.type('error! {line}');
  await ui.page.keyboard.press('Tab');
  await ui.page.keyboard.type('error {n}! {line}');
  await ui.page.keyboard.press('Control+Alt+Enter');
  await ui.page.keyboard.press('Escape');
  await until('the preview to follow the edit', async () => {
    const seen = await editorText(ui.page, 'fileflow.pipeline.json (preview)');
    return { ok: seen?.includes('ERROR 3! 2026-11-30 08:00:02 [ERROR] DB: CONNECTION REFUSED'), seen };
  });
  await ui.page.keyboard.press('Control+Z');
  await ui.page.keyboard.press('Control+S');
  return { readmeShots: [[shot, 'authoring-preview.png']] };
}

async function testingView({ ui }) {
  await ui.runCommand('View: Close All Editors');
  await ui.runCommand('View: Toggle Primary Side Bar Visibility');
  await openFile(ui, 'fileflow.pipeline.json');
  await ui.runCommand('Test: Run All Tests');
  // The Testing view, from the activity bar, as a person would find it.
  await ui.page.locator('.part.activitybar .action-item a[aria-label^="Testing"], .part.activitybar .action-item [aria-label^="Testing"]').first().click();
  const rows = await until('the Testing view to show one test passed and one failed', async () => {
    const seen = await ui.page.$$eval('.part.sidebar .monaco-list-row', (els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent));
    const passed = seen.some((r) => /warnings keep file and line.*Passed/i.test(r));
    const failed = seen.some((r) => /errors are shouted.*Failed/i.test(r));
    return { ok: passed && failed, seen };
  }, { timeout: 60_000 });
  ui.log(`[e2e] testing view: ${JSON.stringify(rows)}`);
  // The failure's message: expected against actual, at the test in the file.
  await until('the failure shown in the editor', async () => {
    const seen = await ui.page.locator('.test-output-peek, .test-message-inline-content, .zone-widget').allTextContents();
    return { ok: seen.some((t) => /output differs|ERROR! C \[ERROR\] DB DOWN|ERROR: C/.test(t)), seen };
  }).catch(async () => {
    // Open the failure as a person would: the failed test's row, "Peek Output" via its context.
    await ui.page.locator('.part.sidebar .monaco-list-row', { hasText: 'errors are shouted' }).first().dblclick();
  });
  const shot = await ui.screenshot('authoring-testing');
  return { readmeShots: [[shot, 'authoring-testing.png']] };
}

export const authoringGroup = {
  name: 'authoring',
  title: 'pipeline authoring',
  settings: { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'testing.automaticallyOpenPeekView': 'failureAnywhere' },
  layout,
  scenarios: [
    ['Problems panel: a pipeline mistake is named where it is; its quick fix fixes it', problemsAndFix],
    ['Preview Pipeline on a log file: the result beside the pipeline, a line’s node path on hover, edits followed', previewOnLogFile],
    ["Testing view: the pipeline file's tests run, a failure shown against what was expected", testingView],
  ],
};
