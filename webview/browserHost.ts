// The metrics page's second host: the HTTP dashboard in a plain browser. The server's event
// stream (GET /events, Server-Sent Events read with fetch, because EventSource cannot send
// an Authorization header) brings the same messages VS Code would post; the page's own
// messages become API calls. The token arrives once in the `#token=` fragment (never sent to
// the server, and removed from the address bar at once), is kept in sessionStorage, and is
// only ever sent as a bearer header. URLs are relative to the page (it may sit behind a
// path prefix, as with VS Code's port forwarding).

import type { HostToWebview, PanelState, RenderedFigures, WebviewToHost } from '../src/shared/protocol';
import { DashboardUi } from './dashboard';
import type { PanelHost } from './host';

const TOKEN_KEY = 'fileflow.token';
const STATE_KEY = 'fileflow.panelState';
const MAX_RETRY_MS = 30_000;

export interface UploadOutcome {
  /** The name the file got in the inbox. */
  name: string;
}

export function browserHost(receive: (message: HostToWebview) => void): PanelHost {
  let token = takeToken();
  let selected: string | undefined;
  let stream: AbortController | undefined;
  let retryMs = 1000;
  let retryTimer: number | undefined;
  let wantedRoot: string | undefined;

  const authHeaders = (): Record<string, string> => ({ Authorization: `Bearer ${token ?? ''}` });
  const withRoot = (url: string, root = selected): string => (root === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}root=${encodeURIComponent(root)}`);
  const fileUrl = (file: string, action: string): string => `files/${file.split('/').map(encodeURIComponent).join('/')}/${action}`;

  const ui = new DashboardUi({
    submitToken(value) {
      token = value;
      sessionStorage.setItem(TOKEN_KEY, value);
      ui.showApp();
      connect(wantedRoot);
    },
    open: (file, kind) => void openFile(file, kind),
    retry: (file) => void retry(file),
    upload: (file, onProgress) => upload(file, onProgress),
  });

  function refused(): void {
    stream?.abort();
    token = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
    ui.askToken('The server refused this token. Paste the current one.');
  }

  function connect(root: string | undefined): void {
    wantedRoot = root;
    if (token === undefined) {
      ui.askToken();
      return;
    }
    stream?.abort();
    window.clearTimeout(retryTimer);
    const controller = new AbortController();
    stream = controller;
    ui.setConnection('connecting…', false);
    void (async () => {
      try {
        const response = await fetch(withRoot('events', root), { headers: authHeaders(), cache: 'no-store', signal: controller.signal });
        if (response.status === 401) return refused();
        if (!response.ok || !response.body) throw new Error(await errorOf(response));
        ui.setConnection('live', false);
        retryMs = 1000;
        await readEvents(response.body, (message) => {
          if (message.type === 'files') {
            ui.renderFiles(message.root, message.lists);
            return;
          }
          selected = message.type === 'snapshot' ? message.state.selected : message.selected;
          receive(message);
        });
        throw new Error('the server closed the stream');
      } catch (error) {
        if (controller.signal.aborted) return;
        ui.setConnection(`disconnected (${(error as Error).message}); retrying…`, true);
        retryTimer = window.setTimeout(() => connect(wantedRoot), retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    })();
  }

  async function openFile(file: string, kind: 'result' | 'summary'): Promise<void> {
    ui.showViewer(`${file} — ${kind}`, 'loading…');
    const response = await fetch(withRoot(fileUrl(file, kind)), { headers: authHeaders(), cache: 'no-store' }).catch((error: Error) => error);
    if (response instanceof Error) return ui.showViewer(`${file} — ${kind}`, `could not load it: ${response.message}`);
    if (response.status === 401) return refused();
    if (!response.ok) return ui.showViewer(`${file} — ${kind}`, await errorOf(response));
    let text = await response.text();
    if (kind === 'summary') {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // shown as it is
      }
    }
    ui.showViewer(`${file} — ${kind}`, text === '' ? '(empty)' : text);
  }

  async function retry(file: string): Promise<void> {
    const response = await fetch(withRoot(fileUrl(file, 'retry')), { method: 'POST', headers: authHeaders() }).catch((error: Error) => error);
    if (response instanceof Error) return ui.notice(`Retry ${file}: ${response.message}`, true);
    if (response.status === 401) return refused();
    if (!response.ok) return ui.notice(`Retry ${file}: ${await errorOf(response)}`, true);
    const { queuedAs } = (await response.json()) as { queuedAs: string };
    ui.notice(`${file} is queued again${queuedAs === file ? '' : ` as ${queuedAs}`}.`, false);
  }

  /** Raw body with ?name=: one request per file, so each has its own progress. */
  function upload(file: File, onProgress: (fraction: number) => void): Promise<UploadOutcome> {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', withRoot(`upload?name=${encodeURIComponent(file.name)}`));
      request.setRequestHeader('Authorization', `Bearer ${token ?? ''}`);
      request.setRequestHeader('Content-Type', 'application/octet-stream');
      request.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      request.onerror = () => reject(new Error('the connection failed'));
      request.onload = () => {
        if (request.status === 401) refused();
        let body: { files?: UploadOutcome[]; error?: string } = {};
        try {
          body = JSON.parse(request.responseText) as typeof body;
        } catch {
          // not JSON: the status says enough
        }
        if (request.status === 201 && body.files?.[0]) resolve(body.files[0]);
        else reject(new Error(body.error ?? `HTTP ${request.status}`));
      };
      request.send(file);
    });
  }

  return {
    post(message: WebviewToHost): void {
      switch (message.type) {
        case 'ready':
          connect(undefined);
          break;
        case 'selectRoot':
          connect(message.root);
          break;
        case 'openSummary':
          void openFile(message.file, 'summary');
          break;
        case 'openResult':
          void openFile(message.file, 'result');
          break;
        case 'retry':
          void retry(message.file);
          break;
        case 'rendered':
          // What the cards show, for tests that compare it with the files on disk.
          document.body.dataset.rendered = JSON.stringify(message.figures satisfies RenderedFigures);
          break;
      }
    },
    getState(): PanelState | undefined {
      try {
        const saved = sessionStorage.getItem(STATE_KEY);
        return saved ? (JSON.parse(saved) as PanelState) : undefined;
      } catch {
        return undefined;
      }
    },
    setState(state: PanelState): void {
      try {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
      } catch {
        // storage full or off: the next snapshot brings everything back anyway
      }
    },
  };
}

/** The token from `#token=…` (kept, then removed from the address bar), else the one kept. */
function takeToken(): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    let value = match[1];
    try {
      value = decodeURIComponent(value);
    } catch {
      // used as it is
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

async function errorOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: string };
    if (body.error) return body.error;
  } catch {
    // not JSON
  }
  return `HTTP ${response.status}`;
}

/** Reads a text/event-stream body, calling `onMessage` with each event's JSON data. */
async function readEvents(body: ReadableStream<Uint8Array>, onMessage: (message: HostToWebview) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (data !== '') onMessage(JSON.parse(data) as HostToWebview);
    }
  }
}
