/**
 * A flash call's tensors checked and moved between their layout and the grouped layout of
 * operands.ts ([B, Hkv, G, S, d]: query head h = kvh·G + g), and the call's FlashConfig.
 *
 *   'bshd' (flash-attn's):  q [B, Sq, Hq, D], k [B, Sk, Hkv, D], v [B, Sk, Hkv, Dv]   a transpose each way
 *   'bhsd' (the contract's): q [B, Hq, Sq, D], k [B, Hkv, Sk, D], v [B, Hkv, Sk, Dv]  a reshape: no copy
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { Precision, TF } from '../../src/contract/index.js';
import { type FlashConfig, permute } from './operands.js';
import { TilePlan, type TileRestrictions } from './tiles.js';

export type Layout = 'bshd' | 'bhsd';

/** A fully resolved call of the core: what the native functions and the contract adapter build. */
export interface FlashCall {
  readonly scale: number;
  readonly restrictions: TileRestrictions;
  readonly Br: number;
  readonly Bc: number;
  readonly dropout: { readonly p: number; readonly seed: number; readonly batchOffset: number } | null;
  readonly precision: Precision;
  readonly softcap?: number | null;
  /** ALiBi slopes [Hq] or [B, Hq], or null. */
  readonly alibiSlopes?: Tensor | null;
  /** Layout of q, k, v and the output; default 'bshd'. */
  readonly layout?: Layout;
}

export interface Dims {
  readonly B: number;
  readonly Sq: number;
  readonly Sk: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly G: number;
  readonly D: number;
  readonly Dv: number;
}

export function fail(field: string, rule: string): never {
  throw new Error(`flashAttnFunc: ${field}: ${rule}`);
}

function dimsOf(q: Tensor4D, k: Tensor4D, v: Tensor4D, layout: Layout): Dims {
  const swap = (s: readonly number[]) => (layout === 'bshd' ? s : [s[0]!, s[2]!, s[1]!, s[3]!]);
  const [B, Sq, Hq, D] = swap(q.shape) as [number, number, number, number];
  const [Bk, Sk, Hkv, Dk] = swap(k.shape) as [number, number, number, number];
  const [Bv, Skv, Hv, Dv] = swap(v.shape) as [number, number, number, number];
  if (Bk !== B || Bv !== B) fail('k.shape', `batch of k/v (${Bk}/${Bv}) must equal q's ${B}`);
  if (Dk !== D) fail('k.shape', `head dim ${Dk} must equal q's ${D}`);
  if (Skv !== Sk || Hv !== Hkv) fail('v.shape', `[${v.shape}] must match k [${k.shape}] in keys and heads`);
  if (Hq % Hkv !== 0) fail('k.shape', `Hq=${Hq} must be a multiple of Hkv=${Hkv}`);
  return { B, Sq, Sk, Hq, Hkv, G: Hq / Hkv, D, Dv };
}

/** Checks shapes, builds the tile plan and the layout changes to and from the grouped layout. */
export function prepare(tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, call: FlashCall) {
  const layout = call.layout ?? 'bshd';
  const dims = dimsOf(q, k, v, layout);
  const { B, Sq, Sk, Hq, Hkv, G } = dims;
  const slopes = call.alibiSlopes ?? null;
  const slopesFit =
    slopes === null ||
    (slopes.rank === 1 && slopes.shape[0] === Hq) ||
    (slopes.rank === 2 && slopes.shape[0] === B && slopes.shape[1] === Hq);
  if (!slopesFit) fail('alibiSlopes', `shape [${slopes!.shape}] must be [Hq] or [B, Hq] = [${Hq}] or [${B},${Hq}]`);
  const cfg: FlashConfig = {
    scale: call.scale,
    plan: new TilePlan(call.restrictions, { B, Hq, Hkv, Sq, Sk }),
    Br: call.Br,
    Bc: call.Bc,
    dropout: call.dropout,
    precision: call.precision,
    softcap: call.softcap ?? null,
    alibi: slopes,
  };
  const bshd = layout === 'bshd';
  return {
    cfg,
    dims,
    /** q-like [B, S, Hq, d] (bhsd: [B, Hq, S, d]) -> [B, Hkv, G, S, d]. */
    grouped: (x: Tensor, S: number, d: number) =>
      bshd ? permute(tf, tf.reshape(x, [B, S, Hkv, G, d]), [0, 2, 3, 1, 4]) : tf.reshape(x, [B, Hkv, G, S, d]),
    /** The inverse of grouped. */
    ungrouped: (x: Tensor, S: number, d: number) =>
      (bshd ? tf.reshape(permute(tf, x, [0, 3, 1, 2, 4]), [B, S, Hq, d]) : tf.reshape(x, [B, Hq, S, d])) as Tensor4D,
    /** k-like [B, S, Hkv, d] (bhsd: [B, Hkv, S, d]) <-> [B, Hkv, S, d], both ways. */
    kvGrouped: (x: Tensor) => (bshd ? permute(tf, x, [0, 2, 1, 3]) : x),
    // bias [B|1, Hq|1, Sq, Sk] -> [B|1, Hkv|1, G|1, Sq, Sk];  sinks [Hq] -> [1, Hkv, G, 1, 1]
    groupedBias: (x: Tensor) =>
      x.shape[1] === 1 ? tf.reshape(x, [x.shape[0]!, 1, 1, Sq, Sk]) : tf.reshape(x, [x.shape[0]!, Hkv, G, Sq, Sk]),
    groupedSinks: (x: Tensor) => tf.reshape(x, [1, Hkv, G, 1, 1]),
  };
}
