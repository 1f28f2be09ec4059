/**
 * Flash forward + backward on wasm in a loop, for a CPU profile of the kernel alone:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/flash-profile.ts [--S 1024] [--n 5] [--causal]
 *     [--Br 256] [--Bc 256] [--eager]
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
  : flashKernelWith({
      ...(process.argv.includes('--Br') ? { Br: arg('Br', 0) } : {}),
      ...(process.argv.includes('--Bc') ? { Bc: arg('Bc', 0) } : {}),
    });

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
/**
 * Median wall and CPU (user + system) milliseconds of n runs of f; CPU time is what load on a shared
 * machine moves least.
 */
function time(f: () => void, runs: number): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: median(wall), cpu: median(cpu) };
}
const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 5);
const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 6);
const matMul = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
matMul();
const ceiling = time(matMul, 5);
const t = time(step, n);
const flops = (causal ? 0.5 : 1) * 3.5 * 4 * H * S * S * D;
const share = (ms: number, ref: number) =>
  `${((100 * flops) / (ms * 1e6) / ((2 * 1024 ** 3) / (ref * 1e6))).toFixed(1)}%`;
console.log(
  `${kernel.name} wasm S=${S} causal=${causal}: median ${t.wall.toFixed(1)} ms wall, ${t.cpu.toFixed(1)} ms CPU; ` +
    `matMul 1024^3 ${ceiling.wall.toFixed(1)} ms wall, ${ceiling.cpu.toFixed(1)} ms CPU; share of matMul ` +
    `${share(t.wall, ceiling.wall)} (wall), ${share(t.cpu, ceiling.cpu)} (CPU); ` +
    `tensors alive ${tf.memory().numTensors}`,
);
