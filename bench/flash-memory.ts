/**
 * Peak tensor memory of flash vs eager attention, forward + backward, on the tfjs cpu backend:
 *
 *   npx tsx bench/flash-memory.ts [--S 2048] [--D 64] [--H 1] [--Br n] [--Bc n] [--causal]
 *
 * Flash runs with its own default block sizes (what users get) unless --Br / --Bc name others.
 *
 * Eager materialises S and P [B, H, Sq, Sk] (and autodiff keeps them for the backward); flash
 * keeps only [Br, Bc] tiles plus O and the log-sum-exp. Peak bytes come from tf.profile, which
 * snapshots the engine's live tensor bytes after every kernel; we report the peak above what was
 * live before the call (the inputs). tfjs counts bytes per tensor, not per buffer: a reshape view
 * counts as much as a copy, so both numbers overstate real allocation (flash's more: it reshapes
 * every tile for its batched matmuls). Correctness is checked once first: flash and eager must agree
 * within FLOAT32_REL_BOUND·10 on out, dq, dk, dv at the measured size.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../src/backend/index.js';
import {
  type AttentionKernel,
  type AttentionShapes,
  defaultOptions,
  FLOAT32_REL_BOUND,
  type KernelOptions,
  maxRelError,
  splitOutput,
} from '../src/contract/index.js';
import { eagerKernel, flashKernelWith } from '../src/runner/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const S = arg('S', 2048);
const D = arg('D', 64);
const H = arg('H', 1);
/** The block sizes asked for: flash's defaults where a flag is absent. */
const blocks = {
  ...(process.argv.includes('--Br') ? { Br: arg('Br', 0) } : {}),
  ...(process.argv.includes('--Bc') ? { Bc: arg('Bc', 0) } : {}),
};
const causal = process.argv.includes('--causal');
const shapes: AttentionShapes = { B: 1, Hq: H, Hkv: H, Sq: S, Sk: S, D, Dv: D };
const opts: KernelOptions = {
  ...defaultOptions(shapes),
  causal: causal ? 'bottom-right' : 'none',
  mask: null,
  dropout: null,
};

interface Measured {
  readonly peakBytes: number;
  readonly seconds: number;
  readonly values: Array<{ shape: number[]; data: Float64Array }>;
}

/** Forward + backward of sum(out ∘ dOut) under tf.profile; returns the peak above the inputs. */
async function measure(
  kernel: AttentionKernel,
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  dOut: Tensor,
): Promise<Measured> {
  const before = tf.memory().numBytes;
  const t0 = performance.now();
  let values: Measured['values'] = [];
  const info = await tf.profile(() => {
    const { value, grads } = tf.valueAndGrads((qq: Tensor, kk: Tensor, vv: Tensor) =>
      tf.mul(splitOutput(kernel.forward(qq as Tensor4D, kk as Tensor4D, vv as Tensor4D, opts, tf)).out, dOut),
    )([q, k, v]);
    // Read out and grads while still inside the profile; the value is out ∘ dOut, so divide back out.
    const out = tf.div(value, dOut);
    values = [out, ...grads].map((t) => ({ shape: t.shape, data: Float64Array.from(t.dataSync()) }));
    tf.dispose([value, out, ...grads]);
    return [] as Tensor[];
  });
  const seconds = (performance.now() - t0) / 1000;
  return { peakBytes: info.peakBytes - before, seconds, values };
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const q = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 1) as Tensor4D;
  const k = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 2) as Tensor4D;
  const v = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 3) as Tensor4D;
  // dOut bounded away from 0 so out = value / dOut is well conditioned for the correctness check.
  const dOut = tf.add(tf.randomUniform([1, H, S, D], 0.5, 1.5, 'float32', 4), 0);
  const flash = flashKernelWith(blocks);
  const f = await measure(flash, q, k, v, dOut);
  const e = await measure(eagerKernel, q, k, v, dOut);
  const names = ['out', 'dq', 'dk', 'dv'];
  const errs = names.map((n, i) => `${n} ${maxRelError(f.values[i]!, e.values[i]!).toExponential(2)}`);
  const ok = names.every((_, i) => maxRelError(f.values[i]!, e.values[i]!) <= 10 * FLOAT32_REL_BOUND);
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(`flash-memory: B=1 H=${H} Sq=Sk=${S} D=${D} causal=${causal} backend=${tf.getBackend()} ${flash.name}`);
  console.log(`  check flash vs eager (maxRelError): ${errs.join(', ')} -> ${ok ? 'ok' : 'MISMATCH'}`);
  console.log(`  eager  peak ${mb(e.peakBytes).padStart(11)}  (${e.seconds.toFixed(1)} s fwd+bwd)`);
  console.log(`  flash  peak ${mb(f.peakBytes).padStart(11)}  (${f.seconds.toFixed(1)} s fwd+bwd)`);
  console.log(
    `  flash / eager = ${(f.peakBytes / e.peakBytes).toFixed(4)}  (eager / flash = ` +
      `${(e.peakBytes / f.peakBytes).toFixed(1)}x)`,
  );
  console.log(`  reference: one [Sq, Sk] float32 matrix per head = ${mb(S * S * 4)}`);
  tf.dispose([q, k, v, dOut]);
  if (!ok) process.exitCode = 1;
}

await main();
