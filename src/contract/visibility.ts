/**
 * Which key a query may attend to: the single predicate behind every mask in attnfuzz.
 * Kernels may build their masks however they like; this is what they must agree with.
 */
import type { AttentionOptionsOf, AttentionShapes } from './types.js';

type Restrictions = Pick<AttentionOptionsOf<unknown>, 'causal' | 'window' | 'keyLengths' | 'paddingSide'>;

/**
 * True iff query i of batch row b may see key j under causal alignment, window and key lengths
 * (the boolean mask is applied separately: see `maskAllows`).
 */
export function structurallyVisible(
  opts: Restrictions,
  shapes: Pick<AttentionShapes, 'Sq' | 'Sk'>,
  b: number,
  i: number,
  j: number,
): boolean {
  const { Sq, Sk } = shapes;
  // The bottom-right diagonal: the key aligned with query i when the query block ends the keys.
  const diag = i + Sk - Sq;
  if (opts.causal === 'top-left' && j > i) return false;
  if (opts.causal === 'bottom-right' && j > diag) return false;
  if (opts.window !== null) {
    const [left, right] = opts.window;
    if (left >= 0 && j < diag - left) return false;
    if (right >= 0 && j > diag + right) return false;
  }
  if (opts.keyLengths !== null) {
    const len = opts.keyLengths[b]!;
    if (opts.paddingSide === 'right' ? j >= len : j < Sk - len) return false;
  }
  return true;
}

/** Reads a boolean mask [B|1, Hq|1, Sq, Sk] with broadcasting over its size-1 dims. */
export function maskAllows(
  mask: { readonly shape: readonly number[]; readonly data: ArrayLike<number> } | null,
  b: number,
  h: number,
  i: number,
  j: number,
): boolean {
  if (mask === null) return true;
  const [mB, mH, mSq, mSk] = mask.shape as [number, number, number, number];
  const bb = mB === 1 ? 0 : b;
  const hh = mH === 1 ? 0 : h;
  return mask.data[((bb * mH + hh) * mSq + i) * mSk + j] !== 0;
}

/** The full visibility predicate of the contract, on the host. */
export function visible(
  opts: Restrictions & {
    readonly mask: { readonly shape: readonly number[]; readonly data: ArrayLike<number> } | null;
  },
  shapes: Pick<AttentionShapes, 'Sq' | 'Sk'>,
  b: number,
  h: number,
  i: number,
  j: number,
): boolean {
  return structurallyVisible(opts, shapes, b, i, j) && maskAllows(opts.mask, b, h, i, j);
}

/**
 * The whole visibility pattern as a 0/1 array [B, Hq, Sq, Sk] (row-major), for kernels that
 * materialise the mask.
 */
export function visibilityPattern(
  opts: Restrictions & {
    readonly mask: { readonly shape: readonly number[]; readonly data: ArrayLike<number> } | null;
  },
  shapes: AttentionShapes,
): Uint8Array {
  const { B, Hq, Sq, Sk } = shapes;
  const out = new Uint8Array(B * Hq * Sq * Sk);
  let n = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++) for (let j = 0; j < Sk; j++) out[n++] = visible(opts, shapes, b, h, i, j) ? 1 : 0;
  return out;
}

/** True iff some query row (b, h, i) sees no key at all (the contract: its output is 0, its gradients 0). */
export function hasEmptyRow(
  opts: Restrictions & {
    readonly mask: { readonly shape: readonly number[]; readonly data: ArrayLike<number> } | null;
  },
  shapes: Pick<AttentionShapes, 'B' | 'Hq' | 'Sq' | 'Sk'>,
): boolean {
  for (let b = 0; b < shapes.B; b++)
    for (let h = 0; h < shapes.Hq; h++)
      for (let i = 0; i < shapes.Sq; i++) {
        let any = false;
        for (let j = 0; j < shapes.Sk && !any; j++) any = visible(opts, shapes, b, h, i, j);
        if (!any) return true;
      }
  return false;
}
