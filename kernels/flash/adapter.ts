/**
 * The flash kernel behind the attention contract (src/contract): contract q [B,Hq,Sq,D] (BHSD) goes
 * to the core as it is (layout 'bhsd', a reshape of the grouped layout), and out comes back in it.
 * Every contract option is honoured natively:
 *
 *   causal 'bottom-right'   flash's own diagonal, j <= i + Sk - Sq
 *   causal 'top-left'       the diagonal shifted to j <= i (the tile predicate takes either)
 *   window                  inclusive around the bottom-right diagonal, as flash's window_size
 *   keyLengths              padded keys are invisible in the tile predicate (right or left padding);
 *                           fully padded key blocks are skipped
 *   mask [B|1,Hq|1,Sq,Sk]   applied per tile as a block-sparse mask (FlexAttention-style): read
 *                           once on the host, cut into tiles, empty tiles skipped
 *   dropout, precision      as flashAttnFunc
 *   softcap, alibiSlopes    flash-attn's softcap and alibi_slopes, in each tile (operands.ts)
 *   bias, sinks             a bias tile added after ALiBi, the sink folded into the denominator after
 *                           the last key block; both differentiated by flash's own backward
 *
 * It returns { out, lse }: the lse [B, Hq, Sq] of its forward (base e, sink included), judged too.
 *
 * `flashKernelWith({ Br, Bc })` fixes other block sizes (the results must not depend on them).
 * Keys no query of their kv-head group sees are never read (tiles.ts zeroes them before any
 * product): the kernel promises it (`guarantees.unseenKeysUnread`), so NaN junk is written there.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import {
  type AttentionKernel,
  defineAttentionKernel,
  type HostMask,
  type KernelOptions,
  type TF,
} from '../../src/contract/index.js';
import { DEFAULT_BC, DEFAULT_BR, flashAttentionWithLse, resolveCommon } from './flash.js';

export interface FlashBlockSizes {
  readonly Br?: number;
  readonly Bc?: number;
}

function hostMask(mask: Tensor4D | null): HostMask | null {
  if (mask === null) return null;
  return { shape: mask.shape, data: mask.dataSync() as Uint8Array };
}

/** The contract adapter with query/key block sizes Br, Bc (defaults DEFAULT_BR, DEFAULT_BC = 256). */
export function flashKernelWith(blocks: FlashBlockSizes = {}): AttentionKernel {
  const { Br, Bc } = resolveCommon({ Br: blocks.Br ?? DEFAULT_BR, Bc: blocks.Bc ?? DEFAULT_BC });
  const name = blocks.Br === undefined && blocks.Bc === undefined ? 'flash' : `flash(Br=${Br},Bc=${Bc})`;
  return defineAttentionKernel({
    name,
    guarantees: { unseenKeysUnread: true },
    features: { softcap: true, alibi: true, bias: true, sinks: true },
    forward(q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions, tf: TF) {
      const p = opts.dropout?.p ?? 0;
      // The contract's BHSD is the grouped layout reshaped: no transpose on either pass.
      return flashAttentionWithLse(
        tf,
        q,
        k,
        v,
        {
          scale: opts.scale,
          restrictions: {
            causal: opts.causal,
            window: opts.window,
            keyLengths: opts.keyLengths,
            paddingSide: opts.paddingSide,
            mask: hostMask(opts.mask),
          },
          Br,
          Bc,
          dropout: p > 0 ? { p, seed: opts.dropout!.seed, batchOffset: 0 } : null,
          precision: opts.precision,
          softcap: opts.softcap ?? null,
          alibiSlopes: opts.alibiSlopes ?? null,
          layout: 'bhsd',
        },
        { bias: opts.bias ?? null, sinks: opts.sinks ?? null },
      );
    },
  });
}

/** FlashAttention-2 behind the attention contract, with the default block sizes. */
export const flashKernel: AttentionKernel = flashKernelWith();
