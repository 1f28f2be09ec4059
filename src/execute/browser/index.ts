export {
  type BrowserKernel,
  type BrowserKernelOptions,
  browserKernel,
  describeAdapter,
  formatAdapter,
  NO_CPU_FORWARD,
} from './browserKernel.js';
export { bundlePage, PageBundleError, type PageKernelSource } from './bundle.js';
export {
  ADAPTER_CHOICES,
  type AdapterChoice,
  BrowserUnavailableError,
  chromiumArgs,
  findChromium,
} from './launch.js';
export type { AdapterInfo, PageBackend } from './protocol.js';
export { PageFailure, type PageFailureKind, PageKernelError } from './session.js';
