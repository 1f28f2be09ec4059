export {
  type BrowserKernel,
  type BrowserKernelOptions,
  browserKernel,
  describeAdapter,
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
export { type AdapterInfo, PAGE_BACKENDS, type PageBackend } from './protocol.js';
export { PageFailure, type PageFailureKind, PageKernelError } from './session.js';
