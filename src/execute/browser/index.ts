export {
  type BrowserKernel,
  type BrowserKernelOptions,
  browserKernel,
  describeAdapter,
  formatAdapter,
  NO_CPU_FORWARD,
} from './browserKernel.js';
export { type BrowserOnnx, type BrowserOnnxOptions, browserOnnx, type OnnxFeed } from './browserOnnx.js';
export { bundlePage, PageBundleError, type PageKernelSource } from './bundle.js';
export {
  ADAPTER_CHOICES,
  type AdapterChoice,
  BrowserUnavailableError,
  chromiumArgs,
  findChromium,
} from './chromium.js';
export { PageFailure, type PageFailureKind, PageKernelError } from './pageErrors.js';
export type { AdapterInfo, PageBackend } from './protocol.js';
