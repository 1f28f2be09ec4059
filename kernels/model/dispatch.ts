/**
 * The attention-dispatch layer of the tiny decoder, modelled on transformers'
 * ALL_ATTENTION_FUNCTIONS (modeling_utils.py) and masking_utils.create_causal_mask: the model holds
 * a 2D padding mask [B, S] or null and position ids; each implementation gets the mask in the form
 * it takes and is asked for causality its own way.
 *
 *   'eager'   always a 4D additive mask [B, 1, S, S] (0 = attend, finfo.min = masked) built from
 *             causal AND padding AND packed documents; eagerAttentionForward adds it to the scores.
 *   'sdpa'    no padding and not packed: attn_mask = None and is_causal = (q_len > 1)    <- the line
 *             adapter-hub/adapters#721 dropped; otherwise a 4D boolean attn_mask, is_causal False.
 *   'flash'   no padding and not packed: flash_attn_func(causal=True) on BSHD; otherwise the tokens
 *             are unpadded into one varlen batch (cu_seqlens from the mask or the position ids),
 *             run causal, and padded back with zeros (transformers' _upad_input / pad_input).
 *   a user AttentionKernel (the contract): like sdpa, mask null + causal 'top-left' when nothing is
 *             padded or packed, else a boolean mask [B, 1, S, S] with causal 'none'.
 *
 * Every function takes q [B, Hq, S, Dh], k, v [B, Hkv, S, Dh] and returns [B, S, Hq, Dh], as
 * transformers' attention functions return attn_output before the o projection.
 * S = Sq = Sk here (training, no cache), so top-left and bottom-right causal coincide.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';
import type { AttentionKernel, KernelOptions } from '../../src/kernel/index.js';
import { eagerAttentionForward, MASK_MIN } from '../eager/index.js';
import { flashVarlen, flashAttnFunc } from './flashEntry.js';
import { scaledDotProductAttention } from '../sdpa/index.js';
import { allowedMask, varlenOf, type MaskInputs } from './masks.js';
import { selectRows } from '../common/selectRows.js';

export type AttentionImplementation = 'eager' | 'sdpa' | 'flash' | AttentionKernel;

/** What the model passes to every attention function. */
export interface AttentionCall {
  readonly scaling: number;
  /** module.is_causal: true for a decoder; the functions decide how to honour it. */
  readonly isCausal: boolean;
  readonly masks: MaskInputs;
}

export type AttentionFunction = (tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, call: AttentionCall) => Tensor4D;

function boolMask(tf: TF, m: MaskInputs): Tensor4D {
  return tf.tensor4d(allowedMask(m), [m.B, 1, m.S, m.S], 'bool');
}

const toBSHD = (tf: TF, x: Tensor) => tf.transpose(x, [0, 2, 1, 3]) as Tensor4D;

function eager(tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, call: AttentionCall): Tensor4D {
  const allowed = allowedMask(call.masks);
  const additive = Float32Array.from(allowed, (a) => (a ? 0 : MASK_MIN));
  const mask = tf.tensor4d(additive, [call.masks.B, 1, call.masks.S, call.masks.S]);
  return eagerAttentionForward(q, k, v, mask, { scaling: call.scaling, numKeyValueGroups: q.shape[1] / k.shape[1] })[0];
}

/** True iff nothing but causality restricts attention (then the implementation must apply is_causal). */
function onlyCausal(m: MaskInputs): boolean {
  return m.padding === null && m.packed === null;
}

function sdpa(tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, call: AttentionCall): Tensor4D {
  const plain = onlyCausal(call.masks);
  const out = scaledDotProductAttention(q, k, v, {
    attnMask: plain ? null : boolMask(tf, call.masks),
    // transformers' sdpa_attention_forward: is_causal = query.shape[2] > 1 and attention_mask is None and module.is_causal
    isCausal: plain && call.isCausal && q.shape[2] > 1,
    scale: call.scaling,
    enableGqa: q.shape[1] !== k.shape[1],
  });
  return toBSHD(tf, out);
}

function flash(tf: TF, q: Tensor4D, k: Tensor4D, v: Tensor4D, call: AttentionCall): Tensor4D {
  const [qs, ks, vs] = [toBSHD(tf, q), toBSHD(tf, k), toBSHD(tf, v)];
  if (onlyCausal(call.masks)) return flashAttnFunc(qs, ks, vs, { softmaxScale: call.scaling, causal: call.isCausal }, tf);
  const { B, S } = call.masks;
  const vl = varlenOf(call.masks);
  const flat = (x: Tensor4D) => selectRows(tf, tf.reshape(x, [B * S, x.shape[2], x.shape[3]]), vl.indices);
  const out = flashVarlen(tf, flat(qs), flat(ks), flat(vs), vl, { softmaxScale: call.scaling, causal: call.isCausal });
  // pad_input: padded tokens read a zero row (index -1), so the scatter back is a differentiable gather.
  const [, H, Dh] = out.shape as [number, number, number];
  const source = new Int32Array(B * S).fill(-1);
  vl.indices.forEach((n, t) => (source[n] = t));
  return tf.reshape(selectRows(tf, out, source), [B, S, H, Dh]) as Tensor4D;
}

/** A user kernel behind the contract, dispatched the way the sdpa path is. */
function userKernel(kernel: AttentionKernel): AttentionFunction {
  return (tf, q, k, v, call) => {
    const plain = onlyCausal(call.masks);
    const opts: KernelOptions = {
      scale: call.scaling,
      causal: plain && call.isCausal ? 'top-left' : 'none',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: plain ? null : boolMask(tf, call.masks),
      dropout: null,
      precision: 'float32',
    };
    return toBSHD(tf, kernel.forward(q, k, v, opts, tf));
  };
}

/** transformers' ALL_ATTENTION_FUNCTIONS for this model. */
export const ATTENTION_FUNCTIONS: Readonly<Record<'eager' | 'sdpa' | 'flash', AttentionFunction>> = { eager, sdpa, flash };

export function attentionFunction(impl: AttentionImplementation): AttentionFunction {
  return typeof impl === 'string' ? ATTENTION_FUNCTIONS[impl] : userKernel(impl);
}

export function implementationName(impl: AttentionImplementation): string {
  return typeof impl === 'string' ? impl : impl.name;
}
