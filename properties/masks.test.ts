/**
 * The same mask written every way gives the same forward and backward in every kernel
 * (adapter-hub/adapters#721: with no padding transformers passes no mask and expects is_causal;
 * huggingface/transformers#30652, #41966, #36150 are the same family):
 *
 *   flag       the contract's causal flag, no mask
 *   boolean    an explicit boolean mask of the same visibility, [1,1,Sq,Sk] and [B,Hq,Sq,Sk], causal 'none'
 *   padding    all-ones padding (keyLengths = Sk in every row) plus the causal flag
 *   additive   the native additive float mask: eager's attention_mask (0 / finfo.min, as
 *              transformers builds it), sdpa's float attn_mask (0 / -inf)
 *   native     sdpa's own is_causal (top-left), flash_attn_func's own causal (bottom-right)
 *
 * Within one kernel every way must be bit-identical (the visibility is the same, so the
 * arithmetic is); across kernels the results differ only by rounding: ACROSS_ULPS, measured below.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import causalIgnored from '../fixtures/broken-kernels/causal-ignored-without-mask.js';
import topLeftCausal from '../fixtures/broken-kernels/top-left-causal.js';
import { eagerAttentionForward, MASK_MIN } from '../kernels/eager/index.js';
import { flashAttnFunc } from '../kernels/flash/index.js';
import { scaledDotProductAttention } from '../kernels/sdpa/index.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import {
  type AttentionKernel,
  type AttentionResult,
  type HostMask,
  type Precision,
  UNIT_ROUNDOFF,
  visibilityPattern,
} from '../src/contract/index.js';
import { compareResults } from './support/compare.js';
import { allOf, failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, materialise, nameOf, run, withMaterial } from './support/run.js';

const bshd = (tf: Parameters<AttentionKernel['forward']>[4], x: Tensor) => tf.transpose(x, [0, 2, 1, 3]) as Tensor4D;
const dropoutOf = (opts: { dropout: { p: number; seed: number } | null }) => ({
  p: opts.dropout?.p ?? 0,
  seed: opts.dropout?.seed ?? 0,
});

/** eager_attention_forward with transformers' additive 4D mask (0 where visible, finfo.min elsewhere). */
function eagerAdditive(pattern: HostMask): AttentionKernel {
  return {
    name: 'eager(additive mask)',
    forward(q, k, v, opts, tf) {
      const additive = tf.where(
        tf.tensor4d(pattern.data, [...pattern.shape], 'bool'),
        tf.scalar(0),
        tf.scalar(MASK_MIN),
      ) as Tensor as Tensor4D;
      const { p, seed } = dropoutOf(opts);
      const [out] = eagerAttentionForward(q, k, v, additive, {
        scaling: opts.scale,
        dropout: p,
        dropoutSeed: seed,
        numKeyValueGroups: q.shape[1] / k.shape[1],
        precision: opts.precision,
      });
      return bshd(tf, out);
    },
  };
}

/** scaled_dot_product_attention with a float attn_mask (0 where visible, -inf elsewhere), or its own is_causal. */
function sdpaNative(how: { additive: HostMask } | 'isCausal'): AttentionKernel {
  return {
    name: how === 'isCausal' ? 'sdpa(is_causal)' : 'sdpa(additive attn_mask)',
    forward(q, k, v, opts, tf) {
      const attnMask =
        how === 'isCausal'
          ? null
          : tf.where(
              tf.tensor4d(how.additive.data, [...how.additive.shape], 'bool'),
              tf.scalar(0),
              tf.scalar(-Infinity),
            );
      const { p, seed } = dropoutOf(opts);
      return scaledDotProductAttention(q, k, v, {
        attnMask,
        isCausal: how === 'isCausal',
        scale: opts.scale,
        dropoutP: p,
        dropoutSeed: seed,
        enableGqa: q.shape[1] !== k.shape[1],
        precision: opts.precision,
      });
    },
  };
}

/** flash_attn_func's own (bottom-right) causal flag, in its BSHD layout, with the case's blocks. */
function flashNative(c: AttentionCase): AttentionKernel {
  return {
    name: 'flash_attn_func(causal)',
    forward(q, k, v, opts, tf) {
      const { p, seed } = dropoutOf(opts);
      const out = flashAttnFunc(
        bshd(tf, q),
        bshd(tf, k),
        bshd(tf, v),
        {
          softmaxScale: opts.scale,
          causal: true,
          dropoutP: p,
          dropoutSeed: seed,
          ...c.blocks,
          precision: opts.precision,
        },
        tf,
      );
      return bshd(tf, out);
    },
  };
}

interface Written {
  readonly way: string;
  readonly result: AttentionResult;
}

/** Every way `kernel` can be given the case's causal visibility (natives only for the built-ins). */
function everyWay(kernel: KernelArg, c: AttentionCase): Written[] {
  const m = materialise(c);
  const { B, Hq, Sq, Sk } = c.shapes;
  const k = kernelFor(kernel, c);
  const none = { causal: 'none' as const };
  const pattern = visibilityPattern({ ...m.options, mask: null }, { ...c.shapes, B: 1, Hq: 1 });
  const broadcast: HostMask = { shape: [1, 1, Sq, Sk], data: pattern };
  const full: HostMask = { shape: [B, Hq, Sq, Sk], data: visibilityPattern(m.options, c.shapes) };
  const ways: Written[] = [
    { way: 'causal flag, no mask', result: run(k, m) },
    { way: 'boolean mask [1,1,Sq,Sk]', result: run(k, withMaterial(m, { options: { ...none, mask: broadcast } })) },
    { way: 'boolean mask [B,Hq,Sq,Sk]', result: run(k, withMaterial(m, { options: { ...none, mask: full } })) },
    {
      way: 'all-ones padding + causal flag',
      result: run(k, withMaterial(m, { options: { keyLengths: Array<number>(B).fill(Sk) } })),
    },
  ];
  const topLeft = c.causal === 'top-left' || Sq === Sk;
  const bottomRight = c.causal === 'bottom-right' || Sq === Sk;
  const native: AttentionKernel[] = [];
  if (kernel === 'eager') native.push(eagerAdditive(broadcast));
  if (kernel === 'sdpa') native.push(sdpaNative({ additive: broadcast }), ...(topLeft ? [sdpaNative('isCausal')] : []));
  if (kernel === 'flash' && bottomRight) native.push(flashNative(c));
  for (const n of native) ways.push({ way: n.name, result: run(n, m) });
  return ways;
}

/**
 * Across kernels, in units of u(precision) · max(1, max|x|) per tensor. Measured over 300 cases of
 * CASES (seed 7): at most 30.5 in float32 (dq of small integers; gradients accumulate longer
 * sums), at most 2.8 in bfloat16 and 2.0 in float16. The bounds leave a margin of about 4; a kernel
 * that sees one wrong key is off by O(max|x|). Within one kernel every way was bit-identical.
 */
const ACROSS_ULPS: Record<Precision, number> = { float32: 128, bfloat16: 8, float16: 8 };

const CASES = attentionCase({
  maxBatch: 2,
  maxHeads: 4,
  maxSeq: 8,
  maxHeadDim: 8,
  causals: ['top-left', 'bottom-right'],
  allowMask: false,
  allowWindow: false,
  allowPadding: false,
  // Natives read every key (as transformers and PyTorch do): junk is junk.test.ts's subject.
  // Logits of 1e4 make kernels differ by their conditioning, not their masks: the oracle's subject.
  junk: ['none'],
  layouts: ['BHSD'],
  values: ['small-int', 'normal', 'near-ties'],
});

/**
 * Every way of writing the mask agrees within each kernel (exactly) and across kernels (ACROSS_ULPS of max(1, max|x|)).
 */
function maskWaysAgree(kernels: readonly KernelArg[]): Relation<AttentionCase> {
  return (c) => {
    const per = kernels.map((k) => everyWay(k, c));
    const across = { rel: ACROSS_ULPS[c.precision] * UNIT_ROUNDOFF[c.precision] };
    return allOf(
      ...per.flatMap(([flag, ...rest], n) => [
        ...rest.map((w) =>
          compareResults(`${nameOf(kernels[n]!)} ${w.way} vs causal flag:`, w.result, flag!.result, 'exact'),
        ),
        n > 0
          ? compareResults(
              `${nameOf(kernels[n]!)} vs ${nameOf(kernels[0]!)} (causal flag):`,
              flag!.result,
              per[0]![0]!.result,
              across,
              1,
            )
          : null,
      ]),
    );
  };
}

describe('the same mask written every way gives the same forward and backward', () => {
  it(
    'in eager, sdpa and flash, every way of writing a causal mask agrees, within each kernel and ' + 'across them',
    async () => holds(CASES, maskWaysAgree(BUILTINS), 20),
  );
});

/**
 * What a kernel that mishandles the causal flag shows: the explicit boolean masks (causal 'none')
 * disagree with the flag. Padding keeps the flag, so it is as wrong as the flag and says nothing.
 */
const FLAG_DIFFERS = /^\S+ boolean mask \[1,1,Sq,Sk\] vs causal flag: (out|dq|dk|dv): /m;

describe('masks, on broken kernels', () => {
  it(
    'can fail: a kernel that ignores the causal flag when no mask is given (adapters#721): the flag disagrees ' +
      'with the explicit mask',
    async () => expect((await failsOn(CASES, maskWaysAgree([causalIgnored]), 20)).message).toMatch(FLAG_DIFFERS),
  );

  it(
    'can fail: a kernel that aligns bottom-right causality top-left (pytorch#108108): only bottom-right cases ' +
      'with Sq != Sk',
    async () => {
      const f = await failsOn(CASES, maskWaysAgree([topLeftCausal]), 20);
      expect(f.message).toMatch(FLAG_DIFFERS);
      expect(f.counterexample.causal).toBe('bottom-right');
      expect(f.counterexample.shapes.Sq).not.toBe(f.counterexample.shapes.Sk);
    },
  );
});
