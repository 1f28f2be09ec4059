/**
 * `--kernel ort:<op> --device webgpu` runs ONNX Runtime Web's WebGPU execution provider in headless
 * Chromium (targets/ort/pageSessions.ts over src/execute/browser browserOnnx): the same models the
 * cpu provider runs in Node, judged the same way. On SwiftShader (no shader-f16) the float16 forms
 * are declined, not failed. Skipped, with the reason printed, without a Chromium that has WebGPU.
 */
import { describe, expect, it } from 'vitest';
import { resolveKernel, search } from '../src/runner/index.js';
import { browserSkipReason, sayWhySkipped } from './support/browser.js';

const skip = await browserSkipReason('webgpu');
sayWhySkipped('browser-ort', skip);

describe.skipIf(skip !== null)(`ort:* on --device webgpu${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('ort:attention runs in the page, names ONNX Runtime Web and its adapter, and passes its cases', async () => {
    const k = await resolveKernel('ort:attention', 'attention', process.cwd(), '--kernel', { device: 'webgpu' });
    try {
      const host = k.attention!() as { name: string; precisions?: readonly string[] };
      expect(host.name).toMatch(/onnxruntime-web 1\.30\.0 \(webgpu: google swiftshader\)$/);
      // SwiftShader has no shader-f16: a float16 model would throw on every call.
      expect(host.precisions).toEqual(['float32']);
      const r = await search({ suite: 'attention', kernel: k, seed: 4, numRuns: 12, constraints: { maxSeq: 8 } });
      expect(r.status, r.status === 'failed' ? JSON.stringify(r.shrunk.verdict) : '').toBe('clean');
      expect(r.cases - r.unsupported).toBeGreaterThan(0);
    } finally {
      await k.close?.();
    }
  });
});
