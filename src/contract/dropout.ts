/**
 * Counter-based dropout: whether element (b, h, i, j) is kept is a pure function of
 * (seed, b, h, i, j), so the reference and every kernel drop exactly the same elements in the
 * forward and the backward pass, in any order and any tiling (the property Philox gives
 * FlashAttention's recomputed dropout; NVIDIA/TransformerEngine#1031 is what breaks without it).
 *
 * The hash is a chain of murmur3 finalisers over the counters: cheap, well mixed, and exactly
 * reproducible in any language with 32-bit integer multiplication.
 */

/** murmur3's 32-bit finaliser (fmix32). */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A uniform number in [0, 1) determined by (seed, b, h, i, j). */
export function dropoutUniform(seed: number, b: number, h: number, i: number, j: number): number {
  let x = fmix32((seed >>> 0) ^ 0x9e3779b9);
  x = fmix32(x ^ (b >>> 0));
  x = fmix32((x + 0x7f4a7c15) ^ (h >>> 0));
  x = fmix32((x + 0x7f4a7c15) ^ (i >>> 0));
  x = fmix32((x + 0x7f4a7c15) ^ (j >>> 0));
  return x / 4294967296;
}

/** True iff element (b, h, i, j) survives dropout with drop probability p. */
export function dropoutKeep(seed: number, b: number, h: number, i: number, j: number, p: number): boolean {
  if (p <= 0) return true;
  return dropoutUniform(seed, b, h, i, j) >= p;
}

/**
 * The dropout multiplier for a [B, H, R, C] block whose first element is (b0, h0, i0, j0):
 * 1/(1-p) where kept, 0 where dropped. Kernels upload this as a tensor.
 */
export function dropoutScaleBlock(
  seed: number,
  p: number,
  shape: readonly [number, number, number, number],
  origin: readonly [number, number, number, number] = [0, 0, 0, 0],
): Float32Array {
  const [B, H, R, C] = shape;
  const [b0, h0, i0, j0] = origin;
  const out = new Float32Array(B * H * R * C);
  const kept = 1 / (1 - p);
  let n = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < R; i++)
        for (let j = 0; j < C; j++) out[n++] = dropoutKeep(seed, b0 + b, h0 + h, i0 + i, j0 + j, p) ? kept : 0;
  return out;
}

/**
 * A dropout as host options carry it: the spec, and a replayed keep mask [B|1, H|1, Sq, Sk] (nonzero = kept) or none.
 */
export interface HostDropout {
  readonly p: number;
  readonly seed: number;
  readonly keep?: { readonly shape: readonly number[]; readonly data: ArrayLike<number> };
}

/**
 * True iff element (b, h, i, j) is kept: by the replayed mask when there is one (a kernel that draws
 * its own dropout returned it), else by the hash. The one rule the reference and the harness share.
 */
export function keeps(dropout: HostDropout, b: number, h: number, i: number, j: number): boolean {
  const m = dropout.keep;
  if (m === undefined) return dropoutKeep(dropout.seed, b, h, i, j, dropout.p);
  const [mB, mH, R, C] = m.shape as [number, number, number, number];
  return m.data[(((mB === 1 ? 0 : b) * mH + (mH === 1 ? 0 : h)) * R + i) * C + j] !== 0;
}

/**
 * The keep pattern [B, H, Sq, Sk] (1 = kept, 0 = dropped) of a dropout (`keeps`): what a kernel
 * receives as `opts.dropout.keep`.
 */
export function dropoutKeepPattern(dropout: HostDropout, shape: readonly [number, number, number, number]): Uint8Array {
  const [B, H, R, C] = shape;
  const out = new Uint8Array(B * H * R * C);
  let n = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[n++] = keeps(dropout, b, h, i, j) ? 1 : 0;
  return out;
}
