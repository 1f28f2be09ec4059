/**
 * Tensor-by-tensor comparison of two training runs by name, and its report lines, in the style of
 * llm.c's test_gpt2 (`dqkvw TENSOR OK maxdiff=...`):
 *
 *   logits OK maxAbs=2.4e-7 allowed=4.1e-5 @[0,3,7]
 *   dB layers.0.q OK maxAbs=3.1e-7 allowed=2.0e-6 @[3,1]
 *   frozen embed OK maxAbs=0.0e+0 allowed=0.0e+0 @[0,0]
 *   A layers.0.q step=2 FAIL maxAbs=1.2e-1 allowed=1.0e-5 @[0,5]
 *
 * allowed = rel · max|expected| + abs (norm-wise, as compare.ts explains); a non-finite value where
 * the expected one is finite is always a failure (maxAbs = Infinity). `@[...]` is the worst element.
 */
import { unravel, type HostTensor } from '../contract/index.js';

export interface Tolerance {
  readonly rel: number;
  readonly abs: number;
}

export interface TensorCheck {
  /** `logits`, `loss`, `dA layers.0.q`, `frozen embed`, `B layers.0.v step=2`, `loss step=3`. */
  readonly label: string;
  readonly ok: boolean;
  readonly maxAbs: number;
  readonly allowed: number;
  /** Coordinates of the worst element ([] for a scalar). */
  readonly at: readonly number[];
}

/** Compares `actual` with `expected` element by element; `weight` (0/1 per element) skips elements. */
export function checkTensor(label: string, actual: HostTensor, expected: HostTensor, tol: Tolerance, weight?: ArrayLike<number>): TensorCheck {
  const sameShape = actual.shape.length === expected.shape.length && actual.shape.every((d, n) => d === expected.shape[n]);
  if (!sameShape) return { label: `${label} shape [${actual.shape.join(',')}] vs [${expected.shape.join(',')}]`, ok: false, maxAbs: Infinity, allowed: 0, at: [] };
  let scale = 0;
  let worst = 0;
  let worstAt = 0;
  for (let n = 0; n < expected.data.length; n++) {
    if (weight && weight[n] === 0) continue;
    const e = expected.data[n]!;
    const a = actual.data[n]!;
    if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
    const d = Number.isFinite(a) || !Number.isFinite(e) ? Math.abs(a - e) : Infinity;
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Infinity : d;
      worstAt = n;
    }
  }
  const allowed = tol.rel * scale + tol.abs;
  return { label, ok: worst <= allowed, maxAbs: worst, allowed, at: expected.shape.length ? unravel(expected.shape, worstAt) : [] };
}

export function scalarTensor(x: number): HostTensor {
  return { shape: [], data: Float64Array.of(x) };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));

/** One line per tensor: `<label> OK|FAIL maxAbs=<e> allowed=<e> @[i,j]`. */
export function formatCheck(c: TensorCheck): string {
  return `${c.label} ${c.ok ? 'OK' : 'FAIL'} maxAbs=${fmt(c.maxAbs)} allowed=${fmt(c.allowed)} @[${c.at.join(',')}]`;
}
