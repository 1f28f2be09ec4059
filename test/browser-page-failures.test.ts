/**
 * A page that hangs, loses its GPU device or crashes costs the one case it was running: that call
 * fails with the reason (PageFailure: hung, lost, crashed), the page is closed, and the next call
 * passes on a fresh one. The kernel (test/fixtures/browser-kernels/misbehaving.ts) is sdpa except
 * on the case with Sq = 3, where the case's scale picks how it takes its page down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserKernel, browserKernel, type PageBackend } from '../src/execute/index.js';
import { browserSkipReason, hostCall, sayWhySkipped, smallCase, verdictOf } from './support/browser.js';

const MODULE = 'test/fixtures/browser-kernels/misbehaving.ts';
const BACKENDS: PageBackend[] = ['webgpu', 'webgl'];
const skip = Object.fromEntries(await Promise.all(BACKENDS.map(async (b) => [b, await browserSkipReason(b)])));

const FAILURES = [
  { what: 'hangs', scale: 0.25, kind: 'hung', message: /no answer in 8 s \(hung\)/ },
  { what: 'loses its device', scale: 0.5, kind: 'lost', message: /(WebGPU device lost|WebGL context lost)/ },
  { what: 'crashes', scale: 0.75, kind: 'crashed', message: /crashed/ },
] as const;

for (const backend of BACKENDS) {
  sayWhySkipped(`browser-page-failures (${backend})`, skip[backend]);
  describe.skipIf(skip[backend] !== null)(
    `${backend}: a page that fails costs one case${skip[backend] ? ` (skipped: ${skip[backend]})` : ''}`,
    () => {
      let k: BrowserKernel;
      beforeAll(async () => {
        k = await browserKernel({
          kernel: { module: MODULE },
          backend,
          // Long enough for a good case's first call on a fresh page (shader compiles: under 2 s at load
          // 20 on 2 cores), short because the hung page spins a core until then.
          timeoutMs: 8_000,
          // A small heap, so that the kernel that fills it crashes its renderer quickly.
          chromiumArgs: ['--js-flags=--max-old-space-size=128'],
        });
      });
      afterAll(() => k?.close());

      for (const f of FAILURES) {
        it(`a page that ${f.what} fails its case (${f.kind}); the next case passes on a fresh page`, async () => {
          const good = smallCase({ scale: f.scale });
          const bad = smallCase({ scale: f.scale }, { Sq: 3 });
          expect(verdictOf(good, await k.run(hostCall(good)))).toBe('pass');
          const failed = await k.run(hostCall(bad)).then(
            () => null,
            (e: Error & { kind?: string }) => e,
          );
          expect(failed?.name).toBe('PageFailure');
          expect(failed?.kind).toBe(f.kind);
          expect(failed?.message).toMatch(f.message);
          expect(verdictOf(good, await k.run(hostCall(good)))).toBe('pass');
        });
      }
    },
  );
}
