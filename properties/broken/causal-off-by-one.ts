/**
 * Broken: the causal diagonal is off by one (j <= diag + 1 instead of j <= diag, the exclusive vs
 * inclusive slip of huggingface/transformers#29623), so every query sees one future key. Built on
 * the correct eager kernel by handing it that shifted pattern as an explicit boolean mask.
 * Used only to prove that properties/causality.test.ts can fail.
 */
import type { AttentionKernel } from '../../src/contract/index.js';
import { eagerKernel } from '../../src/runner/index.js';

const kernel: AttentionKernel = {
  name: 'causal-off-by-one',
  forward(q, k, v, opts, tf) {
    if (opts.causal === 'none') return eagerKernel.forward(q, k, v, opts, tf);
    const [, , Sq] = q.shape;
    const Sk = k.shape[2];
    const data = new Uint8Array(Sq * Sk);
    for (let i = 0; i < Sq; i++) {
      const diag = opts.causal === 'top-left' ? i : i + Sk - Sq;
      for (let j = 0; j < Sk; j++) data[i * Sk + j] = j <= diag + 1 ? 1 : 0;
    }
    const shifted = tf.tensor4d(data, [1, 1, Sq, Sk], 'bool');
    const mask = opts.mask === null ? shifted : tf.logicalAnd(shifted, opts.mask);
    return eagerKernel.forward(q, k, v, { ...opts, causal: 'none', mask: mask as typeof shifted }, tf);
  },
};
export default kernel;
