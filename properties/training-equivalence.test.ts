/**
 * Metamorphic properties of the whole training step: the same sequences padded (right or left)
 * or packed with restarted position ids give the same loss and gradients; and through the whole
 * model, tokens after position t change no loss at positions <= t.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import forgotIsCausal from '../examples/forgot-is-causal/kernel.js';
import { scaledDotProductAttention } from '../kernels/sdpa/index.js';
import { tf } from '../src/backend/index.js';
import { defineAttentionKernel, type HostTensor } from '../src/contract/index.js';
import { builtinKernel, loraUnmerged } from '../src/runner/index.js';
import {
  type AttentionImplementation,
  type Batch,
  FORWARD_TOLERANCE,
  gradientTolerance,
  implementationName,
  materialiseTraining,
  perTokenLoss,
  runTraining,
  type TrainingCase,
  trainingCase,
} from '../src/training/index.js';
import { compareTensors } from './support/compare.js';
import { allOf, failsFor, holds, type Relation } from './support/engine.js';
import { BUILTINS } from './support/run.js';

/**
 * A fixture: honours causality but drops the mask, so padding and other documents leak in (transformers#29075's
 * family).
 */
const ignoresMask = defineAttentionKernel({
  name: 'ignores-mask',
  forward: (q, k, v, opts, tf) =>
    tf.tidy(() =>
      scaledDotProductAttention(q, k, v, {
        attnMask: null,
        isCausal: q.shape[2] > 1,
        scale: opts.scale,
        enableGqa: q.shape[1] !== k.shape[1],
      }),
    ),
});

const IMPLEMENTATIONS: readonly AttentionImplementation[] = BUILTINS.map((impl) => builtinKernel(impl).training!);

/** The first step of the case's run, with its batch laid out as `layout`. */
function firstStep(
  c: TrainingCase,
  layout: Batch['layout'],
  attention: AttentionImplementation,
  batch?: (b: Batch) => Batch,
) {
  const m = materialiseTraining(c, layout);
  return runTraining(
    tf,
    { ...m, spec: { ...m.spec, steps: 1 }, batch: batch ? batch(m.batch) : m.batch },
    { attention, lora: loraUnmerged },
  ).steps[0]!;
}

const scalar = (x: number): HostTensor => ({ shape: [], data: Float64Array.of(x) });

/** Padded as `layout` and packed give the same loss and gradients (training tolerances, src/training/tolerance.ts). */
function paddedEqualsPacked(
  layout: 'right-padded' | 'left-padded',
  impl: AttentionImplementation,
): Relation<TrainingCase> {
  return (c) => {
    const [padded, packed] = [firstStep(c, layout, impl), firstStep(c, 'packed', impl)];
    let scale = 0;
    for (const g of packed.grads.values()) for (const x of g.data) scale = Math.max(scale, Math.abs(x));
    const label = `${implementationName(impl)} ${layout} vs packed:`;
    return allOf(
      compareTensors(`${label} loss`, scalar(padded.loss), scalar(packed.loss), FORWARD_TOLERANCE),
      ...[...packed.grads].map(([name, g]) =>
        compareTensors(`${label} d${name}`, padded.grads.get(name)!, g, gradientTolerance(scale)),
      ),
    );
  };
}

/** Random cases without LoRA dropout (its mask is indexed by batch position, so it differs per layout) and one step. */
const noDropout = trainingCase({ dropouts: [0], attentionDropouts: [0], maxSteps: 1, maxLength: 6 });

/** Per-token losses at positions <= t do not move when every token after t changes (labels kept). */
function noFutureLeaks(impl: AttentionImplementation): Relation<readonly [TrainingCase, number]> {
  return ([c, t0]) => {
    const t = t0 % Math.max(1, c.batch.lengths[0]! - 1);
    const unpadded: TrainingCase = {
      ...c,
      batch: { layout: 'unpadded', lengths: c.batch.lengths.map(() => c.batch.lengths[0]!) },
    };
    const { B, S, inputIds, labels } = materialiseTraining(unpadded).batch;
    const perturbed = (b: Batch): Batch => ({
      ...b,
      inputIds: Int32Array.from(inputIds, (id, n) => (n % S > t ? 1 + (id % (c.model.vocab - 1)) : id)),
    });
    const a = perTokenLoss(firstStep(unpadded, 'unpadded', impl).logits, labels);
    const b = perTokenLoss(firstStep(unpadded, 'unpadded', impl, perturbed).logits, labels);
    const moved: string[] = [];
    for (let row = 0; row < B; row++)
      for (let s = 0; s <= t; s++) {
        const n = row * S + s;
        if (Math.abs(a[n]! - b[n]!) > 1e-6 * Math.max(1, Math.abs(a[n]!)))
          moved.push(`[${row},${s}] ${a[n]} -> ${b[n]}`);
      }
    return moved.length === 0
      ? null
      : `${implementationName(impl)}: the loss at ${moved.length} position(s) <= t = ${t} changed when the ` +
          `tokens after t did: ${moved.slice(0, 4).join('; ')}`;
  };
}

const causalityArb = fc.tuple(trainingCase({ layouts: ['unpadded'], maxSteps: 1, maxLength: 6 }), fc.nat());

describe('training step: padded equals packed', () => {
  it(
    'any sequences: right- and left-padded batches give the loss and gradients of the same data packed, in ' +
      'every implementation',
    async () =>
      holds(
        noDropout,
        (c) =>
          allOf(
            ...IMPLEMENTATIONS.flatMap((impl) => [
              paddedEqualsPacked('right-padded', impl)(c),
              paddedEqualsPacked('left-padded', impl)(c),
            ]),
          ),
        6,
      ),
  );

  it(
    'can fail: attention that drops the mask: the second packed document sees the first, so the ' + 'loss moves',
    async () => {
      const c = fc.sample(noDropout, { seed: 3, numRuns: 1 })[0]!;
      const f = await failsFor(
        { ...c, batch: { layout: 'packed' as const, lengths: [3, 3] } },
        paddedEqualsPacked('right-padded', ignoresMask),
      );
      expect(f.message).toMatch(/^ignores-mask right-padded vs packed: loss: /m);
    },
  );
});

describe('training step: causality through the whole model', () => {
  it(
    'any unpadded case: tokens after t change no per-token loss at positions <= t, in every ' + 'implementation',
    async () => holds(causalityArb, (x) => allOf(...IMPLEMENTATIONS.map((impl) => noFutureLeaks(impl)(x))), 6),
  );

  it(
    'can fail: the #721 dispatch that forgets is_causal when no mask is passed: the first token sees ' + 'the second',
    async () => {
      const [c] = fc.sample(causalityArb, { seed: 1, numRuns: 1 })[0]!;
      const f = await failsFor(
        [{ ...c, batch: { layout: 'unpadded', lengths: [4] } }, 0] as const,
        noFutureLeaks(forgotIsCausal),
      );
      expect(f.message).toMatch(
        /^forgot-is-causal: the loss at 1 position\(s\) <= t = 0 changed when the tokens after t did: \[0,0\] /,
      );
    },
  );
});
