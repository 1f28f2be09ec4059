export * from './campaignHtml.js';
export * from './campaignReport.js';
export * from './heatmap.js';
export * from './junit.js';
export * from './plots.js';
export * from './repro.js';
export * from './tensors.js';
export * from './torchScript.js';
