/**
 * The flash path of a transformers model (modeling_flash_attention_utils._flash_attention_forward):
 *
 *   no padding and not packed:  flash_attn_func(q, k, v, causal=is_causal) on BSHD
 *   otherwise:                  the tokens are unpadded into one varlen batch (cu_seqlens from the
 *                               padding mask, or from the restarts of the position ids when packed:
 *                               _upad_input / prepare_fa_kwargs_from_position_ids), run with
 *                               flash_attn_varlen_func(causal=True), and padded back with zeros
 *                               (pad_input)
 */
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { type AttentionFunction, onlyCausal, varlenOf } from '../../src/contract/index.js';
import { selectRows } from '../common/selectRows.js';
import { flashAttnFunc } from './flash.js';
import { flashAttnVarlenFunc } from './varlen.js';

export const flashAttentionFunction: AttentionFunction = (tf, q, k, v, call) => {
  const bshd = (x: Tensor) => tf.transpose(x, [0, 2, 1, 3]) as Tensor4D;
  const [qs, ks, vs] = [bshd(q), bshd(k), bshd(v)];
  const common = {
    softmaxScale: call.scaling,
    causal: call.isCausal,
    dropoutP: call.dropout?.p ?? 0,
    dropoutSeed: call.dropout?.seed ?? 0,
    precision: call.precision,
  };
  if (onlyCausal(call.masks)) return flashAttnFunc(qs, ks, vs, common, tf);
  const { B, S } = call.masks;
  const vl = varlenOf(call.masks);
  const flat = (x: Tensor4D) => selectRows(tf, tf.reshape(x, [B * S, x.shape[2], x.shape[3]]), vl.indices) as Tensor3D;
  const cu = Array.from(vl.cuSeqlens);
  const out = flashAttnVarlenFunc(
    flat(qs),
    flat(ks),
    flat(vs),
    { ...common, cuSeqlensQ: cu, cuSeqlensK: cu, maxSeqlenQ: vl.maxSeqlen, maxSeqlenK: vl.maxSeqlen },
    tf,
  );
  // pad_input: padded tokens read a zero row (index -1), so the scatter back is a differentiable gather.
  const [, H, Dh] = out.shape as [number, number, number];
  const source = new Int32Array(B * S).fill(-1);
  vl.indices.forEach((n, t) => {
    source[n] = t;
  });
  return tf.reshape(selectRows(tf, out, source), [B, S, H, Dh]) as Tensor4D;
};
