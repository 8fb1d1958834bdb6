// Every id the extension shares with package.json, in one place: package.json's
// `contributes` and the code must agree on these strings.

export const SECTION = 'fileflow';
export const EXTENSION_ID = 'fileflow.fileflow';
export const OUTPUT_CHANNEL_NAME = 'Fileflow';
export const VIEW_CONTAINER = 'fileflow';
export const TREE_VIEW = 'fileflow.files';
export const METRICS_PANEL = 'fileflow.metrics';
export const STATUS_BAR_ITEM = 'fileflow.status';
/** The Testing view's controller of pipeline tests. */
export const TEST_CONTROLLER = 'fileflow.pipelineTests';
/** Where the HTTP API's token is kept in VS Code's secret storage. */
export const HTTP_TOKEN_SECRET = 'fileflow.http.token';

/** Context keys that package.json's `when` clauses read. */
export const CONTEXT_KEYS = {
  /** Pause Processing / Resume Processing: which of the two the palette and the view show. */
  paused: 'fileflow.paused',
  /** The active editor holds a pipeline file (the Preview Pipeline button). */
  pipelineEditor: 'fileflow.pipelineEditor',
} as const;

export const COMMANDS = {
  processCurrentFile: 'fileflow.processCurrentFile',
  processFolder: 'fileflow.processFolder',
  watchFolder: 'fileflow.watchFolder',
  stopWatchingFolder: 'fileflow.stopWatchingFolder',
  pause: 'fileflow.pause',
  resume: 'fileflow.resume',
  retry: 'fileflow.retry',
  retryAllFailed: 'fileflow.retryAllFailed',
  reprocess: 'fileflow.reprocess',
  showMetrics: 'fileflow.showMetrics',
  showLog: 'fileflow.showLog',
  openPipelineConfiguration: 'fileflow.openPipelineConfiguration',
  generateSampleLogs: 'fileflow.generateSampleLogs',
  openResult: 'fileflow.openResult',
  openSummary: 'fileflow.openSummary',
  revealInExplorer: 'fileflow.revealInExplorer',
  refresh: 'fileflow.refresh',
  showMore: 'fileflow.showMore',
  copyHttpToken: 'fileflow.copyHttpToken',
  openDashboard: 'fileflow.openDashboard',
  previewPipeline: 'fileflow.previewPipeline',
} as const;

/** VS Code's own commands that the extension runs. */
export const VSCODE_COMMANDS = {
  open: 'vscode.open',
  setContext: 'setContext',
  revealInExplorer: 'revealInExplorer',
  openSettings: 'workbench.action.openSettings',
  manageTrust: 'workbench.trust.manage',
} as const;
