/**
 * The browser executor on this machine's Chromium (skipped, with the reason printed, without one):
 * built-in and user kernels run on webgpu and webgl with their small ops on the GPU, gradients
 * come back from the page, and the adapter is the one Chromium gave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, hostCall, sayWhySkipped, smallCase, verdictOf } from '../../../test/support/browser.js';
import { type BrowserKernel, browserKernel, bundlePage, type PageBackend, PageKernelError } from './index.js';

const BACKENDS: PageBackend[] = ['webgpu', 'webgl'];
const skip = Object.fromEntries(await Promise.all(BACKENDS.map(async (b) => [b, await browserSkipReason(b)])));

for (const backend of BACKENDS) {
  sayWhySkipped(`browserKernel (${backend})`, skip[backend]);
  describe.skipIf(skip[backend] !== null)(
    `browserKernel on ${backend}${skip[backend] ? ` (skipped: ${skip[backend]})` : ''}`,
    () => {
      let sdpa: BrowserKernel;
      beforeAll(async () => {
        sdpa = await browserKernel({ kernel: { builtin: 'sdpa' }, backend });
      });
      afterAll(() => sdpa?.close());

      it('reports the adapter Chromium gave (SwiftShader here) and names the device after it', () => {
        expect(sdpa.adapter.backend).toBe(backend);
        expect(sdpa.adapter.isSwiftShader).toBe(true);
        if (backend === 'webgpu') expect(sdpa.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader' });
        else expect(sdpa.adapter.description).toMatch(/SwiftShader/);
        expect(sdpa.device).toMatch(new RegExp(`^${backend} \\(.*swiftshader`, 'i'));
        expect(sdpa.name).toBe(`sdpa@${backend}`);
      });

      it('runs a built-in forward and backward in the page: out and every gradient pass the oracle', async () => {
        for (const c of [
          smallCase(),
          smallCase({ causal: 'bottom-right', precision: 'bfloat16' }, { Sq: 3, Sk: 7, Hq: 4, Hkv: 2 }),
          smallCase({ dropout: { p: 0.25, seed: 3 }, keyLengths: [3, 5], paddingSide: 'left' }, { B: 2 }),
        ]) {
          const r = await sdpa.run(hostCall(c));
          expect(Object.keys(r).sort()).toEqual(['dk', 'dq', 'dv', 'out']);
          expect(r.out.shape).toEqual([c.shapes.B, c.shapes.Hq, c.shapes.Sq, c.shapes.Dv]);
          expect(verdictOf(c, r)).toBe('pass');
        }
      });

      it('runs forward only when there is no dOut', async () => {
        const r = await sdpa.run({ ...hostCall(smallCase()), dOut: null });
        expect(Object.keys(r)).toEqual(['out']);
      });

      it(
        "runs a user's module with its small ops on the GPU (CPU forwarding off), " + "through the page's tfjs",
        async () => {
          const k = await browserKernel({
            kernel: { module: 'test/fixtures/browser-kernels/gpu-resident.ts' },
            backend,
          });
          try {
            const c = smallCase({}, { Sq: 1, Sk: 1, D: 1, Dv: 1, Hq: 1 });
            expect(verdictOf(c, await k.run(hostCall(c)))).toBe('pass');
          } finally {
            await k.close();
          }
          const forwarding = await browserKernel({
            kernel: { module: 'test/fixtures/browser-kernels/gpu-resident.ts' },
            backend,
            flags: backend === 'webgpu' ? { WEBGPU_CPU_FORWARD: true } : { WEBGL_CPU_FORWARD: true },
          });
          try {
            await expect(forwarding.run(hostCall(smallCase()))).rejects.toThrow(/a 1-element op ran on the CPU/);
          } finally {
            await forwarding.close();
          }
        },
      );

      it("a kernel's own error comes back with its phase, and the page stays", async () => {
        const k = await browserKernel({ kernel: { module: 'test/fixtures/browser-kernels/misbehaving.ts' }, backend });
        try {
          const c = smallCase({ scale: 0.125 });
          const e = await k.run(hostCall(smallCase({ scale: 0.125 }, { Sq: 3 }))).catch((x: unknown) => x);
          expect(e).toBeInstanceOf(PageKernelError);
          expect(e).toMatchObject({ name: 'Error', phase: 'forward', message: 'Sq = 3 is not implemented' });
          expect(verdictOf(c, await k.run(hostCall(c)))).toBe('pass');
        } finally {
          await k.close();
        }
      });
    },
  );
}

describe('bundling', () => {
  it('names the module that cannot be bundled, and what it imports that a page cannot have', async () => {
    await expect(bundlePage({ module: 'test/fixtures/browser-kernels/no-such-file.ts' })).rejects.toThrow(
      /browser: bundling the page failed: .*no-such-file/,
    );
    // It imports sdpa from src/runner, which brings the whole Node harness.
    await expect(bundlePage({ module: 'fixtures/broken-kernels/throws.ts' })).rejects.toThrow(
      /browser: bundling the page failed: src\/.*: imports "(node:)?[a-z_]+", which exists only in Node\. A kernel/,
    );
  });
});
