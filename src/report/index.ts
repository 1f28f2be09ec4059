export * from './heatmap.js';
export * from './tensors.js';
export * from './repro.js';
export * from './campaignReport.js';
export * from './plots.js';
export * from './junit.js';
export * from './campaignHtml.js';
export * from './torchScript.js';
