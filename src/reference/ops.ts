/**
 * Float64 references of the tfjs ops the kernels are built from, written as the definitions,
 * and a float64 central-difference gradient for any of them. The op properties compare tfjs
 * (float32, each backend) against these.
 */
import { type HostTensor, numel, stridesOf } from '../contract/index.js';
import { numericalGradient } from './gradcheck.js';

/** Broadcast batched matrix product: a [..., M, K] (or [..., K, M] if transposeA) times b. */
export function matMul64(a: HostTensor, b: HostTensor, transposeA: boolean, transposeB: boolean): HostTensor {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [aR, aC] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [bR, bC] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const M = transposeA ? aC : aR;
  const K = transposeA ? aR : aC;
  const N = transposeB ? bR : bC;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const padA = [...Array(rank - batchA.length).fill(1), ...batchA] as number[];
  const padB = [...Array(rank - batchB.length).fill(1), ...batchB] as number[];
  const batch = padA.map((d, n) => Math.max(d, padB[n]!));
  const outShape = [...batch, M, N];
  const out = new Float64Array(numel(outShape));
  const sA = stridesOf(padA);
  const sB = stridesOf(padB);
  const nBatch = numel(batch);
  for (let t = 0; t < nBatch; t++) {
    // Coordinates of batch t, then the broadcast source batch in a and in b.
    let rem = t;
    let offA = 0;
    let offB = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      offA += (padA[d] === 1 ? 0 : c) * sA[d]!;
      offB += (padB[d] === 1 ? 0 : c) * sB[d]!;
    }
    const baseA = offA * aR * aC;
    const baseB = offB * bR * bC;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const x = a.data[baseA + (transposeA ? k * aC + i : i * aC + k)]!;
          const y = b.data[baseB + (transposeB ? j * bC + k : k * bC + j)]!;
          s += x * y;
        }
        out[(t * M + i) * N + j] = s;
      }
  }
  return { shape: outShape, data: out };
}

/** Applies f to each row of the last axis. */
function rows(x: HostTensor, f: (row: Float64Array) => Float64Array, outCols?: number): HostTensor {
  const C = x.shape[x.shape.length - 1]!;
  const R = x.data.length / C;
  const oc = outCols ?? C;
  const out = new Float64Array(R * oc);
  for (let r = 0; r < R; r++) out.set(f(x.data.subarray(r * C, (r + 1) * C)), r * oc);
  return {
    shape: outCols === undefined ? [...x.shape] : [...x.shape.slice(0, -1), ...(outCols === 1 ? [] : [outCols])],
    data: out,
  };
}

export function softmax64(x: HostTensor): HostTensor {
  return rows(x, (row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((v) => v / s);
  });
}

export function logSumExp64(x: HostTensor): HostTensor {
  return rows(
    x,
    (row) => {
      const m = Math.max(...row);
      return Float64Array.of(m + Math.log(row.reduce((p, v) => p + Math.exp(v - m), 0)));
    },
    1,
  );
}

export function where64(cond: Uint8Array, a: HostTensor, b: HostTensor): HostTensor {
  return { shape: [...a.shape], data: a.data.map((v, n) => (cond[n] ? v : b.data[n]!)) };
}

/** gather along axis 0 of a 2D tensor. */
export function gather64(x: HostTensor, indices: readonly number[]): HostTensor {
  const C = x.shape[1]!;
  const out = new Float64Array(indices.length * C);
  for (const [r, ix] of indices.entries()) out.set(x.data.subarray(ix * C, (ix + 1) * C), r * C);
  return { shape: [indices.length, C], data: out };
}

/**
 * Gradient of sum(f(inputs) ∘ cot) with respect to input `which`, by float64 central differences
 * (the reference's own `numericalGradient`; its error, ~1e-10 on these smooth ops, is far below
 * float32's 6e-8 relative).
 */
export function fdGrad(
  f: (xs: HostTensor[]) => HostTensor,
  xs: HostTensor[],
  which: number,
  cot: Float64Array,
): HostTensor {
  const x = { shape: xs[which]!.shape, data: Float64Array.from(xs[which]!.data) };
  const at = xs.map((t, m) => (m === which ? x : t));
  return numericalGradient(() => f(at).data.reduce((s, v, n) => s + v * cot[n]!, 0), x);
}
