/**
 * The practical ceiling of a backend: its own matMul of n x n by n x n, measured in the same run as
 * the kernels (tinybench median), GFLOP/s = 2n³ / time. A kernel's GFLOP/s over this is the share
 * of what this stack can do that the kernel reaches.
 */
import { Bench } from 'tinybench';
import { activeBackend, type BackendName, tf } from '../backend/index.js';
import { cpuRecorder } from './cpuTime.js';
import { matMulFlops } from './flops.js';
import type { Ceiling } from './types.js';

export async function matMulCeiling(n: number, timeMs: number): Promise<Ceiling> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 5);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 6);
  try {
    const bench = new Bench({ time: timeMs, iterations: 3, warmupIterations: 1, warmupTime: 0 });
    const cpu = cpuRecorder(() => tf.tidy(() => void tf.matMul(a, b).dataSync()));
    bench.add('matMul', cpu.run);
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== 'completed') throw new Error(`matMul ceiling: tinybench ${r.state}`);
    const ms = r.latency.p50;
    const threads = backendThreads();
    return {
      backend: activeBackend() as BackendName,
      n,
      ms,
      gflops: matMulFlops(n) / (ms * 1e6),
      cpuMs: cpu.medianMs(1),
      ...(threads !== null ? { threads } : {}),
    };
  } finally {
    tf.dispose([a, b]);
  }
}

/** XNNPACK's thread count on wasm (tfjs-backend-wasm keeps it on its module), else null. */
function backendThreads(): number | null {
  const b = tf.backend() as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  const n = b.wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' && n > 0 ? n : null;
}
