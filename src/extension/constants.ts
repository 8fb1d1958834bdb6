// Every id the extension shares with package.json, in one place: package.json's
// `contributes` and the code must agree on these strings.

export const SECTION = 'fileflow';
export const EXTENSION_ID = 'fileflow.fileflow';
export const OUTPUT_CHANNEL_NAME = 'Fileflow';
export const VIEW_CONTAINER = 'fileflow';
export const TREE_VIEW = 'fileflow.files';
export const METRICS_PANEL = 'fileflow.metrics';
export const PIPELINE_FILE_NAME = 'fileflow.pipeline.json';

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
