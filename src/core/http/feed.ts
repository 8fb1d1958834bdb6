// GET /events: the dashboard's live feed, as Server-Sent Events. Each event's data is one
// message of src/shared/protocol.ts (HostToWebview), exactly what the VS Code metrics panel
// receives: a `snapshot` first, then `update`s as the queue changes (at most 4 a second, and
// one every 2 s for the throughput chart), and `files` lists (at most one a second) when
// files move. Pushed by the server: the page never polls.

import type { ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { QueueEvent } from '../queue/folderQueue';
import { FILE_STATES, listNewest, type FileState } from '../queue/stateListing';
import type { FileLists, HostToWebview, PanelState, RootSummary, ThroughputPoint } from '../../shared/protocol';
import type { HttpRoot, HttpRootSource } from './httpRoot';
import type { ThroughputSampler } from './throughput';

const MAX_UPDATES_PER_SEC = 4;
const MIN_FILES_INTERVAL_MS = 1000;
export const TICK_MS = 2000;
/** Files of each state sent to the dashboard (newest first); /files pages through the rest. */
export const FILES_PER_STATE = 50;
/** Events after which the file lists differ. */
const MOVES = new Set<QueueEvent['type']>(['detected', 'claimed', 'finished', 'moved', 'skipped']);

interface Client {
  response: ServerResponse;
  root: string;
  lastPoint: number;
  lastUpdate: number;
  updateTimer?: NodeJS.Timeout;
  lastFiles: number;
  filesTimer?: NodeJS.Timeout;
  filesDirty: boolean;
  /** The socket's buffer is full: updates are skipped until it drains (the next one catches up). */
  blocked: boolean;
}

export class DashboardFeed {
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly tick: NodeJS.Timeout;
  private readonly filesCache = new Map<string, { at: number; lists: Promise<FileLists> }>();

  constructor(
    private readonly source: HttpRootSource,
    private readonly sampler: ThroughputSampler,
    private readonly logger: Logger,
  ) {
    this.unsubscribe.push(
      source.onEvent((root, event) => {
        for (const client of this.clients) {
          if (client.root !== root) continue;
          this.scheduleUpdate(client);
          if (MOVES.has(event.type)) this.scheduleFiles(client);
        }
      }),
      source.onRootsChanged(() => {
        for (const client of this.clients) this.scheduleUpdate(client);
      }),
    );
    this.tick = setInterval(() => {
      this.sampler.sample(this.source.list().filter((r) => !r.history).map((r) => ({ root: r.root, metrics: r.metrics() })));
      for (const client of this.clients) this.scheduleUpdate(client);
    }, TICK_MS);
    this.tick.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Starts a stream for one root: headers, the snapshot, the file lists. */
  open(response: ServerResponse, root: HttpRoot): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    const client: Client = { response, root: root.root, lastPoint: 0, lastUpdate: 0, lastFiles: 0, filesDirty: false, blocked: false };
    this.clients.add(client);
    response.on('close', () => this.drop(client));
    response.on('drain', () => (client.blocked = false));
    const history = this.history(root);
    client.lastPoint = history[history.length - 1]?.t ?? 0;
    const state: PanelState = { roots: this.roots(), selected: root.root, metrics: root.metrics()?.snapshot(), pipelines: root.pipelines(), history };
    this.send(client, { type: 'snapshot', state }, true);
    this.scheduleFiles(client);
  }

  close(): void {
    clearInterval(this.tick);
    for (const off of this.unsubscribe.splice(0)) off();
    for (const client of [...this.clients]) {
      this.drop(client);
      client.response.end();
    }
  }

  private drop(client: Client): void {
    clearTimeout(client.updateTimer);
    clearTimeout(client.filesTimer);
    this.clients.delete(client);
  }

  private roots(): RootSummary[] {
    return this.source.list().map((r) => ({ root: r.root, label: r.label, status: r.status() }));
  }

  private history(root: HttpRoot): ThroughputPoint[] {
    return root.history ? root.history() : this.sampler.history(root.root);
  }

  private findRoot(id: string): HttpRoot | undefined {
    return this.source.list().find((r) => r.root === id);
  }

  private scheduleUpdate(client: Client): void {
    if (client.updateTimer) return;
    const wait = Math.max(0, client.lastUpdate + 1000 / MAX_UPDATES_PER_SEC - Date.now());
    client.updateTimer = setTimeout(() => {
      client.updateTimer = undefined;
      client.lastUpdate = Date.now();
      const root = this.findRoot(client.root);
      const history = root ? this.history(root) : [];
      const latest = history[history.length - 1];
      const point = latest && latest.t > client.lastPoint ? latest : undefined;
      if (point) client.lastPoint = point.t;
      this.send(client, { type: 'update', roots: this.roots(), selected: root?.root, metrics: root?.metrics()?.snapshot(), point }, point !== undefined);
    }, wait);
  }

  private scheduleFiles(client: Client): void {
    client.filesDirty = true;
    if (client.filesTimer) return;
    const wait = Math.max(0, client.lastFiles + MIN_FILES_INTERVAL_MS - Date.now());
    client.filesTimer = setTimeout(() => void this.sendFiles(client), wait);
  }

  private async sendFiles(client: Client): Promise<void> {
    client.filesDirty = false;
    client.lastFiles = Date.now();
    const root = this.findRoot(client.root);
    try {
      if (root) this.send(client, { type: 'files', root: root.root, lists: await this.lists(root) }, true);
    } catch (error) {
      this.logger.debug(`http: could not list the files of ${client.root}: ${(error as Error).message}`);
    } finally {
      client.filesTimer = undefined;
      // Files moved while we listed: another round (still at most one a second).
      if (client.filesDirty && this.clients.has(client)) this.scheduleFiles(client);
    }
  }

  /** The root's file lists, shared by clients that ask within half a second. */
  private lists(root: HttpRoot): Promise<FileLists> {
    const cached = this.filesCache.get(root.root);
    if (cached && Date.now() - cached.at < MIN_FILES_INTERVAL_MS / 2) return cached.lists;
    const lists = listFiles(root);
    this.filesCache.set(root.root, { at: Date.now(), lists });
    lists.catch(() => this.filesCache.delete(root.root));
    return lists;
  }

  private send(client: Client, message: HostToWebview, essential: boolean): void {
    if (client.blocked && !essential) return;
    const ok = client.response.write(`data: ${JSON.stringify(message)}\n\n`);
    if (!ok) client.blocked = true;
  }
}

export async function listFiles(root: HttpRoot, perState = FILES_PER_STATE): Promise<FileLists> {
  if (root.newestFiles) {
    const counts = {} as FileLists['counts'];
    const files = {} as FileLists['files'];
    for (const state of FILE_STATES) {
      const { total, files: newest } = root.newestFiles(state, perState);
      counts[state] = total;
      files[state] = newest;
    }
    return { counts, files };
  }
  const lists = await Promise.all(FILE_STATES.map((state) => listNewest(root.layout, state, perState, { accepts: acceptsFor(root, state) })));
  const counts = {} as FileLists['counts'];
  const files = {} as FileLists['files'];
  FILE_STATES.forEach((state, i) => {
    counts[state] = lists[i].total;
    files[state] = lists[i].files;
  });
  return { counts, files };
}

/**
 * Which names a listing from disk shows: queued files as the inbox takes them (so the upload's
 * hidden temporary files and the ignore globs' files are not "queued", as the queue's own count
 * has them not), and no hidden names elsewhere.
 */
export function acceptsFor(root: HttpRoot, state: FileState): (name: string) => boolean {
  if (state === 'queued') return (name) => root.accepts(name);
  return (name) => !name.split('/').some((part) => part.startsWith('.'));
}
