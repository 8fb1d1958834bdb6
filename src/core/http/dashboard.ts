// GET / and /assets/*: the dashboard page. It is the metrics panel of the extension — the
// same markup (src/shared/panelMarkup.ts) and the same script bundle (dist/webview/main.js,
// which finds itself in a browser and talks to this server instead of VS Code) — plus the
// browser's theme (dashboard.css), the file lists and the upload area. The page and its
// assets hold no data, so they need no token; everything they show comes from the API. Its
// URLs are relative, so the page also works behind a path prefix (VS Code's port forwarding
// in code-server and Codespaces serves it under /proxy/PORT/).

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { htmlPage, panelBody } from '../../shared/panelMarkup';

interface Asset {
  body: Buffer;
  type: string;
}

/** The only files served below /assets/: a fixed list, never a path from the request. */
const ASSETS: Record<string, string> = {
  'main.js': 'text/javascript; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
];
/** The page's policy, sent as a header (frame-ancestors works only there) and repeated in a meta tag. */
export const DASHBOARD_CSP = [...PAGE_CSP, "frame-ancestors 'none'"].join('; ');

export class DashboardAssets {
  private readonly assets = new Map<string, Asset>();
  /** Why the page cannot be served (its bundle is missing), or undefined. */
  readonly problem: string | undefined;
  readonly page: Buffer;

  constructor(dir: string) {
    const missing: string[] = [];
    for (const [name, type] of Object.entries(ASSETS)) {
      try {
        this.assets.set(name, { body: readFileSync(path.join(dir, name)), type });
      } catch {
        missing.push(name);
      }
    }
    this.problem = missing.length === 0 ? undefined : `the dashboard's files are missing from ${dir} (${missing.join(', ')}); build them with "npm run build"`;
    this.page = Buffer.from(dashboardHtml());
  }

  asset(name: string): Asset | undefined {
    return Object.hasOwn(ASSETS, name) ? this.assets.get(name) : undefined;
  }
}

function dashboardHtml(): string {
  const body = panelBody({
    empty: 'No queue root is being served. Start one with <code>fileflow watch ROOT --http 127.0.0.1:8000</code>.',
    headerEnd: '<span id="connection" role="status"></span>',
    afterCards: `
  <section id="files-section" aria-label="Files">
    <h2>Files</h2>
    <div id="drop-zone" tabindex="0">Drop files here to queue them, or <label for="upload-input">choose files</label>.<input type="file" id="upload-input" multiple hidden></div>
    <ul id="uploads" aria-live="polite"></ul>
    <div class="file-lists" id="file-lists"></div>
  </section>`,
  });
  return htmlPage({
    csp: PAGE_CSP,
    title: 'Fileflow',
    head: '<meta name="referrer" content="no-referrer">\n<link rel="icon" href="data:,">\n',
    styles: ['assets/dashboard.css', 'assets/styles.css'],
    bodyAttributes: 'class="dashboard"',
    body: `<form id="token-form" hidden>
  <h2>Fileflow dashboard</h2>
  <p>Paste the API token: it is in the start-up line of <code>fileflow watch --http</code> (the <code>#token=</code> link), in <code>ROOT/.fileflow/http-token</code>, or, for VS Code, behind <b>Fileflow: Copy HTTP API Token</b>.</p>
  <p class="error" id="token-error" hidden></p>
  <input id="token-input" type="password" autocomplete="off" spellcheck="false" aria-label="API token">
  <button type="submit">Open the dashboard</button>
</form>
<div id="app" hidden>
${body}
</div>
<dialog id="viewer"><header><span id="viewer-title"></span><button class="action secondary" id="viewer-close" type="button">Close</button></header><pre id="viewer-text"></pre></dialog>
<script src="assets/main.js"></script>`,
  });
}
