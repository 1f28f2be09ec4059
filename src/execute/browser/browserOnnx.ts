/**
 * ONNX models run by ONNX Runtime Web in headless Chromium, on its WebGPU execution provider: what
 * the `ort:*` targets use for `--device webgpu` (targets/ort/pageSessions.ts). The page is the same
 * kind of page as the tfjs one (session.ts: crash, lost device and hang each cost one call, then
 * the page is reopened), serving onnxruntime-web's own files beside it.
 *
 *   const onnx = await browserOnnx({});
 *   onnx.adapter   // google swiftshader
 *   const out = await onnx.run('attention|float32|...', modelBytes, [{ name: 'Q', type: 'float32', ... }]);
 *   await onnx.close();
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundleOrtPage } from './bundle.js';
import type { AdapterChoice } from './chromium.js';
import type { AdapterInfo, OnnxCallMeta } from './protocol.js';
import { PageSession } from './session.js';
import type { WireArray, WireTensor } from './wire.js';

export interface BrowserOnnxOptions {
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  /** A run with no answer after this long means the page hangs (default 120 s). */
  readonly timeoutMs?: number;
}

/** A feed: float16 data as its bits (Uint16Array), int64 as BigInt64Array, bool as Uint8Array. */
export interface OnnxFeed {
  readonly name: string;
  readonly type: OnnxCallMeta['feeds'][number]['type'];
  readonly dims: readonly number[];
  readonly data: WireArray;
}

export interface BrowserOnnx {
  readonly adapter: AdapterInfo;
  /** 'onnxruntime-web 1.30.0'. */
  readonly library: string;
  /** Whether the adapter computes in float16 (WebGPU's shader-f16; SwiftShader does not). */
  readonly shaderF16: boolean;
  /** Runs the model (one session per `key` in the page); the outputs by name, float16 as Uint16Array bits. */
  run(key: string, model: Uint8Array, feeds: readonly OnnxFeed[]): Promise<Map<string, WireTensor>>;
  close(): Promise<void>;
}

/** The files of onnxruntime-web the page may load: its WebGPU module and the wasm builds that module picks from. */
function ortWebFiles(): Record<string, string> {
  let dist: string;
  try {
    dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
  } catch {
    throw new Error('browser: ONNX Runtime Web in a page needs onnxruntime-web (npm install onnxruntime-web)');
  }
  // The WebGPU module loads the wasm build it wants (1.30: the asyncify one): serve them all.
  const names = readdirSync(dist).filter(
    (n) => n === 'ort.webgpu.min.mjs' || /^ort-wasm-simd-threaded\.(.+\.)?(mjs|wasm)$/.test(n),
  );
  return Object.fromEntries(names.map((n) => [n, join(dist, n)]));
}

/** Starts Chromium with the ONNX Runtime Web page and reads its adapter. */
export async function browserOnnx(o: BrowserOnnxOptions = {}): Promise<BrowserOnnx> {
  const session = await PageSession.start({
    script: await bundleOrtPage(),
    files: ortWebFiles(),
    backend: 'webgpu',
    adapter: o.adapter ?? 'swiftshader',
    ...(o.browser ? { browser: o.browser } : {}),
    flags: {},
    timeoutMs: o.timeoutMs ?? 120_000,
    probeReadback: false,
  });
  return {
    get adapter() {
      return session.adapter!;
    },
    library: session.library ?? 'onnxruntime-web',
    shaderF16: session.features.includes('shader-f16'),
    run: (key, model, feeds) => {
      const meta: OnnxCallMeta = { kind: 'onnx', key, feeds: feeds.map((f) => ({ name: f.name, type: f.type })) };
      const tensors: Array<readonly [string, WireTensor]> = [
        ['model', { shape: [model.length], data: model }],
        ...feeds.map((f) => [f.name, { shape: f.dims, data: f.data }] as const),
      ];
      return session.call(meta, tensors);
    },
    close: () => session.close(),
  };
}
