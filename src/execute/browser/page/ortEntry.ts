/**
 * The page of ONNX Runtime Web: ONNX models (built in Node by targets/ort) run by onnxruntime-web's
 * WebGPU execution provider. It loads the library the way an application does, from files served
 * beside the page (files/ort.webgpu.min.mjs and its wasm), hands it the WebGPU adapter it read,
 * and keeps one inference session per model key. Same protocol as the tfjs page (protocol.ts).
 */
import type { AdapterInfo, OnnxCallMeta, PageAnswer, PageApi, PageReady, PageSetup } from '../protocol.js';
import { pack, unpack, type WireArray, type WireTensor } from '../wire.js';
import { thrown } from './thrown.js';

/* onnxruntime-web and WebGPU as far as used here (the project compiles without DOM and WebGPU types). */
interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  readonly env: {
    wasm: { wasmPaths: string; numThreads: number };
    webgpu: { adapter?: unknown; readonly device?: unknown };
    readonly versions: Readonly<Record<string, string | undefined>>;
  };
  readonly Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  readonly InferenceSession: { create(model: Uint8Array, o: object): Promise<OrtSession> };
}
interface GpuAdapter {
  readonly info?: { vendor: string; architecture: string; description: string };
  readonly features: Iterable<string>;
}
const g = globalThis as unknown as {
  navigator: { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } };
  location: { href: string };
};

let ort: Ort | null = null;
let ep = 'webgpu';
let lost: string | null = null;
let watching = false;
const sessions = new Map<string, Promise<OrtSession>>();

async function init(setup: PageSetup): Promise<PageReady> {
  if (setup.backend !== 'webgpu')
    return { status: 'unavailable', reason: `ONNX Runtime Web runs here on webgpu only, not ${setup.backend}` };
  const gpu = g.navigator.gpu;
  if (!gpu) return { status: 'unavailable', reason: 'navigator.gpu is undefined: no WebGPU in this Chromium' };
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return { status: 'unavailable', reason: 'navigator.gpu.requestAdapter() gave no adapter' };
  const files = new URL('files/', g.location.href).href;
  const url = `${files}ort.webgpu.min.mjs`; // a variable: loaded by the page, not bundled
  ort = (await import(url)) as Ort;
  ort.env.wasm.wasmPaths = files;
  ort.env.wasm.numThreads = 1; // threads need cross-origin isolation; one case at a time anyway
  ort.env.webgpu.adapter = adapter; // the adapter reported is the one ORT runs on
  ep = setup.backend;
  const i = adapter.info ?? { vendor: '', architecture: '', description: '' };
  const info: AdapterInfo = {
    backend: 'webgpu',
    vendor: i.vendor,
    architecture: i.architecture,
    description: i.description,
    isSwiftShader: /swiftshader/i.test(`${i.architecture} ${i.description}`),
  };
  const library = `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common}`;
  return { status: 'ready', adapter: info, library, features: [...adapter.features] };
}

/** A session output as the wire carries it: float16 as its bits, the rest as its own typed array. */
function wireOf(t: OrtTensor): WireTensor {
  // A float16 output is a Float16Array where the browser has one (Chromium 156 does): send its bits.
  const d = t.data as WireArray;
  const bits = t.type === 'float16' && !(d instanceof Uint16Array);
  return { shape: t.dims, data: bits ? new Uint16Array(d.buffer, d.byteOffset, d.length) : d };
}

async function runModel(meta: OnnxCallMeta, t: ReadonlyMap<string, WireTensor>): Promise<Array<[string, WireTensor]>> {
  const o = ort!;
  let s = sessions.get(meta.key);
  if (s === undefined) {
    s = o.InferenceSession.create(t.get('model')!.data as Uint8Array, { executionProviders: [ep] });
    sessions.set(meta.key, s);
    s.catch(() => sessions.delete(meta.key));
  }
  const session = await s;
  if (!watching) {
    watching = true;
    // The device ORT made (a GPUDevice, or a Promise of one, depending on the version): lost is final.
    void Promise.resolve(o.env.webgpu.device)
      .then((d) =>
        (d as { lost?: Promise<{ message: string }> } | undefined)?.lost?.then(
          (i) => (lost = `WebGPU device lost: ${i.message}`),
        ),
      )
      .catch(() => {});
  }
  const feeds: Record<string, OrtTensor> = {};
  for (const f of meta.feeds) feeds[f.name] = new o.Tensor(f.type, t.get(f.name)!.data, t.get(f.name)!.shape);
  const out = await session.run(feeds);
  return Object.entries(out).map(([name, x]) => [name, wireOf(x)]);
}

async function run(id: string): Promise<PageAnswer> {
  if (lost !== null) return { status: 'lost', message: lost };
  const { meta, tensors } = unpack<OnnxCallMeta>(new Uint8Array(await (await fetch(`call/${id}`)).arrayBuffer()));
  const t0 = performance.now();
  let out: Array<[string, WireTensor]>;
  try {
    out = await runModel(meta, tensors);
  } catch (e) {
    return lost !== null ? { status: 'lost', message: lost } : { status: 'threw', phase: 'forward', ...thrown(e) };
  }
  const posted = await fetch(`result/${id}`, { method: 'POST', body: pack(null, out) });
  if (!posted.ok) throw new Error(`POST /result/${id}: HTTP ${posted.status}`);
  return { status: 'ok', ms: performance.now() - t0 };
}

const api: PageApi = { probeReadback: async () => true, init, run };
(globalThis as unknown as { attnfuzz: PageApi }).attnfuzz = api;
