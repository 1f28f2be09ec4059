/**
 * A flash_attn_varlen_func broken the way packed-sequence bugs go (used only in tests): each
 * sequence's queries attend to every packed key up to the end of their own sequence, so documents
 * see the documents packed before them (huggingface/transformers#29075).
 */
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { flashAttnFunc } from '../../kernels/flash/index.js';
import { tf } from '../../src/backend/index.js';
import type { VarlenFunc } from '../support/metamorphic-packing.js';

export const varlenAcrossDocuments: VarlenFunc = (q, k, v, o) =>
  tf.tidy(() => {
    const outs: Tensor[] = [];
    for (let b = 0; b + 1 < o.cuSeqlensQ.length; b++) {
      const [q0, q1, k1] = [o.cuSeqlensQ[b]!, o.cuSeqlensQ[b + 1]!, o.cuSeqlensK[b + 1]!];
      if (q1 === q0) continue;
      if (k1 === 0) {
        outs.push(tf.zeros([q1 - q0, q.shape[1], v.shape[2]]));
        continue;
      }
      const rows = (x: Tensor3D, from: number, to: number) =>
        tf.expandDims(tf.slice(x, [from, 0, 0], [to - from, -1, -1]), 0) as Tensor4D;
      outs.push(tf.squeeze(flashAttnFunc(rows(q, q0, q1), rows(k, 0, k1), rows(v, 0, k1), o), [0]));
    }
    return tf.concat(outs, 0) as Tensor3D;
  });
