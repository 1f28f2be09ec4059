/**
 * Contract kernels broken on purpose, each the way one metamorphic relation targets, so that the
 * suites can show the relation fails on them (none may pass vacuously). Never used outside tests.
 *
 *   flashDroppingLastBlock   the key grid is floor(Sk / Bc) blocks instead of ceil: the last
 *                            partial block is never read (jax-ml/jax#27224, pytorch#153799)
 *   topLeftDecode            bottom-right causal run as top-left: a decode step (Sq < Sk) sees
 *                            only the first keys (pytorch#108108, flash-attention#517)
 *   batchMaxLength           every row masked with the longest row's key length (one max_seqlen
 *                            for the whole batch): rows leak into each other
 *   ignoresKeyLengths        keyLengths dropped on the floor: padded keys contribute
 *   ignoresMask              the boolean mask dropped on the floor
 *                            (pytorch#101967, transformers#29075)
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/backend/index.js';
import {
  type AttentionKernel,
  defineAttentionKernel,
  type KernelOptions,
  splitOutput,
} from '../../src/contract/index.js';
import { eagerKernel, flashKernelWith } from '../../src/runner/index.js';

/** `kernel` with its options rewritten before every call. */
function rewriting(
  name: string,
  kernel: AttentionKernel,
  rewrite: (opts: KernelOptions, q: Tensor4D, k: Tensor4D, tf: TF) => KernelOptions,
): AttentionKernel {
  return defineAttentionKernel({
    name,
    forward: (q, k, v, opts, tf) =>
      tf.tidy(() => splitOutput(kernel.forward(q, k, v, rewrite(opts, q, k, tf), tf)).out),
  });
}

export function flashDroppingLastBlock(blocks: { Br: number; Bc: number }): AttentionKernel {
  return rewriting(
    `flash-dropping-last-block(Br=${blocks.Br},Bc=${blocks.Bc})`,
    flashKernelWith(blocks),
    (opts, q, k, tf) => {
      const [Sq, Sk] = [q.shape[2], k.shape[2]];
      const read = Math.floor(Sk / blocks.Bc) * blocks.Bc;
      const grid = tf.tensor4d(
        Array.from({ length: Sq * Sk }, (_, n) => (n % Sk < read ? 1 : 0)),
        [1, 1, Sq, Sk],
        'bool',
      );
      return { ...opts, mask: opts.mask === null ? grid : (tf.logicalAnd(opts.mask, grid) as Tensor4D) };
    },
  );
}

export const topLeftDecode: AttentionKernel = rewriting('eager-top-left-decode', eagerKernel, (opts) => ({
  ...opts,
  causal: opts.causal === 'bottom-right' ? 'top-left' : opts.causal,
}));

export const batchMaxLength: AttentionKernel = rewriting('eager-batch-max-length', eagerKernel, (opts) => ({
  ...opts,
  keyLengths: opts.keyLengths === null ? null : opts.keyLengths.map(() => Math.max(...opts.keyLengths!)),
}));

export const ignoresKeyLengths: AttentionKernel = rewriting('eager-ignores-key-lengths', eagerKernel, (opts) => ({
  ...opts,
  keyLengths: null,
}));

/** The boolean mask dropped on the floor: keys it hides contribute. */
export const ignoresMask: AttentionKernel = rewriting('eager-ignores-mask', eagerKernel, (opts) => ({
  ...opts,
  mask: null,
}));
