/**
 * The tensors of an attention case, made from its seeds. Order of work, and why:
 *
 *   1. q, k, v, dOut drawn from the case's seed, each from its own named stream (see streams.ts);
 *   2. every tensor rounded to the case's precision (kernels receive already-rounded inputs, and
 *      the float64 reference sees exactly the same values);
 *   3. junk written into K and V at keys NO query of that batch row and kv-head group can see,
 *      after rounding, so the junk value itself is exact in the case's precision.
 *
 * Value distributions (q, k, v; dOut is always N(0, 1)):
 *   'small-int'  integers in [-2, 2]: exact products, tensors a person reads at a glance.
 *   'normal'     N(0, 1).
 *   'near-ties'  q, v ~ N(0, 1); every key row of a (b, kv head) is one base row plus noise of
 *                1e-3: logits differ in the third digit, and after rounding to bfloat16 (ulp 2^-7
 *                near 1) they often tie exactly.
 *   'large'      v ~ N(0, 1); q, k ~ N(0, sigma^2) with sigma^2 = 5e3 / (|scale| sqrt(D)), so a logit
 *                scale·q·k has standard deviation 5e3 and the largest of a row reaches ~1e4 (the
 *                range where exp overflows without max subtraction). sigma is capped at 256 so
 *                q and k stay finite in float16 (max 65504) even for tiny scales.
 * Junk ('none' | 'huge' | 'nan'):
 *   'huge'  ±1e30 (float32, bfloat16: rounded to the format) or ±6e4 (float16, exact): finite in
 *           the case's precision, big enough that any leak dominates an output, small enough that
 *           a correct kernel's S = scale·q·kᵀ stays finite in float32 (the question is "is it
 *           masked?", not "is Inf·0 handled?").
 *   'nan'   NaN.
 */
import type { AttentionCase } from '../case/index.js';
import {
  roundArray,
  roundTo,
  visible,
  type AttentionInputs,
  type AttentionOptions,
  type AttentionShapes,
  type HostMask,
  type HostTensor,
  type Precision,
} from '../contract/index.js';
import { integers, normal, normals, stream, type Uniform } from './streams.js';

export interface MaterializedAttention {
  readonly shapes: AttentionShapes;
  readonly options: AttentionOptions;
  readonly inputs: AttentionInputs;
}

/** Target standard deviation of a logit for 'large' values, and the cap on sigma. */
const LARGE_LOGIT_STD = 5e3;
const LARGE_SIGMA_MAX = 256;
/** Spread of key rows around their base for 'near-ties'. */
const NEAR_TIE_NOISE = 1e-3;

/** The junk value of magnitude 'huge' in a precision (exact in it). */
export function hugeJunk(precision: Precision): number {
  return precision === 'float16' ? 6e4 : roundTo(precision, 1e30);
}

/** The boolean mask of a case: [B|1, Hq|1, Sq, Sk], each element true with probability `density`. */
function materializeMask(c: AttentionCase): HostMask | null {
  if (c.mask === null) return null;
  const { B, Hq, Sq, Sk } = c.shapes;
  const shape = [c.mask.broadcastBatch ? 1 : B, c.mask.broadcastHeads ? 1 : Hq, Sq, Sk] as const;
  const u = stream(c.mask.seed, 'mask');
  const data = new Uint8Array(shape[0] * shape[1] * Sq * Sk);
  for (let n = 0; n < data.length; n++) data[n] = u() < c.mask.density ? 1 : 0;
  return { shape, data };
}

/** The options a case describes, with the mask made from its seed. */
export function attentionOptions(c: AttentionCase): AttentionOptions {
  return {
    scale: c.scale ?? 1 / Math.sqrt(c.shapes.D),
    causal: c.causal,
    window: c.window,
    keyLengths: c.keyLengths,
    paddingSide: c.paddingSide,
    mask: materializeMask(c),
    dropout: c.dropout,
    precision: c.precision,
  };
}

/** Draws n values of a distribution; `sigma` scales 'large' values. */
function draw(u: Uniform, n: number, values: AttentionCase['values'], sigma: number): Float64Array {
  if (values === 'small-int') return integers(u, n, -2, 2);
  const x = normals(u, n);
  if (values === 'large' && sigma !== 1) for (let e = 0; e < n; e++) x[e]! *= sigma;
  return x;
}

/** Keys [b, g, j] (row-major over [B, Hkv, Sk]) that no query head of group g, no row, can see. */
export function invisibleKeys(options: AttentionOptions, shapes: AttentionShapes): Uint8Array {
  const { B, Hq, Hkv, Sq, Sk } = shapes;
  const group = Hq / Hkv;
  const out = new Uint8Array(B * Hkv * Sk);
  for (let b = 0; b < B; b++)
    for (let g = 0; g < Hkv; g++)
      for (let j = 0; j < Sk; j++) {
        let seen = false;
        for (let h = g * group; h < (g + 1) * group && !seen; h++)
          for (let i = 0; i < Sq && !seen; i++) seen = visible(options, shapes, b, h, i, j);
        out[(b * Hkv + g) * Sk + j] = seen ? 0 : 1;
      }
  return out;
}

/** The shapes, options (mask included) and inputs (q, k, v, dOut) of an attention case. */
export function materializeAttention(c: AttentionCase): MaterializedAttention {
  const shapes = c.shapes;
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = shapes;
  const options = attentionOptions(c);

  const sigma = c.values === 'large' ? Math.min(LARGE_SIGMA_MAX, Math.sqrt(LARGE_LOGIT_STD / (Math.abs(options.scale) * Math.sqrt(D)))) : 1;
  const q = draw(stream(c.seed, 'q'), B * Hq * Sq * D, c.values, sigma);
  let k: Float64Array;
  if (c.values === 'near-ties') {
    const u = stream(c.seed, 'k');
    k = new Float64Array(B * Hkv * Sk * D);
    for (let row = 0; row < B * Hkv; row++) {
      const base = normals(u, D);
      for (let j = 0; j < Sk; j++)
        for (let d = 0; d < D; d++) k[(row * Sk + j) * D + d] = base[d]! + NEAR_TIE_NOISE * normal(u);
    }
  } else {
    k = draw(stream(c.seed, 'k'), B * Hkv * Sk * D, c.values, sigma);
  }
  const v = draw(stream(c.seed, 'v'), B * Hkv * Sk * Dv, c.values === 'large' ? 'normal' : c.values, 1);
  const dOut = normals(stream(c.seed, 'dOut'), B * Hq * Sq * Dv);

  const r = (x: Float64Array): Float64Array => roundArray(c.precision, x);
  const [qr, kr, vr, dOutr] = [r(q), r(k), r(v), r(dOut)];

  if (c.junk !== 'none') {
    const hidden = invisibleKeys(options, shapes);
    const u = stream(c.seed, 'junk');
    const huge = hugeJunk(c.precision);
    for (let row = 0; row < hidden.length; row++) {
      if (hidden[row] === 0) continue;
      const value = (): number => (c.junk === 'nan' ? NaN : u() < 0.5 ? -huge : huge);
      for (let d = 0; d < D; d++) kr[row * D + d] = value();
      for (let d = 0; d < Dv; d++) vr[row * Dv + d] = value();
    }
  }

  const t = (shape: number[], data: Float64Array): HostTensor => ({ shape, data });
  return {
    shapes,
    options,
    inputs: {
      q: t([B, Hq, Sq, D], qr),
      k: t([B, Hkv, Sk, D], kr),
      v: t([B, Hkv, Sk, Dv], vr),
      dOut: t([B, Hq, Sq, Dv], dOutr),
    },
  };
}
