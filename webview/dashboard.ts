// The parts of the page only the HTTP dashboard has (the markup is in
// src/core/http/dashboard.ts): the token form, the file lists by state with their result,
// summary and retry actions, the upload area (drag and drop or a file picker, a progress bar
// per file, and the name each file got), and a viewer for results and summaries.

import type { FileListEntry, FileListState, FileLists } from '../src/shared/protocol';
import type { UploadOutcome } from './browserHost';
import { escapeHtml as text } from './dom';

export interface DashboardActions {
  submitToken(token: string): void;
  open(file: string, kind: 'result' | 'summary'): void;
  retry(file: string): void;
  upload(file: File, onProgress: (fraction: number) => void): Promise<UploadOutcome>;
}

const TITLES: Record<FileListState, string> = { queued: 'Queued', inProgress: 'In progress', processed: 'Processed', failed: 'Failed' };
const ORDER: FileListState[] = ['queued', 'inProgress', 'processed', 'failed'];
/** Upload rows kept on the page (older ones drop off). */
const MAX_UPLOAD_ROWS = 20;

function element<T extends HTMLElement = HTMLElement>(id: string): T | undefined {
  return (document.getElementById(id) as T | null) ?? undefined;
}

export class DashboardUi {
  private readonly form = element<HTMLFormElement>('token-form');
  private readonly app = element('app');
  private readonly viewer = element<HTMLDialogElement>('viewer');

  constructor(private readonly actions: DashboardActions) {
    this.form?.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = element<HTMLInputElement>('token-input');
      const value = input?.value.trim() ?? '';
      if (value === '') return;
      if (input) input.value = '';
      actions.submitToken(value);
    });
    element('viewer-close')?.addEventListener('click', () => this.viewer?.close());
    element('file-lists')?.addEventListener('click', (event) => {
      const target = (event.target as Element).closest('[data-action]');
      if (!target) return;
      event.preventDefault();
      const file = target.getAttribute('data-target') ?? '';
      const action = target.getAttribute('data-action');
      if (action === 'result' || action === 'summary') actions.open(file, action);
      if (action === 'retry') {
        (target as HTMLButtonElement).disabled = true;
        actions.retry(file);
      }
    });
    this.setUpUploads();
    this.showApp();
  }

  showApp(): void {
    if (this.form) this.form.hidden = true;
    if (this.app) this.app.hidden = false;
  }

  askToken(error?: string): void {
    if (this.app) this.app.hidden = true;
    if (this.form) this.form.hidden = false;
    const message = element('token-error');
    if (message) {
      message.hidden = error === undefined;
      message.textContent = error ?? '';
    }
    element<HTMLInputElement>('token-input')?.focus();
  }

  setConnection(status: string, bad: boolean): void {
    const connection = element('connection');
    if (!connection) return;
    connection.textContent = status;
    connection.classList.toggle('bad', bad);
  }

  notice(message: string, bad: boolean): void {
    this.addUploadRow(message, bad ? 'error' : 'done');
  }

  renderFiles(root: string, lists: FileLists): void {
    const host = element('file-lists');
    if (!host) return;
    host.dataset.root = root;
    host.innerHTML = ORDER.map((state) => {
      const files = lists.files[state];
      const count = lists.counts[state];
      const rows = files.length === 0 ? '<li class="none">none</li>' : files.map((file) => row(state, file)).join('');
      const more = count > files.length ? `<div class="more">and ${count - files.length} more (GET /files?status=${state})</div>` : '';
      return `<div class="file-list" data-state="${state}"><h3>${TITLES[state]} <vscode-badge data-count="${state}">${count}</vscode-badge></h3><ul>${rows}</ul>${more}</div>`;
    }).join('');
  }

  showViewer(title: string, body: string): void {
    if (!this.viewer) return;
    const heading = element('viewer-title');
    const content = element('viewer-text');
    if (heading) heading.textContent = title;
    if (content) content.textContent = body;
    if (!this.viewer.open) this.viewer.showModal();
  }

  private setUpUploads(): void {
    const zone = element('drop-zone');
    const input = element<HTMLInputElement>('upload-input');
    if (!zone || !input) return;
    input.addEventListener('change', () => {
      this.uploadAll([...(input.files ?? [])]);
      input.value = '';
    });
    zone.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        input.click();
      }
    });
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('over');
      this.uploadAll([...(event.dataTransfer?.files ?? [])]);
    });
  }

  private uploadAll(files: File[]): void {
    for (const file of files) {
      const li = this.addUploadRow('', 'pending');
      li.dataset.file = file.name;
      li.innerHTML = `<span class="name">${text(file.name)}</span><progress max="1" value="0"></progress><span class="status">uploading…</span>`;
      const progress = li.querySelector('progress') as HTMLProgressElement;
      const status = li.querySelector('.status') as HTMLElement;
      this.actions.upload(file, (fraction) => (progress.value = fraction)).then(
        (outcome) => {
          progress.value = 1;
          li.className = 'done';
          li.dataset.savedAs = outcome.name;
          status.textContent = outcome.name === file.name ? 'queued' : `queued as ${outcome.name}`;
        },
        (error: Error) => {
          li.className = 'error';
          status.textContent = `not uploaded: ${error.message}`;
        },
      );
    }
  }

  private addUploadRow(message: string, kind: string): HTMLLIElement {
    const list = element('uploads') as HTMLElement;
    const li = document.createElement('li');
    li.className = kind;
    li.textContent = message;
    list.prepend(li);
    while (list.children.length > MAX_UPLOAD_ROWS) list.lastElementChild?.remove();
    return li;
  }
}

function row(state: FileListState, file: FileListEntry): string {
  const name = text(file.name);
  const href = `files/${file.name.split('/').map(encodeURIComponent).join('/')}`;
  const actions: string[] = [];
  if (state === 'processed') actions.push(`<a href="${href}/result" data-action="result" data-target="${name}">result</a>`);
  if (state === 'processed' || state === 'failed') actions.push(`<a href="${href}/summary" data-action="summary" data-target="${name}">summary</a>`);
  if (state === 'failed') actions.push(`<button class="action" type="button" data-action="retry" data-target="${name}">Retry</button>`);
  const time = new Date(file.time).toLocaleTimeString();
  return `<li data-name="${name}"><span class="name" title="${name}">${name}</span><span class="time">${text(time)}</span>${actions.join('')}</li>`;
}
