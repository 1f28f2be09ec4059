/**
 * Broken like pytorch/pytorch#101967: masked keys are excluded from the softmax but still read in
 * P·V (weight 0 times the value), so NaN in padded K/V reaches the output as 0·NaN. It is sdpa
 * with the contract's visibility as attn_mask, as PyTorch's math path and the built-in sdpa do: fine
 * for a kernel that promises nothing about unseen keys, a bug in one that promises not to read them.
 * Used only to prove that properties/junk.test.ts can fail.
 */
import { visibilityMask } from '../../kernels/eager/index.js';
import { scaledDotProductAttention } from '../../kernels/sdpa/index.js';
import type { AttentionKernel } from '../../src/contract/index.js';

const kernel: AttentionKernel = {
  name: 'junk-leaks',
  forward(q, k, v, opts) {
    const [B, Hq, Sq, D] = q.shape;
    const [, Hkv, Sk] = k.shape;
    const attnMask = visibilityMask(opts, { B, Hq, Hkv, Sq, Sk, D, Dv: v.shape[3] });
    return scaledDotProductAttention(q, k, v, {
      attnMask,
      scale: opts.scale,
      dropoutP: opts.dropout?.p ?? 0,
      dropoutSeed: opts.dropout?.seed ?? 0,
      enableGqa: Hq !== Hkv,
      precision: opts.precision,
    });
  },
};
export default kernel;
