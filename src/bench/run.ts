/**
 * `attnfuzz bench`: for each backend, the matMul ceiling, then each kernel checked once and timed
 * at every length and head dim, then the harness on default check cases. Backends run one after the
 * other in this process (each initialised once); a kernel that is wrong or throws is skipped with
 * its reason, never timed.
 */
import { type AnyBackend, isPageBackend, type PageBackendName, useBackend } from '../backend/index.js';
import { type AttentionKernel, isHostKernel } from '../contract/index.js';
import type { WithPages } from '../runner/index.js';
import { matMulCeiling } from './ceiling.js';
import { attentionFlops, matMulFlops } from './flops.js';
import { profileHarness } from './harness.js';
import { type BenchShape, timeKernel, wrongness } from './kernel.js';
import { describeMachine, loadAverage, type Machine, machineLine } from './machine.js';
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
  /** Also time each size with bottom-right causal (a second row per size). */
  readonly causal?: boolean;
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
  const machine = describeMachine();
  const load = { start: loadAverage(), end: 0 };
  const ceilings: Ceiling[] = [];
  const rows: KernelRow[] = [];
  const skipped: SkippedKernel[] = [];
  const harness: HarnessProfile[] = [];
  say(`machine: ${machineLine(machine)}; load average ${load.start.toFixed(2)}`);
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
        `(the ceiling${ceiling.threads !== undefined ? `, ${ceiling.threads} thread(s)` : ''})`,
    );
    for (const k of o.kernels) {
      const kernel = k.attention!();
      if (isHostKernel(kernel)) {
        skipped.push({ kernel: k.label, backend, reason: 'a host kernel (bench times tfjs kernels on a backend)' });
        continue;
      }
      const base = { B: o.B, Hq: o.Hq, Hkv: o.Hkv, S: Math.max(...o.sizes), D: o.headDims[0]! };
      const wrong = causals(o).reduce<string | null>((w, causal) => w ?? wrongness(kernel, { ...base, causal }), null);
      if (wrong !== null) {
        skipped.push({ kernel: k.label, backend, reason: wrong });
        say(`${backend} ${k.label}: not timed: ${wrong}`);
        continue;
      }
      for (const D of o.headDims)
        for (const S of o.sizes)
          for (const causal of causals(o)) {
            const shape = { B: o.B, Hq: o.Hq, Hkv: o.Hkv, S, D, causal };
            try {
              const row = await timeRow(o, k.label, kernel, shape, machine, ceiling);
              rows.push(row);
              say(progressLine(row));
            } catch (e) {
              // One size that throws (out of wasm memory, say) costs that row, not the run.
              const why = String((e as Error).message ?? e).split('\n')[0];
              const reason = `S=${S} D=${D}${causal ? ' causal' : ''}: threw: ${why}`;
              skipped.push({ kernel: k.label, backend, reason });
              say(`${backend} ${k.label}: not timed: ${reason}`);
            }
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
  load.end = loadAverage();
  return { date: new Date().toISOString(), machine, load, ceilings, rows, skipped, harness };
}

const causals = (o: BenchOptions): boolean[] => (o.causal ? [false, true] : [false]);

async function timeRow(
  o: BenchOptions,
  label: string,
  kernel: AttentionKernel,
  shape: BenchShape & { causal: boolean },
  machine: Machine,
  ceiling: Ceiling,
): Promise<KernelRow> {
  const t = await timeKernel(kernel, shape, o.timeMs);
  const gflops = attentionFlops(o.B, o.Hq, shape.S, shape.D, shape.causal) / (t.ms * 1e6);
  return {
    kernel: label,
    backend: ceiling.backend,
    cpu: machine.cpu,
    cores: machine.cores,
    ceilingGflops: ceiling.gflops,
    ceilingN: ceiling.n,
    loadAverage: loadAverage(),
    causal: shape.causal,
    B: o.B,
    Hq: o.Hq,
    Hkv: o.Hkv,
    S: shape.S,
    D: shape.D,
    ms: t.ms,
    madMs: t.madMs,
    samples: t.samples,
    gflops,
    ceilingRatio: gflops / ceiling.gflops,
    peakBytes: t.peakBytes,
    cpuMs: t.cpuMs,
    cpuCeilingRatio:
      attentionFlops(o.B, o.Hq, shape.S, shape.D, shape.causal) / t.cpuMs / (matMulFlops(ceiling.n) / ceiling.cpuMs),
  };
}

/** One measurement as a progress line, with its machine: the numbers mean nothing without it. */
function progressLine(r: KernelRow): string {
  return (
    `${r.backend} ${r.kernel} S=${r.S} D=${r.D}${r.causal ? ' causal' : ''}: ${r.ms.toFixed(1)} ms, ` +
    `${r.gflops.toFixed(2)} GFLOP/s (${(100 * r.ceilingRatio).toFixed(1)}% of matMul ${r.ceilingN}^3 = ` +
    `${r.ceilingGflops.toFixed(2)} GFLOP/s; by CPU time ${r.cpuMs.toFixed(1)} ms, ` +
    `${(100 * r.cpuCeilingRatio).toFixed(1)}%), peak ${(r.peakBytes / 2 ** 20).toFixed(1)} MiB; ${r.cpu}, ` +
    `${r.cores} cores, load ${r.loadAverage.toFixed(2)}`
  );
}
