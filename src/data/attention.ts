/**
 * The tensors of an attention case, made from its seeds. Order of work, and why:
 *
 *   1. q, k, v, dOut drawn from the case's seed, each from its own named stream (see streams.ts);
 *   2. every tensor rounded to the case's precision (kernels receive already-rounded inputs, and
 *      the float64 reference sees exactly the same values);
 *   3. junk written into K and V at keys NO query of that batch row and kv-head group can see,
 *      after rounding, so the junk value itself is exact in the case's precision.
 *
 * Value distributions (q, k, v; dOut is always N(0, 1)), the simplest first:
 *   'small-int'  integers in [-2, 2]: exact products, tensors a person reads at a glance.
 *   'normal'     N(0, 1).
 *   'near-ties'  q, v ~ N(0, 1); every key row of a (b, kv head) is one base row plus noise of
 *                1e-3: logits differ in the third digit, and after rounding to bfloat16 (ulp 2^-7
 *                near 1) they often tie exactly.
 *   'large'      v ~ N(0, 1); q, k ~ N(0, sigma^2) with sigma^2 = 5e3 / (|scale| sqrt(D)), so a logit
 *                scale·q·k has standard deviation 5e3 and the largest of a row reaches ~1e4 (the
 *                range where exp overflows without max subtraction). sigma is capped at 256 so
 *                q and k stay finite in float16 (max 65504) even for tiny scales.
 *   'offset'     q, k, v ~ N(0, 1), then every visible logit of a query row shares one large offset
 *                c_i = ±1e5 (the sign drawn per row): the last dim of every key is sigma and the last
 *                dim of query row i is ±sigma, sigma = sqrt(1e5 / |scale|) (<= 1265: finite in
 *                float16). Softmax must ignore c_i; a kernel with a sentinel (a -1e4 mask value, a
 *                running max started at -1e4) breaks there. The offset is exact in every precision
 *                (one value per row). It sits in the last dim so that q·k summed in order adds it last:
 *                float32 logits then carry about u·|S|; added first, every partial sum is ~1e5 and the
 *                logit carries ~√D times that (seen: D = 192, out off by 6.6e-3).
 *   'rising'     q, k, v ~ N(0, 1), and dim 0 of key j gets j·RISE/|scale| (RISE = 0.25): the logits of
 *                a query with q_0 > 0 rise by ~0.25·q_0 per key (those with q_0 < 0 fall), so every
 *                later key block holds a new running maximum: what the online-softmax rescale is for.
 * Junk ('none' | 'huge' | 'nan'):
 *   'huge'  ±1e24 (float32, bfloat16: rounded to the format) or ±32 (float16): finite in the case's
 *           precision, big enough that any leak dominates an output (values are ~N(0, 1)), small
 *           enough that a correct kernel that reads these keys with weight 0 stays finite: its
 *           S = scale·q·kᵀ stays below 1e31 (|q| <= ~1500, D <= 256, |scale| <= 2), so S plus
 *           transformers' additive mask finfo.min stays finite in float32 (half an ulp of float32's
 *           max is 1e31; past it a faithful eager rounds to -inf and an empty row becomes NaN), and in
 *           float16 its backward's dP = dO·vᵀ (<= 256 · 5 · 32) stays below 65504. The question is
 *           "is it masked?", not "is Inf·0 handled?".
 *   'nan'   NaN: only for kernels that never read keys no query may see (they declare it, or the user
 *           asks with `check --junk nan`). A kernel that multiplies P by V over all keys, as PyTorch's
 *           math SDPA and transformers' eager do, turns it into 0·NaN = NaN; `nanRows` writes NaN at
 *           some of the hidden keys only (huge junk at the others), to find which one a kernel reads.
 * Score options (each from its own seed, rounded to the case's precision like every input):
 *   alibi   slopes [Hq] or [B, Hq], uniform in [0, maxSlope]
 *   bias    [B|1, Hq|1, Sq, Sk], N(0, std²)
 *   sinks   [Hq], N(mean, 1)
 * Memory outside the logical tensors (the gaps and offset of a 'strided' view) is NaN for every
 * kernel: see src/runner/layout.ts.
 */
import type { AttentionCase } from '../case/index.js';
import {
  type AttentionInputs,
  type AttentionOptions,
  type AttentionShapes,
  type HostMask,
  type HostTensor,
  type Precision,
  roundArray,
  roundTo,
  visible,
} from '../contract/index.js';
import { integers, normal, normals, stream, type Uniform } from './streams.js';

export interface MaterialisedAttention {
  readonly shapes: AttentionShapes;
  readonly options: AttentionOptions;
  readonly inputs: AttentionInputs;
}

/** Target standard deviation of a logit for 'large' values, and the cap on sigma. */
const LARGE_LOGIT_STD = 5e3;
const LARGE_SIGMA_MAX = 256;
/** Spread of key rows around their base for 'near-ties'. */
const NEAR_TIE_NOISE = 1e-3;
/** The common logit offset of a query row for 'offset' values (sign drawn per row). */
export const LOGIT_OFFSET = 1e5;
/** The rise of a logit per key, per unit of q_0, for 'rising' values. */
const RISE = 0.25;

/** The junk value of magnitude 'huge' in a precision (exact in it). */
export function hugeJunk(precision: Precision): number {
  return precision === 'float16' ? 32 : roundTo(precision, 1e24);
}

/** The boolean mask of a case: [B|1, Hq|1, Sq, Sk], each element true with probability `density`. */
function materialiseMask(c: AttentionCase): HostMask | null {
  if (c.mask === null) return null;
  const { B, Hq, Sq, Sk } = c.shapes;
  const shape = [c.mask.broadcastBatch ? 1 : B, c.mask.broadcastHeads ? 1 : Hq, Sq, Sk] as const;
  const u = stream(c.mask.seed, 'mask');
  const data = new Uint8Array(shape[0] * shape[1] * Sq * Sk);
  for (let n = 0; n < data.length; n++) data[n] = u() < c.mask.density ? 1 : 0;
  return { shape, data };
}

/** The score options' tensors of a case (absent when the case has none). */
function scoreOptions(c: AttentionCase): Pick<AttentionOptions, 'softcap' | 'alibiSlopes' | 'bias' | 'sinks'> {
  const { B, Hq, Sq, Sk } = c.shapes;
  const r = (shape: number[], data: Float64Array): HostTensor => ({ shape, data: roundArray(c.precision, data) });
  const out: { -readonly [K in 'softcap' | 'alibiSlopes' | 'bias' | 'sinks']?: AttentionOptions[K] } = {};
  if (c.softcap != null) out.softcap = c.softcap;
  if (c.alibi != null) {
    const shape = c.alibi.perBatch ? [B, Hq] : [Hq];
    const u = stream(c.alibi.seed, 'alibi');
    out.alibiSlopes = r(
      shape,
      Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => c.alibi!.maxSlope * u()),
    );
  }
  if (c.bias != null) {
    const shape = [c.bias.broadcastBatch ? 1 : B, c.bias.broadcastHeads ? 1 : Hq, Sq, Sk];
    const x = normals(
      stream(c.bias.seed, 'bias'),
      shape.reduce((a, b) => a * b, 1),
    );
    for (let n = 0; n < x.length; n++) x[n]! *= c.bias.std;
    out.bias = r(shape, x);
  }
  if (c.sinks != null) {
    const x = normals(stream(c.sinks.seed, 'sinks'), Hq);
    for (let n = 0; n < Hq; n++) x[n]! += c.sinks.mean;
    out.sinks = r([Hq], x);
  }
  return out;
}

/** The options a case describes, with the mask and the score options' tensors made from their seeds. */
export function attentionOptions(c: AttentionCase): AttentionOptions {
  return {
    ...scoreOptions(c),
    scale: c.scale ?? 1 / Math.sqrt(c.shapes.D),
    causal: c.causal,
    window: c.window,
    keyLengths: c.keyLengths,
    paddingSide: c.paddingSide,
    mask: materialiseMask(c),
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

/**
 * Shapes the logits of 'offset' and 'rising' values through dim 0 of q and k (see the header);
 * the signs of the offsets come from their own stream, so q's other values stay those of 'normal'.
 */
function shapeLogits(c: AttentionCase, scale: number, q: Float64Array, k: Float64Array): void {
  const { B, Hq, Hkv, Sq, Sk, D } = c.shapes;
  if (c.values === 'offset') {
    const sigma = Math.sqrt(LOGIT_OFFSET / Math.abs(scale));
    const u = stream(c.seed, 'offset');
    for (let row = 0; row < B * Hq * Sq; row++) q[row * D + D - 1] = u() < 0.5 ? -sigma : sigma;
    for (let row = 0; row < B * Hkv * Sk; row++) k[row * D + D - 1] = sigma;
  } else if (c.values === 'rising') {
    for (let row = 0; row < B * Hkv * Sk; row++) k[row * D] = k[row * D]! + ((row % Sk) * RISE) / Math.abs(scale);
  }
}

/** How the junk of a materialised case is written (default: the case's junk at every hidden key). */
export interface JunkPlacement {
  /**
   * With 'nan' junk: NaN only at the hidden keys (row-major index over [B, Hkv, Sk]) for which this
   * is true, huge junk at the other hidden keys. To find which unseen key a kernel reads.
   */
  readonly nanRows?: (row: number) => boolean;
  /**
   * With 'huge' junk: junk only at the hidden keys (same index) for which this is true; the others
   * keep their drawn values. To find which unseen key's junk reaches an output.
   */
  readonly junkRows?: (row: number) => boolean;
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
export function materialiseAttention(c: AttentionCase, placement: JunkPlacement = {}): MaterialisedAttention {
  const shapes = c.shapes;
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = shapes;
  const options = attentionOptions(c);

  const sigma =
    c.values === 'large'
      ? Math.min(LARGE_SIGMA_MAX, Math.sqrt(LARGE_LOGIT_STD / (Math.abs(options.scale) * Math.sqrt(D))))
      : 1;
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
  shapeLogits(c, options.scale, q, k);
  const v = draw(stream(c.seed, 'v'), B * Hkv * Sk * Dv, c.values === 'large' ? 'normal' : c.values, 1);
  const dOut = normals(stream(c.seed, 'dOut'), B * Hq * Sq * Dv);

  const r = (x: Float64Array): Float64Array => roundArray(c.precision, x);
  const [qr, kr, vr, dOutr] = [r(q), r(k), r(v), r(dOut)];

  if (c.junk !== 'none') {
    const hidden = invisibleKeys(options, shapes);
    const u = stream(c.seed, 'junk');
    const huge = hugeJunk(c.precision);
    for (let row = 0; row < hidden.length; row++) {
      if (hidden[row] === 0 || (c.junk === 'huge' && placement.junkRows?.(row) === false)) continue;
      const nan = c.junk === 'nan' && (placement.nanRows?.(row) ?? true);
      const value = (): number => (nan ? NaN : u() < 0.5 ? -huge : huge);
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
