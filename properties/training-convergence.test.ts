/**
 * Convergence: on a tiny memorisation task (two fixed sequences, LoRA on every projection, AdamW)
 * every attention implementation lowers the training loss to at most half its initial value
 * within a fixed number of steps, and they all follow the same loss curve.
 *
 * A loss curve alone cannot tell a correct model from one that peeks at the answer (a kernel that
 * leaks the future converges faster): what it shows is that training trains. So halving fails on
 * adapters whose gradients never arrive, and the curve comparison is what catches the leak.
 * Each test computes the curves it reads (memoised by case and kernels, so none is run twice).
 */
import { describe, expect, it } from 'vitest';
import forgotIsCausal from '../examples/forgot-is-causal/kernel.js';
import { detachedAdapters } from '../fixtures/broken-kernels/metamorphic/lora.js';
import { tf } from '../src/backend/index.js';
import { builtinKernel, loraUnmerged } from '../src/runner/index.js';
import {
  implementationName,
  type ModelKernels,
  materialiseTraining,
  runTraining,
  type TrainingCase,
} from '../src/training/index.js';
import { allOf, failsFor, holdsFor, type Relation } from './support/engine.js';
import { BUILTINS, type BuiltinName } from './support/run.js';

const STEPS = 30;
/** Two curves agree when every step's loss is within this of the other's. */
const SAME_CURVE = 1e-3;

const memorise: TrainingCase = {
  version: 1,
  kind: 'training',
  model: { vocab: 11, dModel: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 16 },
  batch: { layout: 'right-padded', lengths: [8, 6] },
  lora: {
    targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
    rank: 4,
    alpha: 8,
    rslora: false,
    dropout: 0,
    initB: 'zero',
  },
  adamw: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 },
  steps: STEPS,
  seed: 11,
};

const LAYOUTS = ['right-padded', 'unpadded'] as const;
const caseFor = (layout: (typeof LAYOUTS)[number]): TrainingCase =>
  layout === 'unpadded' ? { ...memorise, batch: { layout, lengths: [8, 8] } } : memorise;

/** A built-in attention with the built-in (unmerged) LoRA layers. */
const builtin = (impl: BuiltinName): ModelKernels => ({ attention: builtinKernel(impl).training!, lora: loraUnmerged });
const nameOf = (k: ModelKernels) =>
  `${implementationName(k.attention)}${k.lora === loraUnmerged ? '' : ` + ${k.lora.name}`}`;

const curves = new Map<string, number[]>();

/** The loss at every step of the case's training run with `kernels`. */
function lossCurve(c: TrainingCase, kernels: ModelKernels): number[] {
  const key = `${nameOf(kernels)} ${JSON.stringify(c)}`;
  if (!curves.has(key))
    curves.set(
      key,
      runTraining(tf, materialiseTraining(c), kernels).steps.map((s) => s.loss),
    );
  return curves.get(key)!;
}

const show = (curve: readonly number[]) => curve.map((l) => l.toFixed(3)).join(' ');

/** The last step's loss is at most half the first step's. */
function halvesTheLoss(kernels: ModelKernels): Relation<TrainingCase> {
  return (c) => {
    const curve = lossCurve(c, kernels);
    const [first, last] = [curve[0]!, curve[curve.length - 1]!];
    return last <= first / 2
      ? null
      : `${nameOf(kernels)}: loss ${last.toFixed(4)} after ${c.steps} steps is more than half of ` +
          `${first.toFixed(4)}; curve: ${show(curve)}`;
  };
}

/** Every step's loss is within SAME_CURVE of eager's. */
function followsEager(kernels: ModelKernels): Relation<TrainingCase> {
  return (c) => {
    const [eager, curve] = [lossCurve(c, builtin('eager')), lossCurve(c, kernels)];
    const t = curve.findIndex((l, n) => !(Math.abs(l - eager[n]!) < SAME_CURVE));
    return t < 0
      ? null
      : `${nameOf(kernels)} step ${t + 1}: loss ${curve[t]!.toFixed(4)} vs eager ${eager[t]!.toFixed(4)} ` +
          `(differs by more than ${SAME_CURVE})`;
  };
}

describe('training step: convergence on a memorisation task', () => {
  for (const impl of BUILTINS)
    for (const layout of LAYOUTS)
      it(`${impl} halves the loss within ${STEPS} AdamW steps (${layout})`, async () =>
        holdsFor(caseFor(layout), halvesTheLoss(builtin(impl))));

  for (const layout of LAYOUTS)
    it(`eager, sdpa and flash follow the same loss curve (${layout})`, async () =>
      holdsFor(caseFor(layout), (c) => allOf(followsEager(builtin('sdpa'))(c), followsEager(builtin('flash'))(c))));
});

describe('training convergence, on broken kernels', () => {
  it(
    'can fail: halving fails when the adapters never get a gradient (peft#137: detached A and B): the loss ' +
      'never moves',
    async () => {
      const kernels = { attention: builtinKernel('eager').training!, lora: detachedAdapters };
      const f = await failsFor(caseFor('right-padded'), halvesTheLoss(kernels));
      expect(f.message).toMatch(/^eager \+ lora-detached-adapters: loss \S+ after 30 steps is more than half of \S+/);
      // Not slow learning: no parameter moves, so every step sees the same model.
      expect(new Set(lossCurve(caseFor('right-padded'), kernels)).size).toBe(1);
    },
  );

  it(
    'can fail: the same curve fails for the #721 dispatch that forgets is_causal: it departs from eager at step 1 on ' +
      'an unpadded batch',
    async () => {
      const kernels = { attention: forgotIsCausal, lora: loraUnmerged };
      expect((await failsFor(caseFor('unpadded'), followsEager(kernels))).message).toMatch(
        /^forgot-is-causal step 1: loss \S+ vs eager \S+/,
      );
      // Padded batches get an explicit causal mask: there it follows eager, which is how the bug hid...
      await holdsFor(caseFor('right-padded'), followsEager(kernels));
      // ...and, peeking at the answer, it still halves its loss: halving alone cannot catch it.
      await holdsFor(caseFor('unpadded'), halvesTheLoss(kernels));
    },
  );
});
