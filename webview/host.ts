// The page's host, behind one small interface: inside VS Code the webview API, in a browser
// the HTTP dashboard's server (webview/browserHost.ts). The page itself (webview/main.ts)
// only posts and receives the typed messages of src/shared/protocol.ts.

import type { HostToWebview, PanelState, WebviewToHost } from '../src/shared/protocol';
import { browserHost } from './browserHost';

export interface PanelHost {
  post(message: WebviewToHost): void;
  /** The page's state kept across reloads of the page (VS Code: getState; browser: sessionStorage). */
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

/** Connects to whichever host the page runs in; `receive` gets every message it sends. */
export function connectHost(receive: (message: HostToWebview) => void): PanelHost {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    window.addEventListener('message', (event: MessageEvent<HostToWebview>) => receive(event.data));
    return { post: (message) => api.postMessage(message), getState: () => api.getState(), setState: (state) => api.setState(state) };
  }
  return browserHost(receive);
}
