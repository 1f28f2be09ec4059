export { splitCommandLine } from './commandLine.js';
export {
  DTYPES,
  type Dtype,
  encodeFrame,
  type Frame,
  type FrameBuffer,
  FrameReader,
  GarbageError,
  MAGIC,
} from './frames.js';
export { type Hello, helloSchema, PROTOCOL_VERSION, parseHello, WORKER_SUITES, type WorkerSuite } from './hello.js';
export { WorkerFailure, WorkerProcess, type WorkerProcessOptions } from './process.js';
export { attentionRequest, decodeRequest, loraRequest, type RunRequest } from './requests.js';
export {
  deviceFor,
  execTarget,
  type PythonTargetOptions,
  pyTarget,
  pythonOf,
  pythonWorkerCommand,
  pythonWorkerScript,
  torchTarget,
  WORKER_SCRIPT,
} from './targets.js';
export {
  declinedReason,
  WorkerDeclined,
  WorkerError,
  type WorkerKernel,
  type WorkerKernelOptions,
  workerKernel,
} from './workerKernel.js';
