/**
 * The page's tfjs: one tfjs-core with every gradient registered and the two GPU backends, the
 * backend selected with its CPU forwarding off, the adapter read, and a watch on the device.
 *
 * tfjs-backend-webgpu/webgl 4.22 run an op on their CPU kernels when every input is small and
 * still on the CPU (`shouldExecuteOnCPU`: under WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD = 1000 elements,
 * CPU_HANDOFF_SIZE_THRESHOLD = 128 for webgl), which is most of attnfuzz's cases: the flags
 * WEBGPU_CPU_FORWARD / WEBGL_CPU_FORWARD = false (browserKernel.ts sets them) make every op run
 * a shader. No CPU backend is registered, so nothing can fall back to it silently.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import type { AdapterInfo, PageBackend, PageReady, PageSetup } from '../protocol.js';
import { refuseGpuReadSync } from './readback.js';

/** The page's DOM and WebGPU, typed here as far as the page uses them (the project compiles without DOM types). */
interface GpuAdapter {
  readonly info?: { vendor: string; architecture: string; description: string };
}
interface GpuDevice {
  readonly lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', f: (e: { error: { message: string } }) => void): void;
}
interface Gl {
  readonly canvas: { addEventListener(type: string, f: () => void): void };
  isContextLost(): boolean;
  getExtension(name: string): unknown;
  getParameter(p: number): unknown;
}
interface Gpu {
  requestAdapter(o?: object): Promise<GpuAdapter | null>;
}
const nav = (globalThis as unknown as { navigator: { gpu?: Gpu } }).navigator;

/** What went wrong with the device since the page started: lost for good, or errors of the last call. */
export const deviceState = {
  lost: null as string | null,
  /** Uncaptured WebGPU errors (validation, out of memory) since the last `takeErrors`. */
  errors: [] as string[],
};

export function takeErrors(): string[] {
  return deviceState.errors.splice(0);
}

/** The lost state, checked now (WebGL reports a lost context through a flag as well as an event). */
export function lostNow(): string | null {
  if (deviceState.lost === null && tf.getBackend() === 'webgl') {
    const gl = (tf.backend() as unknown as { gpgpu: { gl: Gl } }).gpgpu.gl;
    if (gl.isContextLost()) deviceState.lost = 'WebGL context lost';
  }
  return deviceState.lost;
}

/**
 * The adapter tfjs-backend-webgpu asks for (base.ts: requestAdapter once, then requestDevice), seen
 * by wrapping navigator.gpu.requestAdapter before the backend starts: a second request of our own
 * would be another adapter object, and the page keeps this one referenced for as long as it runs.
 */
let adapterSeen: GpuAdapter | null = null;

const NO_WEBGPU = 'navigator.gpu is undefined: this Chromium has no WebGPU (needs --enable-unsafe-webgpu)';

function captureAdapter(gpu: Gpu): void {
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (o?: object) => {
    adapterSeen = await request(o);
    return adapterSeen;
  };
}

function webgpuAdapter(): AdapterInfo | string {
  if (adapterSeen === null) return 'navigator.gpu.requestAdapter() gave no adapter (try --adapter swiftshader)';
  const i = adapterSeen.info ?? { vendor: '', architecture: '', description: '' };
  const isSwiftShader = /swiftshader/i.test(`${i.architecture} ${i.description}`);
  return {
    backend: 'webgpu',
    vendor: i.vendor,
    architecture: i.architecture,
    description: i.description,
    isSwiftShader,
  };
}

function webglAdapter(gl: Gl): AdapterInfo {
  const ext = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_VENDOR_WEBGL: number } | null;
  const vendor = String(gl.getParameter(ext ? 0x9245 : 0x1f00)); // UNMASKED_VENDOR_WEBGL, else VENDOR
  const renderer = String(gl.getParameter(ext ? 0x9246 : 0x1f01)); // UNMASKED_RENDERER_WEBGL, else RENDERER
  return {
    backend: 'webgl',
    vendor,
    architecture: '',
    description: renderer,
    isSwiftShader: /swiftshader/i.test(renderer),
  };
}

function watch(backend: PageBackend): void {
  if (backend === 'webgpu') {
    const device = (tf.backend() as unknown as { device: GpuDevice }).device;
    void device.lost.then((i) => {
      deviceState.lost = `WebGPU device lost (${i.reason}): ${i.message}`;
    });
    device.addEventListener('uncapturederror', (e) => deviceState.errors.push(e.error.message));
  } else {
    const gl = (tf.backend() as unknown as { gpgpu: { gl: Gl } }).gpgpu.gl;
    gl.canvas.addEventListener('webglcontextlost', () => {
      deviceState.lost = 'WebGL context lost';
    });
  }
}

/** Selects the backend with `setup.flags` set first; the adapter, or why the backend is not there. */
export async function setUp(setup: PageSetup): Promise<PageReady> {
  for (const [name, value] of Object.entries(setup.flags)) tf.env().set(name, value);
  if (setup.backend === 'webgpu') {
    if (!nav.gpu) return { status: 'unavailable', reason: NO_WEBGPU };
    captureAdapter(nav.gpu);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(setup.backend);
  } catch (e) {
    return { status: 'unavailable', reason: `tf.setBackend('${setup.backend}') threw: ${(e as Error).message}` };
  }
  if (!ok || tf.getBackend() !== setup.backend) {
    const why = setup.backend === 'webgpu' ? webgpuAdapter() : null;
    return {
      status: 'unavailable',
      reason: typeof why === 'string' ? why : `tf.setBackend('${setup.backend}') failed`,
    };
  }
  const adapter =
    setup.backend === 'webgl'
      ? webglAdapter((tf.backend() as unknown as { gpgpu: { gl: Gl } }).gpgpu.gl)
      : webgpuAdapter();
  if (typeof adapter === 'string') return { status: 'unavailable', reason: adapter };
  if (setup.backend === 'webgpu' && !setup.readSync) refuseGpuReadSync(tf.backend());
  watch(setup.backend);
  return { status: 'ready', adapter, library: `tfjs-core ${tf.version_core}` };
}

export { tf };
