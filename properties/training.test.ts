/**
 * The full LoRA training step, differentially: the tiny decoder with eager, sdpa and flash
 * attention matches the float64 reference tensor by tensor by name for one step (logits, loss,
 * every dA/dB, frozen weights, parameters after AdamW), and the implementations agree with each
 * other over T steps; judged by the one check (src/runner `checkCase` on a training case). The
 * founding bug (adapter-hub/adapters#721) lived in this layer.
 */
import { describe, expect, it } from 'vitest';
import { lowprecDetachedQ, lowprecHalvedDk } from '../fixtures/broken-kernels/lowprec-faults.js';
import type { AttentionKernel } from '../src/contract/index.js';
import { formatVerdict } from '../src/oracle/index.js';
import { builtinKernel, checkCase, fixedKernel, type KernelUnderTest } from '../src/runner/index.js';
import { type TrainingCase, trainingCase } from '../src/training/index.js';
import { matchesReference } from './support/differential.js';
import { failsFor, firstOf, holds, holdsFor, type Relation } from './support/engine.js';
import { BUILTINS } from './support/run.js';

/** A judged tensor's line: `<name> OK maxAbs=.. allowed=.. (no baseline, floor ..) @ [..] ref=.. got=..`. */
const E = String.raw`\d\.\d\de[+-]\d+`;
const OK_LINE = new RegExp(
  String.raw`^[\w.= ]+ OK maxAbs=${E} allowed=${E} \(no baseline, floor \S+\) @ \[[\d,]*\] ref=\S+ got=\S+$`,
);

/** Every built-in attention passes the training check (the first that does not, with its check). */
const everyImplementationMatches: Relation<TrainingCase> = (c) =>
  firstOf(...BUILTINS.map((impl) => matchesReference(impl)(c)));

const base: TrainingCase = {
  version: 1,
  kind: 'training',
  model: { vocab: 11, dModel: 8, layers: 2, heads: 2, kvHeads: 1, ffn: 12 },
  batch: { layout: 'unpadded', lengths: [6, 6] },
  lora: {
    targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
    rank: 2,
    alpha: 4,
    rslora: false,
    dropout: 0.1,
    initB: 'random',
  },
  adamw: { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-4, weightDecay: 0.01 },
  steps: 3,
  seed: 5,
};

describe('training step: eager, sdpa and flash against the float64 reference and each other', () => {
  for (const [layout, lengths] of [
    ['unpadded', [6, 6]],
    ['right-padded', [6, 3]],
    ['left-padded', [2, 6, 4]],
    ['packed', [3, 5]],
  ] as const) {
    it(`every named tensor matches on a ${layout} batch`, async () =>
      holdsFor({ ...base, batch: { layout, lengths } }, everyImplementationMatches));
  }

  it('any training case: every implementation matches, tensor by tensor', async () =>
    holds(trainingCase(), everyImplementationMatches, 12));

  it(
    'the report lists, in order, logits, loss, every gradient, frozen weights, parameters per step and the ' +
      'loss per step',
    async () => {
      const c: TrainingCase = {
        ...base,
        model: { ...base.model, layers: 1 },
        lora: { ...base.lora, targets: ['q', 'down'] },
        steps: 2,
      };
      const lines = formatVerdict((await checkCase(c, builtinKernel('sdpa'))).verdict);
      const labels = lines.map((l) => l.replace(/ (OK|MISMATCH|NONFINITE|SHAPE) .*/, ''));
      expect(labels.slice(0, 7)).toEqual([
        '# sdpa vs float64 reference, step 1',
        'logits',
        'loss',
        'dA layers.0.q',
        'dB layers.0.q',
        'dA layers.0.down',
        'dB layers.0.down',
      ]);
      expect(labels).toContain('frozen layers.0.q.W');
      expect(labels.slice(labels.indexOf('frozen lm_head') + 1)).toEqual([
        'A layers.0.q step=1',
        'B layers.0.q step=1',
        'A layers.0.down step=1',
        'B layers.0.down step=1',
        '# sdpa vs eager, steps 1..2',
        'A layers.0.q step=2',
        'B layers.0.q step=2',
        'A layers.0.down step=2',
        'B layers.0.down step=2',
        'loss step=1',
        'loss step=2',
      ]);
      for (const line of lines.filter((l) => !l.startsWith('#'))) {
        expect(line).toMatch(OK_LINE);
      }
    },
  );
});

/** Right on its first call, then attention sees the future: a bug only a later step can show. */
function wrongFromSecondCall(): KernelUnderTest {
  const sdpa = builtinKernel('sdpa').attention!() as AttentionKernel;
  let calls = 0;
  const kernel: AttentionKernel = {
    name: 'causal-lost-after-step-1',
    forward: (q, k, v, o, tf) => sdpa.forward(q, k, v, ++calls > 1 ? { ...o, causal: 'none' } : o, tf),
  };
  return fixedKernel(kernel, 'training');
}

describe('training trajectory: a kernel wrong only from its second call', () => {
  // float32 only: in bfloat16 this kernel passes, the trajectory being judged at 32 u (12.5%) of
  // another bf16 implementation's run (docs/oracle.md, the training step).
  it(
    'can fail: against the baseline implementation in float32, at the loss of step 2, ' + 'with step 1 passing',
    async () => {
      const c: TrainingCase = { ...base, model: { ...base.model, layers: 1 }, steps: 2 };
      const v = (await checkCase(c, wrongFromSecondCall())).verdict;
      expect(v).toMatchObject({
        status: 'mismatch',
        failing: { group: expect.stringMatching(/ vs \w+, steps 1\.\.2$/) },
      });
      const tensors = 'tensors' in v ? v.tensors : [];
      expect(tensors.filter((t) => t.group?.endsWith('step 1') && t.status !== 'pass')).toEqual([]);
      expect(tensors.find((t) => t.tensor === 'loss step=2')?.status).toBe('mismatch');
    },
  );
});

describe.each(['bfloat16', 'float16'] as const)(
  'training step in %s: against the float64 reference and the same-precision baseline',
  (precision) => {
    it('any training case: every implementation matches, tensor by tensor', async () =>
      holds(trainingCase({ precisions: [precision] }), everyImplementationMatches, 8));

    // One layer, adapters on q and k, one step: the faults reach dA/dB of those adapters first.
    const qk: TrainingCase = {
      ...base,
      model: { ...base.model, layers: 1 },
      lora: { ...base.lora, targets: ['q', 'k'] },
      steps: 1,
      precision,
    };
    it.each([
      ['a halved dk', lowprecHalvedDk, 'k'],
      ['a detached q', lowprecDetachedQ, 'q'],
    ] as const)(
      'can fail: catches attention with %s only in low precision, at the gradient of that adapter, step 1 vs float64',
      async (_, kernel, site) => {
        const v = (await failsFor(qk, matchesReference(kernel))).check!.verdict;
        expect(v).toMatchObject({
          status: 'mismatch',
          failing: {
            tensor: expect.stringMatching(new RegExp(`^d[AB] layers\\.0\\.${site}$`)),
            group: expect.stringMatching(/vs float64 reference, step 1$/),
          },
        });
        await holdsFor({ ...qk, precision: undefined }, matchesReference(kernel));
      },
    );
  },
);
