/**
 * Flash forward + backward on wasm in a loop, for a CPU profile of the kernel alone:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/flash-profile.ts [--S 1024] [--n 5] [--causal]
 *   npx tsx bench/profile-summary.ts /tmp/prof/<file>.cpuprofile
 *
 * B = 1, Hq = Hkv = 4, D = 64 as `attnfuzz bench`; the first step warms up and is not counted.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf, useBackend } from '../src/backend/index.js';
import { type AttentionShapes, defaultOptions, type KernelOptions, splitOutput } from '../src/contract/index.js';
import { eagerKernel, flashKernelWith } from '../src/runner/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const S = arg('S', 1024);
const n = arg('n', 5);
const H = 4;
const D = 64;
const causal = process.argv.includes('--causal');
const kernel = process.argv.includes('--eager')
  ? eagerKernel
  : flashKernelWith({ Br: arg('Br', 64), Bc: arg('Bc', 64) });

await useBackend('wasm');
const shapes: AttentionShapes = { B: 1, Hq: H, Hkv: H, Sq: S, Sk: S, D, Dv: D };
const opts: KernelOptions = {
  ...defaultOptions(shapes),
  causal: causal ? 'bottom-right' : 'none',
  mask: null,
  dropout: null,
};
const q = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 1) as Tensor4D;
const k = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 2) as Tensor4D;
const v = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 3) as Tensor4D;
const dOut = tf.randomNormal([1, H, S, D], 0, 1, 'float32', 4);
const step = () =>
  tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((qq: Tensor, kk: Tensor, vv: Tensor) =>
      tf.sum(tf.mul(splitOutput(kernel.forward(qq as Tensor4D, kk as Tensor4D, vv as Tensor4D, opts, tf)).out, dOut)),
    )([q, k, v]);
    value.dataSync();
    for (const g of grads) g.dataSync();
  });
step();
const times: number[] = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(
  `${kernel.name} wasm S=${S} causal=${causal}: median ${times[times.length >> 1]!.toFixed(1)} ms ` +
    `(${times.map((t) => t.toFixed(0)).join(', ')}), tensors alive ${tf.memory().numTensors}`,
);
