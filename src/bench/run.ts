/**
 * `attnfuzz bench`: for each backend, the matMul ceiling, then each kernel checked once and timed
 * at every length and head dim, then the harness on default check cases. Backends run one after the
 * other in this process (each initialised once); a kernel that is wrong or throws is skipped with
 * its reason, never timed.
 */

import { type AnyBackend, isPageBackend, type PageBackendName, useBackend } from '../backend/index.js';
import { isHostKernel } from '../contract/index.js';
import type { WithPages } from '../runner/index.js';
import { matMulCeiling } from './ceiling.js';
import { attentionFlops } from './flops.js';
import { profileHarness } from './harness.js';
import { type BenchShape, timeKernel, wrongness } from './kernel.js';
import type { BenchReport, Ceiling, HarnessProfile, KernelRow, SkippedKernel } from './types.js';

export interface BenchOptions {
  /** With their page twins when a page backend is listed (`withPages`). */
  readonly kernels: readonly WithPages[];
  readonly backends: readonly AnyBackend[];
  readonly sizes: readonly number[];
  readonly headDims: readonly number[];
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  /** Time per measurement (tinybench keeps at least 3 samples whatever this is). */
  readonly timeMs: number;
  /** n of the matMul ceiling. */
  readonly ceilingN: number;
  /** Default check cases per kernel for the harness profile; 0 skips it. */
  readonly harnessCases: number;
  readonly seed: number;
  /** Constraints of the default check cases (the CLI's, as `check` builds them). */
  readonly constraints?: Record<string, unknown>;
  readonly onProgress?: (line: string) => void;
}

/**
 * A page backend: only the harness on default check cases (the kernel runs in headless Chromium;
 * kernel timings and the matMul ceiling are of tfjs in this process).
 */
async function pageHarness(o: BenchOptions, backend: PageBackendName, skipped: SkippedKernel[]) {
  const out: HarnessProfile[] = [];
  for (const k of o.kernels) {
    skipped.push({ kernel: k.label, backend, reason: 'runs in a page: only its cases/s on check cases are measured' });
    if (o.harnessCases === 0) continue;
    const h = await profileHarness(k, o.harnessCases, o.seed, o.constraints, backend);
    out.push(h);
    o.onProgress?.(
      `${backend} (${h.adapter}) ${k.label}: default check cases ${h.casesPerSecond.toFixed(2)}/s, kernel under ` +
        `test ${(100 * h.shares.kernel).toFixed(0)}% of a case`,
    );
  }
  return out;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const say = o.onProgress ?? (() => {});
  const ceilings: Ceiling[] = [];
  const rows: KernelRow[] = [];
  const skipped: SkippedKernel[] = [];
  const harness: HarnessProfile[] = [];
  for (const backend of o.backends) {
    if (isPageBackend(backend)) {
      harness.push(...(await pageHarness(o, backend, skipped)));
      continue;
    }
    await useBackend(backend);
    const ceiling = await matMulCeiling(o.ceilingN, o.timeMs);
    ceilings.push(ceiling);
    say(
      `${backend}: matMul ${o.ceilingN}^3 ${ceiling.ms.toFixed(1)} ms = ${ceiling.gflops.toFixed(2)} GFLOP/s ` +
        `(the ceiling)`,
    );
    for (const k of o.kernels) {
      const kernel = k.attention!();
      if (isHostKernel(kernel)) {
        skipped.push({ kernel: k.label, backend, reason: 'a host kernel (bench times tfjs kernels on a backend)' });
        continue;
      }
      const wrong = wrongness(kernel, { B: o.B, Hq: o.Hq, Hkv: o.Hkv, S: Math.max(...o.sizes), D: o.headDims[0]! });
      if (wrong !== null) {
        skipped.push({ kernel: k.label, backend, reason: wrong });
        say(`${backend} ${k.label}: not timed: ${wrong}`);
        continue;
      }
      for (const D of o.headDims)
        for (const S of o.sizes) {
          const shape: BenchShape = { B: o.B, Hq: o.Hq, Hkv: o.Hkv, S, D };
          const t = await timeKernel(kernel, shape, o.timeMs);
          const gflops = attentionFlops(o.B, o.Hq, S, D) / (t.ms * 1e6);
          rows.push({
            kernel: k.label,
            backend,
            B: o.B,
            Hq: o.Hq,
            Hkv: o.Hkv,
            S,
            D,
            ms: t.ms,
            madMs: t.madMs,
            samples: t.samples,
            gflops,
            ceilingRatio: gflops / ceiling.gflops,
            peakBytes: t.peakBytes,
          });
          say(
            `${backend} ${k.label} S=${S} D=${D}: ${t.ms.toFixed(1)} ms, ${gflops.toFixed(2)} GFLOP/s ` +
              `(${((100 * gflops) / ceiling.gflops).toFixed(1)}% of matMul), peak ` +
              `${(t.peakBytes / 2 ** 20).toFixed(1)} MiB`,
          );
        }
      if (o.harnessCases > 0) {
        const h = await profileHarness(k, o.harnessCases, o.seed, o.constraints);
        harness.push(h);
        say(
          `${backend} ${k.label}: default check cases ${h.casesPerSecond.toFixed(1)}/s, kernel under test ` +
            `${(100 * h.shares.kernel).toFixed(0)}% of a case`,
        );
      }
    }
  }
  return { date: new Date().toISOString(), ceilings, rows, skipped, harness };
}
