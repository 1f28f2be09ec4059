/** Error measures between a tensor and its reference, used by tests, goldens and the oracle. */
import type { HostTensor } from './types.js';

/** Largest |a - ref|; Infinity if a value is non-finite where the reference is finite. */
export function maxAbsDiff(a: HostTensor, ref: HostTensor): number {
  let m = 0;
  for (let n = 0; n < ref.data.length; n++) {
    const x = a.data[n]!;
    const r = ref.data[n]!;
    if (!Number.isFinite(x)) {
      if (Number.isFinite(r) || !Object.is(x, r)) return Infinity;
      continue;
    }
    m = Math.max(m, Math.abs(x - r));
  }
  return m;
}

/** Largest |ref|. */
export function maxAbs(t: HostTensor): number {
  let m = 0;
  for (const x of t.data) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

/**
 * Norm-wise relative error max|a - ref| / max|ref| (as flash-attention and PyTorch measure kernels:
 * elementwise relative error is meaningless for outputs near 0). An all-zero reference divides by
 * 1, making the measure absolute.
 */
export function maxRelError(a: HostTensor, ref: HostTensor): number {
  const scale = maxAbs(ref);
  return maxAbsDiff(a, ref) / (scale > 0 ? scale : 1);
}

/**
 * The bound float32 tfjs kernels must meet against the float64 reference, per tensor
 * (out, dq, dk, dv, y, dx, dA, dB), in `maxRelError`.
 */
export const FLOAT32_REL_BOUND = 1e-5;
