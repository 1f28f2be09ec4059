/**
 * Forwards with a broken log-sum-exp, for the chunk-merging relation (used only in tests):
 *
 *   flashLseInBase2        the lse of Triton-style kernels that compute in exp2 (scores scaled by
 *                          log2 e), returned without converting back: lse · log2(e)
 *   referenceLseWithoutMax lse = log Σ_j exp(S_j - m): the running max m is never added back
 * Both leave the output O intact: only a caller merging partial results by lse sees the bug.
 */
import { flashAttnFuncWithLse } from '../../kernels/flash/index.js';
import { tf } from '../../src/backend/index.js';
import { type HostTensor, visible } from '../../src/contract/index.js';
import { referenceAttentionForward } from '../../src/reference/index.js';
import type { FlashWithLse, ForwardWithLse } from '../support/metamorphic-keys.js';

export const flashLseInBase2: FlashWithLse = (q, k, v, options) => {
  const r = flashAttnFuncWithLse(q, k, v, options);
  const lse = tf.mul(r.softmaxLse, Math.LOG2E);
  r.softmaxLse.dispose();
  return { out: r.out, softmaxLse: lse };
};

export const referenceLseWithoutMax: ForwardWithLse = (m) => {
  const { out, lse } = referenceAttentionForward(m.inputs, m.options);
  const { B, Hq, Hkv, Sq, Sk, D } = m.shapes;
  const data = Float64Array.from(lse.data);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++) {
        let max = -Infinity;
        const kvh = Math.floor(h / (Hq / Hkv));
        for (let j = 0; j < Sk; j++) {
          if (!visible(m.options, m.shapes, b, h, i, j)) continue;
          let dot = 0;
          for (let d = 0; d < D; d++)
            dot +=
              m.inputs.q.data[((b * Hq + h) * Sq + i) * D + d]! * m.inputs.k.data[((b * Hkv + kvh) * Sk + j) * D + d]!;
          max = Math.max(max, m.options.scale * dot);
        }
        const r = (b * Hq + h) * Sq + i;
        if (max > -Infinity) data[r] = data[r]! - max;
      }
  return { out, lse: { shape: lse.shape, data } as HostTensor };
};
