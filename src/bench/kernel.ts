/**
 * One kernel's forward + backward at one size on the active backend, as a training step runs it:
 * the inputs already on the backend, `tf.valueAndGrads` of sum(out ∘ dOut) through `forward` (the
 * kernel's own backward when it wraps one in tf.customGrad), every result read back so the work
 * is done when the clock stops. Timed with tinybench (median and its spread); the peak tensor
 * memory of one such step comes from tf.profile. Before any timing, the kernel is checked once
 * against the float64 reference at a small size: a benchmark of a wrong kernel is worthless.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { tf } from '../backend/index.js';
import {
  ATTENTION_TENSORS,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionShapes,
  defaultOptions,
  FLOAT32_REL_BOUND,
  type KernelOptions,
  maxRelError,
  splitOutput,
} from '../contract/index.js';
import { normals, stream } from '../data/index.js';
import { runAttentionKernel } from '../execute/index.js';
import { referenceAttention } from '../reference/index.js';
import { cpuRecorder } from './cpuTime.js';

export interface BenchShape {
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly S: number;
  readonly D: number;
  /** Bottom-right causal; default false. */
  readonly causal?: boolean;
}

const shapesOf = (s: BenchShape): AttentionShapes => ({
  B: s.B,
  Hq: s.Hq,
  Hkv: s.Hkv,
  Sq: s.S,
  Sk: s.S,
  D: s.D,
  Dv: s.D,
});

function hostInput(name: string, shape: number[]): { shape: number[]; data: Float64Array } {
  return {
    shape,
    data: Float64Array.from(
      normals(
        stream(1, name),
        shape.reduce((a, b) => a * b, 1),
      ),
      Math.fround,
    ),
  };
}

/**
 * Checks the kernel against the float64 reference on one small case of the benchmark's shape (S =
 * min(S, 96), so several flash tiles and a partial one): null when it is right, else why not.
 */
export function wrongness(kernel: AttentionKernel, shape: BenchShape): string | null {
  const s = shapesOf({ ...shape, S: Math.min(shape.S, 96) });
  const inputs = {
    q: hostInput('q', [s.B, s.Hq, s.Sq, s.D]),
    k: hostInput('k', [s.B, s.Hkv, s.Sk, s.D]),
    v: hostInput('v', [s.B, s.Hkv, s.Sk, s.Dv]),
    dOut: hostInput('dOut', [s.B, s.Hq, s.Sq, s.Dv]),
  };
  const opts: AttentionOptions = { ...defaultOptions(s), causal: shape.causal ? 'bottom-right' : 'none' };
  try {
    const got = runAttentionKernel(kernel, inputs, opts);
    const ref = referenceAttention(inputs, opts);
    const worst = Math.max(...ATTENTION_TENSORS.map((t) => maxRelError(got[t], ref[t])));
    // The fuzzing oracle is finer; this only refuses to time a kernel that is plainly wrong.
    return worst <= 10 * FLOAT32_REL_BOUND
      ? null
      : `max relative error ${worst.toExponential(2)} against the float64 reference (bound ` +
          `${(10 * FLOAT32_REL_BOUND).toExponential(0)})`;
  } catch (e) {
    return `threw: ${((e as Error).message ?? String(e)).split('\n')[0]}`;
  }
}

interface Operands {
  readonly q: Tensor4D;
  readonly k: Tensor4D;
  readonly v: Tensor4D;
  readonly dOut: Tensor;
}

function operands(s: BenchShape): Operands {
  return {
    q: tf.randomNormal([s.B, s.Hq, s.S, s.D], 0, 1, 'float32', 1) as Tensor4D,
    k: tf.randomNormal([s.B, s.Hkv, s.S, s.D], 0, 1, 'float32', 2) as Tensor4D,
    v: tf.randomNormal([s.B, s.Hkv, s.S, s.D], 0, 1, 'float32', 3) as Tensor4D,
    dOut: tf.randomNormal([s.B, s.Hq, s.S, s.D], 0, 1, 'float32', 4),
  };
}

/** One forward + backward, every result read back (so the work is done), nothing left alive. */
function step(kernel: AttentionKernel, x: Operands, opts: KernelOptions): void {
  tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((q: Tensor, k: Tensor, v: Tensor) =>
      tf.sum(tf.mul(splitOutput(kernel.forward(q as Tensor4D, k as Tensor4D, v as Tensor4D, opts, tf)).out, x.dOut)),
    )([x.q, x.k, x.v]);
    value.dataSync();
    for (const g of grads) g.dataSync();
  });
}

export interface Timing {
  readonly ms: number;
  readonly madMs: number;
  readonly samples: number;
  readonly peakBytes: number;
  /** Median CPU milliseconds of one step (cpuTime.ts). */
  readonly cpuMs: number;
}

/** Times forward + backward at `shape` for about `timeMs` (at least 3 samples after 1 warm-up). */
export async function timeKernel(kernel: AttentionKernel, shape: BenchShape, timeMs: number): Promise<Timing> {
  const x = operands(shape);
  const opts: KernelOptions = {
    ...defaultOptions(shapesOf(shape)),
    causal: shape.causal ? 'bottom-right' : 'none',
    mask: null,
    dropout: null,
  };
  try {
    const before = tf.memory().numBytes;
    const info = await tf.profile(() => {
      step(kernel, x, opts);
      return [] as Tensor[];
    });
    const peakBytes = Math.max(0, info.peakBytes - before);
    const bench = new Bench({ time: timeMs, iterations: 3, warmupIterations: 1, warmupTime: 0 });
    const cpu = cpuRecorder(() => step(kernel, x, opts));
    bench.add(kernel.name, cpu.run);
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== 'completed')
      throw new Error(`tinybench: ${r.state}${'error' in r ? `: ${String((r as { error: unknown }).error)}` : ''}`);
    return {
      ms: r.latency.p50,
      madMs: r.latency.mad,
      samples: r.latency.samplesCount,
      peakBytes,
      cpuMs: cpu.medianMs(1),
    };
  } finally {
    tf.dispose([x.q, x.k, x.v, x.dOut]);
  }
}
