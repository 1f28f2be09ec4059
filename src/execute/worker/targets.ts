/**
 * The worker targets a `--kernel` names, each started as a worker process (workerKernel.ts):
 *
 *   torch:sdpa | torch:sdpa:math | ... | torch:mha | torch:eager   PyTorch, in the package's Python worker
 *   py:path/to/file.py                                            a module defining forward(q, k, v, opts)
 *   exec:<command line>                                           any program speaking docs/PROTOCOL.md
 *
 * The Python worker is targets/torch/attnfuzz_worker.py (standard library and torch only), run by
 * `python` (else ATTNFUZZ_PYTHON, else python3) on `device` (cpu, cuda, cuda:N). A missing Python,
 * PyTorch or CUDA is a one-line error naming what to install.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitCommandLine } from './commandLine.js';
import { type WorkerKernel, type WorkerKernelOptions, workerKernel } from './workerKernel.js';

export const WORKER_SCRIPT = 'attnfuzz_worker.py';

export interface PythonTargetOptions extends WorkerKernelOptions {
  /** The Python to run (default ATTNFUZZ_PYTHON, else python3). */
  readonly python?: string;
  /** cpu (default), cuda, cuda:N. */
  readonly device?: string;
}

/**
 * Where the Python worker is: ATTNFUZZ_WORKER_PY, else beside this module in the source tree
 * (targets/torch), the compiled package (dist/..), or a self-contained build (next to its .mjs).
 */
export function pythonWorkerScript(): string {
  const fromEnv = process.env.ATTNFUZZ_WORKER_PY;
  if (fromEnv) return fromEnv;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '../../../targets/torch', WORKER_SCRIPT),
    join(here, '../../../../targets/torch', WORKER_SCRIPT),
    join(here, WORKER_SCRIPT),
    join(here, 'targets/torch', WORKER_SCRIPT),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined)
    throw new Error(
      `torch: the Python worker ${WORKER_SCRIPT} is not in ${candidates.join(', ')} (set ATTNFUZZ_WORKER_PY)`,
    );
  return found;
}

export function pythonOf(o: { readonly python?: string }): string {
  return o.python ?? process.env.ATTNFUZZ_PYTHON ?? 'python3';
}

const explainPython = (code: string, program: string) =>
  code === 'ENOENT'
    ? `${program} not found: install Python 3 with PyTorch (apt-get install python3-torch, or pip install torch), ` +
      'or name a Python with --python or ATTNFUZZ_PYTHON'
    : `cannot start ${program}: ${code}`;

/** The argv of the Python worker for `args` (e.g. ['--target', 'sdpa']). */
export function pythonWorkerCommand(args: readonly string[], o: PythonTargetOptions = {}): string[] {
  return [pythonOf(o), pythonWorkerScript(), ...args, '--device', o.device ?? 'cpu'];
}

/** `torch:sdpa`, `torch:sdpa:math`, `torch:mha`, `torch:eager`, `torch:transformers-sdpa`, ... as a worker kernel. */
export function torchTarget(name: string, o: PythonTargetOptions = {}): Promise<WorkerKernel> {
  const target = name.replace(/^torch:/, '');
  if (target === '') throw new Error(`--kernel ${name}: name a PyTorch target after torch: (sdpa, mha, eager)`);
  return workerKernel(pythonWorkerCommand(['--target', target], o), { explainStart: explainPython, ...o });
}

/**
 * `py:path/to/file.py`: the module's forward(q, k, v, opts) (and supports, FEATURES, decode, lora) as
 * a worker kernel.
 */
export function pyTarget(spec: string, o: PythonTargetOptions = {}): Promise<WorkerKernel> {
  const path = resolve(o.cwd ?? process.cwd(), spec.replace(/^py:/, ''));
  if (!existsSync(path)) throw new Error(`--kernel ${spec}: ${path} does not exist`);
  return workerKernel(pythonWorkerCommand(['--module', path], o), { explainStart: explainPython, ...o });
}

/** `exec:<command line>`: a program that speaks docs/PROTOCOL.md on stdin and stdout. */
export function execTarget(spec: string, o: WorkerKernelOptions = {}): Promise<WorkerKernel> {
  const argv = splitCommandLine(spec.replace(/^exec:/, ''));
  if (argv.length === 0) throw new Error(`--kernel ${spec}: name a command after exec:`);
  return workerKernel(argv, o);
}

/**
 * The device of fuzz worker `index` for a `--device` that may name `{i}` (`cuda:{i}`), so that a
 * campaign's workers spread over a node's GPUs; `count` GPUs wrap around.
 */
export function deviceFor(device: string, index: number, count?: number): string {
  return device.replaceAll('{i}', String(count !== undefined && count > 0 ? index % count : index));
}
