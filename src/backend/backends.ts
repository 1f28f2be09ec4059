/**
 * Backend selection: 'cpu' (default, pure JS), 'wasm' (fast CPU) and 'tensorflow' (libtensorflow
 * through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, optional: their install downloads
 * libtensorflow, so attnfuzz never requires them); and the names of the page backends 'webgpu'
 * and 'webgl' (tfjs in headless Chromium, src/execute/browser).
 */
import { tf } from './tfjs.js';

export type BackendName = 'cpu' | 'wasm' | 'tensorflow';
export const BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'tensorflow'];

/**
 * tfjs's GPU backends, which run in a browser page (src/execute/browser), not in this process: a
 * kernel on one of them is its twin in a page (src/runner pages.ts), never the in-process tfjs.
 */
export type PageBackendName = 'webgpu' | 'webgl';
export const PAGE_BACKEND_NAMES: readonly PageBackendName[] = ['webgpu', 'webgl'];

/** Any backend a kernel can be run on: in this process's tfjs, or in a page. */
export type AnyBackend = BackendName | PageBackendName;
export const ALL_BACKENDS: readonly AnyBackend[] = [...BACKENDS, ...PAGE_BACKEND_NAMES];

export function isPageBackend(b: string): b is PageBackendName {
  return (PAGE_BACKEND_NAMES as readonly string[]).includes(b);
}

/** The in-process ones of a list of backends (what `prepareBackends` and `useBackend` take). */
export function inProcess(backends: readonly AnyBackend[]): BackendName[] {
  return backends.filter((b): b is BackendName => !isPageBackend(b));
}

/** Thrown when a backend cannot be loaded; the message is one line saying how to get it. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

export function parseBackend(value: string | undefined, where: string): BackendName {
  const v = value ?? 'cpu';
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  throw new BackendUnavailableError(`${where}: unknown backend '${v}'; expected one of ${BACKENDS.join(', ')}`);
}

/** The backend named by `ATTNFUZZ_BACKEND`, else 'cpu'. */
export function backendFromEnv(): BackendName {
  return parseBackend(process.env.ATTNFUZZ_BACKEND || undefined, 'ATTNFUZZ_BACKEND');
}

let wasmLoaded = false;
let tensorflowLoaded: string | null = null;

async function loadTensorflow(): Promise<string> {
  if (tensorflowLoaded) return tensorflowLoaded;
  const errors: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      tensorflowLoaded = pkg;
      return pkg;
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0]!;
      // Not installed is the expected case; anything else (a broken libtensorflow) is worth showing.
      if (!/Cannot find (package|module)/.test(msg)) errors.push(`${pkg}: ${msg}`);
    }
  }
  throw new BackendUnavailableError(
    `backend 'tensorflow' needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node: ` +
      `npm install @tensorflow/tfjs-node (its install downloads libtensorflow)` +
      (errors.length > 0 ? ` [${errors.join('; ')}]` : ''),
  );
}

/** Makes `name` the active tfjs backend, loading it on first use. */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'wasm' && !wasmLoaded) {
    await import('@tensorflow/tfjs-backend-wasm');
    wasmLoaded = true;
  }
  if (name === 'tensorflow') await loadTensorflow();
  const tfName = name === 'tensorflow' ? 'tensorflow' : name;
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new BackendUnavailableError(`backend '${name}' failed to initialise`);
  await tf.ready();
}

export function activeBackend(): string {
  return tf.getBackend();
}

/** Initialises every listed backend (async, once) and restores the active one. Throws BackendUnavailableError. */
export async function prepareBackends(backends: readonly BackendName[]): Promise<void> {
  const before = tf.getBackend() as BackendName | undefined;
  for (const b of backends) await useBackend(b);
  if (before && before !== tf.getBackend()) await useBackend(before);
}

/**
 * Makes an initialised backend active without awaiting, so a check over several backends stays
 * synchronous inside fast-check's synchronous property. Safe because tfjs-core 4.22's
 * Engine.setBackend is an async function whose only `await` is the first initialisation of a
 * backend; for a backend in `engine.registry` every effect happens before it returns.
 * `prepareBackends` initialises them up front.
 */
export function switchBackendSync(name: BackendName): void {
  if (tf.engine().registry[name] == null)
    throw new Error(`backend '${name}' is not initialised (call prepareBackends first)`);
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`switching to backend '${name}' did not take effect synchronously`);
}
