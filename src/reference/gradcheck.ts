/**
 * Test helpers for the reference: seeded random tensors and central finite differences in float64,
 * the independent check of every hand-derived gradient.
 */
import seedrandom from 'seedrandom';
import { type AttentionInputs, type HostTensor, numel } from '../contract/index.js';

/** Uniform values in [-1, 1) from a seeded generator. */
export function randomTensor(rng: () => number, shape: readonly number[]): HostTensor {
  const data = new Float64Array(numel(shape));
  for (let n = 0; n < data.length; n++) data[n] = 2 * rng() - 1;
  return { shape: [...shape], data };
}

export function seededRng(seed: string): () => number {
  return seedrandom(seed);
}

/**
 * d loss / d t by central differences, (loss(t + h) - loss(t - h)) / 2h per element. `loss` reads
 * `t` in place; each element is restored after use. Truncation error O(h²), rounding O(eps/h):
 * h = 1e-5 leaves both near 1e-10 for the O(1) values used here.
 */
export function numericalGradient(loss: () => number, t: HostTensor, h = 1e-5): HostTensor {
  const grad = new Float64Array(t.data.length);
  for (let n = 0; n < t.data.length; n++) {
    const x = t.data[n]!;
    t.data[n] = x + h;
    const up = loss();
    t.data[n] = x - h;
    const down = loss();
    t.data[n] = x;
    grad[n] = (up - down) / (2 * h);
  }
  return { shape: [...t.shape], data: grad };
}

/** sum(a ∘ b). */
export function dot(a: HostTensor, b: HostTensor): number {
  let s = 0;
  for (let n = 0; n < a.data.length; n++) s += a.data[n]! * b.data[n]!;
  return s;
}

/** The shapes of an attention call, for the reference's tests. */
export interface Sizes {
  B: number;
  Hq: number;
  Hkv: number;
  Sq: number;
  Sk: number;
  D: number;
  Dv: number;
}

/** Random q, k, v and dOut of the given sizes, from a named seed. */
export function makeInputs(s: Sizes, seed: string): AttentionInputs {
  const rng = seededRng(seed);
  return {
    q: randomTensor(rng, [s.B, s.Hq, s.Sq, s.D]),
    k: randomTensor(rng, [s.B, s.Hkv, s.Sk, s.D]),
    v: randomTensor(rng, [s.B, s.Hkv, s.Sk, s.Dv]),
    dOut: randomTensor(rng, [s.B, s.Hq, s.Sq, s.Dv]),
  };
}
