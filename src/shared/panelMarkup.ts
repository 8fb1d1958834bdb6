// The metrics page's markup, shared by its two hosts: the VS Code metrics panel
// (src/extension/metricsPanel.ts) and the HTTP dashboard (src/core/http/dashboard.ts). Both
// load the same script (webview/main.ts) into it. Imports nothing.

export interface PanelMarkupOptions {
  /** What to do when nothing is watched (HTML). */
  empty: string;
  /** More of the header, after the root's status and path (HTML). */
  headerEnd?: string;
  /** A section between the cards and the throughput chart (HTML). */
  afterCards?: string;
}

/** The page's body, without scripts. */
export function panelBody(options: PanelMarkupOptions): string {
  return `<header>
  <h1>Fileflow</h1>
  <span id="root-status"></span>
  <span id="root-path"></span>${options.headerEnd ?? ''}
  <div id="root-picker" hidden><label for="root-select">Queue root</label><vscode-single-select id="root-select"></vscode-single-select></div>
</header>
<div id="empty">${options.empty}</div>
<main id="content" hidden>
  <section class="cards" id="cards"></section>${options.afterCards ?? ''}
  <h2>Throughput <span class="legend"><span class="files">files/s</span><span class="lines">lines/s</span></span></h2>
  <div id="chart"></div>
  <h2>Pipeline <span class="legend">line counts per tag; the busiest path is highlighted</span></h2>
  <div id="graph"></div>
  <h2>Nodes</h2>
  <vscode-table zebra bordered-rows resizable columns='["auto","auto","90px","90px","70px","90px","90px"]'>
    <vscode-table-header slot="header">
      <vscode-table-header-cell>pipeline</vscode-table-header-cell>
      <vscode-table-header-cell>node</vscode-table-header-cell>
      <vscode-table-header-cell>in</vscode-table-header-cell>
      <vscode-table-header-cell>out</vscode-table-header-cell>
      <vscode-table-header-cell>errors</vscode-table-header-cell>
      <vscode-table-header-cell>time (ms)</vscode-table-header-cell>
      <vscode-table-header-cell>µs / line</vscode-table-header-cell>
    </vscode-table-header>
    <vscode-table-body slot="body" id="node-rows"></vscode-table-body>
  </vscode-table>
  <h2>Recent errors <vscode-badge id="error-count">0</vscode-badge></h2>
  <ul id="errors"></ul>
</main>`;
}

export interface PageOptions {
  /** The Content-Security-Policy, one directive per entry. */
  csp: readonly string[];
  title: string;
  /** Stylesheet URLs, in order. */
  styles: readonly string[];
  /** More of the head (HTML). */
  head?: string;
  /** Attributes of <body> (HTML). */
  bodyAttributes?: string;
  /** The body (HTML), scripts included. */
  body: string;
}

/** A whole HTML page around a body, under its CSP: the document shell both hosts use. */
export function htmlPage(options: PageOptions): string {
  const styles = options.styles.map((href) => `<link rel="stylesheet" href="${href}">\n`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${options.csp.join('; ')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${options.head ?? ''}${styles}<title>${options.title}</title>
</head>
<body${options.bodyAttributes ? ` ${options.bodyAttributes}` : ''}>
${options.body}
</body>
</html>
`;
}
