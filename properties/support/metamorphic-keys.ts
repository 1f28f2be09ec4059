/**
 * Relations that cut or extend the keys:
 *
 *   chunkMerge      attention over K/V chunks, merged by their log-sum-exp, equals attention over
 *                   all keys:  lse = log Σ_c exp(lse_c),  O = Σ_c exp(lse_c - lse) · O_c
 *                   (Milakov & Gimelshein 2018; how flash-decoding and ring attention combine
 *                   partial results). An empty chunk, or a row that sees no key of a chunk, has
 *                   lse_c = -inf and weight 0; a row that sees no key at all has O = 0.
 *   appendedKeys    keys appended where no query can see them (beyond keyLengths, or false in the
 *                   boolean mask) change no output and no gradient, and get zero dK, dV
 */

import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import type { FlashAttnOptions } from '../../kernels/flash/index.js';
import { tf } from '../../src/backend/index.js';
import { type AttentionCase, type AttentionCaseConstraints, attentionCase } from '../../src/case/index.js';
import { type AttentionOptions, type HostTensor, roundArray, visibilityPattern } from '../../src/contract/index.js';
import { normals, stream } from '../../src/data/index.js';
import { referenceAttentionForward } from '../../src/reference/index.js';
import type { Material } from '../../src/runner/index.js';
import { allZero, compareResults, compareTensors, naturalOf, type Tol } from './compare.js';
import { allOf, type Relation } from './engine.js';
import { SMALL } from './metamorphic-attention.js';
import { concatAxis, maskToTensor, sliceAxis, swapHS, tensorToMask } from './metamorphic-tensors.js';
import { type KernelArg, kernelFor, materialise, run, withMaterial } from './run.js';

// ---------------------------------------------------------------------------------------------
// Chunks merged by log-sum-exp

/** A forward pass that also returns the log-sum-exp: out [B,Hq,Sq,Dv], lse [B,Hq,Sq]. */
export type ForwardWithLse = (m: Material) => { out: HostTensor; lse: HostTensor };

/** flash_attn_func(return_lse) in flash's BSHD form: the signature of `flashAttnFuncWithLse`. */
export type FlashWithLse = (
  q: Tensor4D,
  k: Tensor4D,
  v: Tensor4D,
  options: FlashAttnOptions,
) => { out: Tensor4D; softmaxLse: Tensor };

/** A native flash forward with lse as a `ForwardWithLse` (flash takes no mask: unrestricted cases only). */
export function flashForwardWithLse(f: FlashWithLse): ForwardWithLse {
  return (m) => {
    const up = (t: HostTensor) =>
      tf.tensor4d(Float32Array.from(swapHS(t).data), swapHS(t).shape as [number, number, number, number]);
    const [q, k, v] = [up(m.inputs.q), up(m.inputs.k), up(m.inputs.v)];
    const r = f(q, k, v, { softmaxScale: m.options.scale, precision: m.options.precision });
    const down = (t: Tensor) => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) });
    const out = { out: swapHS(down(r.out)), lse: down(r.softmaxLse) };
    tf.dispose([q, k, v, r.out, r.softmaxLse]);
    return out;
  };
}

export const referenceForwardWithLse: ForwardWithLse = (m) => referenceAttentionForward(m.inputs, m.options);

export interface ChunkCase {
  readonly case: AttentionCase;
  /** Where the keys are cut, ascending in [0, Sk]: repeats and the ends make empty chunks. */
  readonly cuts: readonly number[];
}

/** Cases for a forward that honours every option (reference), or none (`unrestricted`: flash's native call). */
export function chunkCases(unrestricted: boolean, k: AttentionCaseConstraints = SMALL): fc.Arbitrary<ChunkCase> {
  const none = {
    causals: ['none'],
    allowMask: false,
    allowWindow: false,
    allowPadding: false,
    junk: ['none'],
  } as const;
  // No dropout: its hash is indexed by the key's position, which a chunk renumbers.
  const cases = attentionCase({ ...k, ...(unrestricted ? none : {}), allowDropout: false });
  return fc
    .record({ case: cases, cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) })
    .map(({ case: c, cuts }) => ({ case: c, cuts: cuts.map((x) => x % (c.shapes.Sk + 1)).sort((a, b) => a - b) }));
}

/** Every restriction of `m` written as one explicit mask [B, Hq, Sq, Sk], so keys can be cut freely. */
function explicitVisibility(m: Material): AttentionOptions {
  const { B, Hq, Sq, Sk } = m.shapes;
  const mask = { shape: [B, Hq, Sq, Sk] as const, data: visibilityPattern(m.options, m.shapes) };
  return { ...m.options, causal: 'none', window: null, keyLengths: null, mask };
}

const hasRestriction = (o: AttentionOptions) =>
  o.causal !== 'none' || o.window !== null || o.keyLengths !== null || o.mask !== null;

/** Merges partial results by their log-sum-exp, row by row, in float64. */
export function mergeByLse(parts: ReadonlyArray<{ out: HostTensor; lse: HostTensor }>): {
  out: HostTensor;
  lse: HostTensor;
} {
  const rows = parts[0]!.lse.data.length;
  const Dv = parts[0]!.out.data.length / rows;
  const out = new Float64Array(rows * Dv);
  const lse = new Float64Array(rows).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    const m = Math.max(...parts.map((p) => p.lse.data[r]!));
    if (m === -Infinity) continue; // no chunk has a visible key: O = 0
    const L = m + Math.log(parts.reduce((s, p) => s + Math.exp(p.lse.data[r]! - m), 0));
    lse[r] = L;
    for (const p of parts) {
      const w = Math.exp(p.lse.data[r]! - L);
      if (w === 0) continue;
      for (let e = 0; e < Dv; e++) out[r * Dv + e]! += w * p.out.data[r * Dv + e]!;
    }
  }
  return { out: { shape: parts[0]!.out.shape, data: out }, lse: { shape: parts[0]!.lse.shape, data: lse } };
}

/**
 * `forward` over each part [bounds[n], bounds[n+1]) of the keys of `m`, with `options` (its mask and
 * bias, when it has them, sliced to the part). An empty part is never run (a kernel need not take
 * Sk = 0): it is the empty state, O = 0 and lse = -inf.
 */
export function keyParts(
  forward: ForwardWithLse,
  m: Material,
  options: AttentionOptions,
  bounds: readonly number[],
): Array<{ out: HostTensor; lse: HostTensor }> {
  const { B, Hq, Sq, Dv } = m.shapes;
  return bounds.slice(1).map((end, n) => {
    const start = bounds[n]!;
    if (start === end)
      return {
        out: { shape: [B, Hq, Sq, Dv], data: new Float64Array(B * Hq * Sq * Dv) },
        lse: { shape: [B, Hq, Sq], data: new Float64Array(B * Hq * Sq).fill(-Infinity) },
      };
    const keys = (t: HostTensor) => sliceAxis(t, 2, start, end);
    return forward(
      withMaterial(m, {
        shapes: { Sk: end - start },
        inputs: { k: keys(m.inputs.k), v: keys(m.inputs.v) },
        options: {
          ...options,
          mask: options.mask && tensorToMask(sliceAxis(maskToTensor(options.mask), 3, start, end)),
          ...(options.bias != null ? { bias: sliceAxis(options.bias, 3, start, end) } : {}),
        },
      }),
    );
  });
}

/** The chunks of `cuts` through `forward`, merged by lse, against `forward` over all keys. */
/**
 * The out allowance of a chunk merge given the whole's lse: a fixed Tol, or one that grows with |lse|
 * (merging rescales each chunk by e^(lse_c - lse), so an lse of L leaves about L·u in each weight).
 */
export type MergeTol = Tol | ((lse: HostTensor) => Tol);

export function chunkMerge(forward: ForwardWithLse, tol: MergeTol, lseTol?: Tol): Relation<ChunkCase> {
  const lseAllowed = lseTol ?? (typeof tol === 'function' ? null : tol);
  if (lseAllowed === null) throw new Error('chunkMerge: an out allowance that depends on lse needs lseTol');
  return ({ case: c, cuts }) => {
    const m = materialise(c);
    const { Sk } = m.shapes;
    const options = hasRestriction(m.options) ? explicitVisibility(m) : m.options;
    const bounds = [0, ...cuts, Sk];
    const parts = keyParts(forward, m, options, bounds);
    const merged = mergeByLse(parts);
    const whole = forward(m);
    const label = `chunks [${bounds.join(',')}] merged by lse, ${c.precision}:`;
    return allOf(
      compareTensors(`${label} out`, merged.out, whole.out, typeof tol === 'function' ? tol(whole.lse) : tol, {
        natural: naturalOf(m).out,
      }),
      compareTensors(`${label} lse`, merged.lse, whole.lse, lseAllowed, { natural: 1 }),
    );
  };
}

// ---------------------------------------------------------------------------------------------
// Appended fully masked keys

export interface AppendCase {
  readonly case: AttentionCase;
  /**
   * How many keys, hidden how, on which side (front keys keep the bottom-right diagonal, back keys the top-left one).
   */
  readonly n: number;
  readonly how: 'keyLengths' | 'mask';
  readonly side: 'front' | 'back';
  readonly seed: number;
}

/**
 * The side is forced where alignment needs it: top-left causality is anchored at key 0 (append at
 * the back), bottom-right causality and windows at the last key (prepend). Top-left with a window
 * is anchored at both ends: its window is dropped. Prepending renumbers keys, which moves the
 * dropout hash: no dropout then. Padding moves to the side the keys are added on.
 */
export function appendCases(k: AttentionCaseConstraints = SMALL): fc.Arbitrary<AppendCase> {
  return fc
    .record({
      case: attentionCase(k),
      n: fc.integer({ min: 1, max: 3 }),
      how: fc.constantFrom('keyLengths' as const, 'mask' as const),
      back: fc.boolean(),
      seed: fc.nat(),
    })
    .map(({ case: c, n, how, back, seed }) => {
      const side =
        c.causal === 'top-left'
          ? 'back'
          : c.causal === 'bottom-right' || c.window !== null
            ? 'front'
            : back
              ? 'back'
              : 'front';
      const window = c.causal === 'top-left' ? null : c.window;
      const dropout = side === 'front' ? null : c.dropout;
      return { case: { ...c, window, dropout, paddingSide: side === 'front' ? 'left' : 'right' }, n, how, side, seed };
    });
}

/** `m` with n extra keys on `side`, hidden by keyLengths or by the mask. */
function appendKeys(m: Material, { n, how, side, seed }: AppendCase): Material {
  const { B, Hkv, Sq, Sk, D, Dv } = m.shapes;
  const extra = (name: string, d: number): HostTensor => ({
    shape: [B, Hkv, n, d],
    data: roundArray(m.options.precision, normals(stream(seed, name), B * Hkv * n * d)),
  });
  const join = (t: HostTensor, e: HostTensor, axis = 2) => concatAxis(side === 'back' ? [t, e] : [e, t], axis);
  const mask0 = m.options.mask
    ? maskToTensor(m.options.mask)
    : { shape: [1, 1, Sq, Sk], data: new Float64Array(Sq * Sk).fill(1) };
  // The mask gets n false columns where the keys went.
  const widen = (t: HostTensor): HostTensor =>
    join(
      t,
      { shape: [t.shape[0]!, t.shape[1]!, Sq, n], data: new Float64Array(t.shape[0]! * t.shape[1]! * Sq * n) },
      3,
    );
  return withMaterial(m, {
    shapes: { Sk: Sk + n },
    inputs: { k: join(m.inputs.k, extra('k+', D)), v: join(m.inputs.v, extra('v+', Dv)) },
    options:
      how === 'keyLengths'
        ? {
            keyLengths: m.options.keyLengths ?? new Array<number>(B).fill(Sk),
            mask: m.options.mask && tensorToMask(widen(maskToTensor(m.options.mask))),
          }
        : { mask: tensorToMask(widen(mask0)) },
  });
}

/** Same out and dq; dK, dV of the original keys unchanged, of the appended keys exactly 0. */
export function appendedKeys(k: KernelArg, tol: Tol): Relation<AppendCase> {
  return (a) => {
    const m = materialise(a.case);
    const kernel = kernelFor(k, a.case);
    const before = run(kernel, m);
    const after = run(kernel, appendKeys(m, a));
    const { Sk } = m.shapes;
    const [o0, o1] = a.side === 'back' ? [0, Sk] : [a.n, 0];
    const original = (t: HostTensor) => sliceAxis(t, 2, o0, o0 + Sk);
    const appended = (t: HostTensor) => sliceAxis(t, 2, o1, o1 + a.n);
    const nat = naturalOf(m);
    const label = `${kernel.name} with ${a.n} keys hidden by ${a.how} at the ${a.side}, ${a.case.precision}:`;
    return allOf(
      compareResults(label, { ...after, dk: original(after.dk), dv: original(after.dv) }, before, tol, nat),
      allZero(`${label} dk of appended keys`, appended(after.dk)),
      allZero(`${label} dv of appended keys`, appended(after.dv)),
    );
  };
}
