/**
 * Metamorphic properties of the whole training step: the same sequences padded (right or left)
 * or packed with restarted position ids give the same loss and gradients; and through the whole
 * model, tokens after position t change no loss at positions <= t.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/backend/index.js';
import { checkTensor, gradientTolerance, materialise, trainingCase, FORWARD_TOLERANCE, scalarTensor, formatCheck, type TrainingCase } from '../src/training/index.js';
import { perTokenLoss, trainTf, type AttentionImplementation, type Batch } from '../kernels/model/index.js';
import { fcParams } from './support/profile.js';
import forgetsIsCausal from '../examples/forgot-is-causal/kernel.js';
import { scaledDotProductAttention } from '../kernels/sdpa/index.js';
import { defineAttentionKernel } from '../src/kernel/index.js';

/** A fixture: honours causality but drops the mask, so padding and other documents leak in (transformers#29075's family). */
const ignoresMask = defineAttentionKernel({
  name: 'ignores-mask',
  forward: (q, k, v, opts, tf) => tf.tidy(() => scaledDotProductAttention(q, k, v, { attnMask: null, isCausal: q.shape[2] > 1, scale: opts.scale, enableGqa: q.shape[1] !== k.shape[1] })),
});

const IMPLEMENTATIONS = ['eager', 'sdpa', 'flash'] as const;

/** Random cases without LoRA dropout (its mask is indexed by batch position, so it differs per layout) and one step. */
const noDropout = trainingCase({ dropouts: [0], maxSteps: 1, maxLength: 6 });

/** Failing lines of padded vs packed for one implementation ([] when they agree). */
function paddedVsPacked(c: TrainingCase, layout: 'right-padded' | 'left-padded', impl: AttentionImplementation): string[] {
  const run = (l: Batch['layout']) => {
    const m = materialise(c, l);
    return trainTf(tf, m.spec, m.init, m.batch, impl).steps[0]!;
  };
  const padded = run(layout);
  const packed = run('packed');
  let scale = 0;
  for (const g of packed.grads.values()) for (const x of g.data) scale = Math.max(scale, Math.abs(x));
  const checks = [checkTensor('loss', scalarTensor(padded.loss), scalarTensor(packed.loss), FORWARD_TOLERANCE)];
  for (const [name, g] of packed.grads) checks.push(checkTensor(`d${name}`, padded.grads.get(name)!, g, gradientTolerance(scale)));
  return checks.filter((ch) => !ch.ok).map(formatCheck);
}

/** Failing positions: per-token losses at positions <= t after changing every token after t (labels kept). */
function futureLeaks(c: TrainingCase, t: number, impl: AttentionImplementation): string[] {
  const m = materialise({ ...c, batch: { layout: 'unpadded', lengths: c.batch.lengths.map(() => c.batch.lengths[0]!) } });
  const { B, S } = m.batch;
  const perturbed = Int32Array.from(m.batch.inputIds, (id, n) => (n % S > t ? 1 + (id % (c.model.vocab - 1)) : id));
  const lossAt = (batch: Batch) => perTokenLoss(trainTf(tf, { ...m.spec, steps: 1 }, m.init, batch, impl).steps[0]!.logits, m.batch.labels);
  const a = lossAt(m.batch);
  const b = lossAt({ ...m.batch, inputIds: perturbed });
  const bad: string[] = [];
  for (let row = 0; row < B; row++)
    for (let s = 0; s <= t; s++) {
      const n = row * S + s;
      if (Math.abs(a[n]! - b[n]!) > 1e-6 * Math.max(1, Math.abs(a[n]!))) bad.push(`[${row},${s}] ${a[n]} -> ${b[n]}`);
    }
  return bad;
}

const causalityArb = fc.tuple(trainingCase({ layouts: ['unpadded'], maxSteps: 1, maxLength: 6 }), fc.nat());

describe('training step: padded equals packed', () => {
  it('any sequences: right- and left-padded batches give the loss and gradients of the same data packed, in every implementation', () => {
    fc.assert(
      fc.property(noDropout, (c) => {
        for (const impl of IMPLEMENTATIONS)
          for (const layout of ['right-padded', 'left-padded'] as const) expect(paddedVsPacked(c, layout, impl), `${impl} ${layout} ${JSON.stringify(c)}`).toEqual([]);
      }),
      fcParams(6),
    );
  });

  it('fails for attention that drops the mask (padding and other documents leak in)', () => {
    const c = fc.sample(noDropout, { seed: 3, numRuns: 1 })[0]!;
    const leaky = { ...c, batch: { layout: 'packed' as const, lengths: [3, 3] } };
    expect(paddedVsPacked(leaky, 'right-padded', ignoresMask).length).toBeGreaterThan(0);
  });
});

describe('training step: causality through the whole model', () => {
  it('any unpadded case: tokens after t change no per-token loss at positions <= t, in every implementation', () => {
    fc.assert(
      fc.property(causalityArb, ([c, t0]) => {
        const t = t0 % Math.max(1, c.batch.lengths[0]! - 1);
        for (const impl of IMPLEMENTATIONS) expect(futureLeaks(c, t, impl), `${impl} t=${t} ${JSON.stringify(c)}`).toEqual([]);
      }),
      fcParams(6),
    );
  });

  it('fails for the #721 dispatch that forgets is_causal when no mask is passed', () => {
    const [c] = fc.sample(causalityArb, { seed: 1, numRuns: 1 })[0]!;
    expect(futureLeaks({ ...c, batch: { layout: 'unpadded', lengths: [4] } }, 0, forgetsIsCausal).length).toBeGreaterThan(0);
  });
});
