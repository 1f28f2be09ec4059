/**
 * The contract's restrictions and score terms as the tensors an op takes (every op here can be
 * handed a mask or an additive bias; which restrictions go into it and which the op expresses
 * natively, through is_causal, a past cache or nonpad_kv_seqlen, is the op adapter's choice):
 *
 *   visibility  bool [Bm, Hm, Sq, Sk]: the folded restrictions (causal, window, keyLengths, the case's
 *               mask) AND-ed; Bm = B only when a folded one differs per batch row, Hm = Hq only
 *               when the case's mask differs per head
 *   terms       float [Bt, Ht, Sq, Sk]: ALiBi (-slope·|i + Sk - Sq - j|) + the case's bias
 *   additive    float: terms where visible, -inf elsewhere (a float attn_mask / attention_bias)
 */
import { alibiTerm, biasTerm, type HostKernelOptions, type HostTensor, visible } from '../../src/contract/index.js';

export interface Sizes {
  readonly B: number;
  readonly Hq: number;
  readonly Sq: number;
  readonly Sk: number;
}

/** Which of the contract's restrictions a mask carries (the rest the op expresses natively, or there are none). */
export interface Fold {
  readonly causal: boolean;
  readonly window: boolean;
  readonly keyLengths: boolean;
  readonly mask: boolean;
}

/** A dense row-major tensor with its 4-D shape (size-1 dims broadcast). */
export interface Grid<T> {
  readonly shape: readonly [number, number, number, number];
  readonly data: T;
}

/** The options restricted to what `fold` carries. */
function folded(o: HostKernelOptions, fold: Fold) {
  return {
    causal: fold.causal ? o.causal : ('none' as const),
    window: fold.window ? o.window : null,
    keyLengths: fold.keyLengths ? o.keyLengths : null,
    paddingSide: o.paddingSide,
    mask: fold.mask ? o.mask : null,
  };
}

/** True iff the folded restrictions restrict anything at all. */
export function foldsAnything(o: HostKernelOptions, fold: Fold): boolean {
  const f = folded(o, fold);
  return f.causal !== 'none' || f.window !== null || f.keyLengths !== null || f.mask !== null;
}

/** The folded restrictions as a bool grid (1 = may attend), null when they restrict nothing. */
export function visibility(o: HostKernelOptions, s: Sizes, fold: Fold): Grid<Uint8Array> | null {
  if (!foldsAnything(o, fold)) return null;
  const f = folded(o, fold);
  const Bm = f.keyLengths !== null || (f.mask !== null && f.mask.shape[0]! > 1) ? s.B : 1;
  const Hm = f.mask !== null && f.mask.shape[1]! > 1 ? s.Hq : 1;
  const data = new Uint8Array(Bm * Hm * s.Sq * s.Sk);
  let n = 0;
  for (let b = 0; b < Bm; b++)
    for (let h = 0; h < Hm; h++)
      for (let i = 0; i < s.Sq; i++) for (let j = 0; j < s.Sk; j++) data[n++] = visible(f, s, b, h, i, j) ? 1 : 0;
  return { shape: [Bm, Hm, s.Sq, s.Sk], data };
}

const asHost = (t: { readonly shape: readonly number[]; readonly data: Float32Array } | null | undefined) =>
  t == null ? null : (t as unknown as HostTensor);

/** ALiBi + bias as a float grid, null when the options have neither. */
export function scoreTerms(o: HostKernelOptions, s: Sizes): Grid<Float64Array> | null {
  const slopes = asHost(o.alibiSlopes);
  const bias = asHost(o.bias);
  if (slopes === null && bias === null) return null;
  const Bt = (slopes !== null && slopes.shape.length === 2) || (bias !== null && bias.shape[0]! > 1) ? s.B : 1;
  const Ht = slopes !== null || (bias !== null && bias.shape[1]! > 1) ? s.Hq : 1;
  const data = new Float64Array(Bt * Ht * s.Sq * s.Sk);
  let n = 0;
  for (let b = 0; b < Bt; b++)
    for (let h = 0; h < Ht; h++)
      for (let i = 0; i < s.Sq; i++)
        for (let j = 0; j < s.Sk; j++)
          data[n++] = alibiTerm(slopes, b, h, i, j, s.Sq, s.Sk) + biasTerm(bias, b, h, i, j);
  return { shape: [Bt, Ht, s.Sq, s.Sk], data };
}

/** Reads a grid with broadcasting over its size-1 dims. */
function at<T extends ArrayLike<number>>(g: Grid<T>, b: number, h: number, i: number, j: number): number {
  const [gB, gH, gS, gK] = g.shape;
  return g.data[(((gB === 1 ? 0 : b) * gH + (gH === 1 ? 0 : h)) * gS + i) * gK + j]!;
}

/** terms where visible, -inf elsewhere, over the union of both grids' dims (either may be null, not both). */
export function additive(vis: Grid<Uint8Array> | null, terms: Grid<Float64Array> | null, s: Sizes): Grid<Float32Array> {
  const Bd = Math.max(vis?.shape[0] ?? 1, terms?.shape[0] ?? 1);
  const Hd = Math.max(vis?.shape[1] ?? 1, terms?.shape[1] ?? 1);
  const data = new Float32Array(Bd * Hd * s.Sq * s.Sk);
  let n = 0;
  for (let b = 0; b < Bd; b++)
    for (let h = 0; h < Hd; h++)
      for (let i = 0; i < s.Sq; i++)
        for (let j = 0; j < s.Sk; j++)
          data[n++] =
            vis !== null && at(vis, b, h, i, j) === 0 ? -Infinity : terms === null ? 0 : at(terms, b, h, i, j);
  return { shape: [Bd, Hd, s.Sq, s.Sk], data };
}

/** 1 + the last key any row may see (0 when none): the keys past it may be cut from a mask padded with false. */
export function visibleWidth(vis: Grid<Uint8Array>): number {
  const Sk = vis.shape[3];
  let width = 0;
  for (let n = 0; n < vis.data.length; n++) if (vis.data[n] !== 0) width = Math.max(width, (n % Sk) + 1);
  return width;
}

/** The first `width` keys of every row of a grid. */
export function cutKeys<T extends Uint8Array | Float32Array>(g: Grid<T>, width: number): Grid<T> {
  const [gB, gH, gS, gK] = g.shape;
  const rows = gB * gH * gS;
  const data = new (g.data.constructor as new (n: number) => T)(rows * width);
  for (let r = 0; r < rows; r++) data.set(g.data.subarray(r * gK, r * gK + width), r * width);
  return { shape: [gB, gH, gS, width], data };
}
