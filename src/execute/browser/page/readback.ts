/**
 * tfjs-backend-webgpu 4.22 reads a GPU tensor synchronously (`dataSync`, `arraySync`, what a kernel
 * calls to read a mask on the host) by copying its buffer into a WebGPU canvas and drawing that
 * onto a 2D canvas (backend_webgpu.ts `readSync`). In headless Chromium 156 on SwiftShader the
 * drawn pixels are all zero and the device is destroyed soon after: the kernel would run on a
 * mask of zeros and the next calls would find no device.
 *
 * So attnfuzz tries that path once per browser, in a throwaway page (the failed read takes WebGPU
 * down for its whole page: "A valid external Instance reference no longer exists", and
 * requestAdapter gives null from then on), and when it does not give the bytes back, tfjs's
 * readSync of GPU-resident data throws an error that says so: the case fails with the reason, not
 * with zeros, and the device stays.
 */
/* The WebGPU API as far as used here (the project compiles without DOM and WebGPU types). */
// biome-ignore lint/suspicious/noExplicitAny: the browser's WebGPU objects, untyped in this project
type Gpu = any;
const g = globalThis as unknown as Record<string, Gpu>;

/** Whether copying a buffer into a WebGPU canvas and drawing it onto a 2D canvas gives its bytes back. */
export async function canvasReadbackWorks(): Promise<boolean> {
  const adapter = await g.navigator.gpu.requestAdapter();
  if (adapter === null) return false;
  const device = await adapter.requestDevice();
  try {
    const bytes = new Uint8Array([10, 20, 30, 255]); // one bgra8unorm pixel, opaque
    const buffer = device.createBuffer({ size: 256, usage: g.GPUBufferUsage.COPY_SRC | g.GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, bytes);
    const canvas = new g.OffscreenCanvas(1, 1);
    const ctx = canvas.getContext('webgpu');
    ctx.configure({ device, format: 'bgra8unorm', usage: g.GPUTextureUsage.COPY_DST, alphaMode: 'opaque' });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToTexture({ buffer, bytesPerRow: 256 }, { texture: ctx.getCurrentTexture() }, { width: 1 });
    device.queue.submit([encoder.finish()]);
    const host = new g.OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true });
    host.drawImage(canvas, 0, 0);
    const rgba = host.getImageData(0, 0, 1, 1).data as Uint8ClampedArray;
    return rgba[0] === 30 && rgba[1] === 20 && rgba[2] === 10;
  } catch {
    return false;
  } finally {
    device.destroy();
  }
}

export const READSYNC_BROKEN =
  'tfjs-backend-webgpu: dataSync()/arraySync() of a tensor on the GPU cannot work in this browser (its ' +
  'WebGPU-canvas readback gives zeros and loses the device: headless Chromium on SwiftShader); the kernel ' +
  'reads a GPU tensor synchronously';

/** Makes the webgpu backend's readSync of GPU-resident data throw READSYNC_BROKEN. */
export function refuseGpuReadSync(backend: unknown): void {
  const b = backend as {
    readSync(dataId: object): unknown;
    tensorMap: { get(dataId: object): { values: unknown; resource: unknown } };
  };
  const readSync = b.readSync.bind(b);
  b.readSync = (dataId: object) => {
    const d = b.tensorMap.get(dataId);
    if (d.values == null && d.resource != null) throw new Error(READSYNC_BROKEN);
    return readSync(dataId);
  };
}
