/**
 * The bug that started attnfuzz (adapter-hub/adapters#721), as a user kernel: an SDPA attention
 * class that passes the mask it is given and nothing else. transformers hands it no mask when the
 * batch has no padding, expecting the attention class to set is_causal = True itself:
 *
 *   if attention_mask is None:  is_causal = query.shape[2] > 1     <- this line is missing here
 *
 * So with no padding every token attends to the future; with padding the model's explicit 4D mask
 * (causal AND padding) is passed and everything is right, which is why the bug hid.
 *
 *   npx attnfuzz check --suite training --kernel examples/forgot-is-causal/kernel.ts --seed 1 --runs 50 --corpus
 * /tmp/forgot-is-causal
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { scaledDotProductAttention } from '../../kernels/sdpa/index.js';
import type { TF } from '../../src/backend/index.js';
import { defineAttentionKernel, type KernelOptions } from '../../src/contract/index.js';

export default defineAttentionKernel({
  name: 'forgot-is-causal',
  forward(q: Tensor4D, k: Tensor4D, v: Tensor4D, opts: KernelOptions, tf: TF): Tensor {
    return tf.tidy(() =>
      scaledDotProductAttention(q, k, v, {
        attnMask: opts.mask,
        // BUG: opts.causal is never read; with no mask nothing stops a query seeing later keys.
        isCausal: false,
        scale: opts.scale,
        enableGqa: q.shape[1] !== k.shape[1],
      }),
    );
  },
});
