/**
 * The worked example: attnfuzz's training check flags the #721 dispatch, shrinks it to one short
 * unpadded sequence in a one-layer model, and stays quiet on a correct kernel and on padded batches
 * (which is why the real bug hid).
 */
import { describe, expect, it } from 'vitest';
import { sdpaKernel } from '../../kernels/index.js';
import { checkTraining, runTrainingCheckCase, type TrainingCase } from '../../src/training/index.js';
import forgotIsCausal from './kernel.js';

const SMALL: TrainingCase = {
  version: 1,
  kind: 'training',
  model: { vocab: 11, dModel: 8, layers: 1, heads: 2, kvHeads: 1, ffn: 8 },
  batch: { layout: 'unpadded', lengths: [4] },
  lora: { targets: ['q', 'v'], rank: 2, alpha: 4, rslora: false, dropout: 0, initB: 'random' },
  adamw: { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-4, weightDecay: 0 },
  steps: 2,
  seed: 3,
};

describe('examples/forgot-is-causal', () => {
  it('attnfuzz check --suite training flags it and shrinks it to a small unpadded case', async () => {
    const r = await checkTraining({ kernel: forgotIsCausal, seed: 1, runs: 50, time: 60 });
    expect(r.status).toBe('fail');
    if (r.status !== 'fail') return;
    expect(r.case.batch.layout).toBe('unpadded');
    expect(r.case.batch.lengths).toEqual([2]); // batch 1, the shortest sequence that has a future
    expect(r.case.model.layers).toBe(1);
    expect(r.report.firstFailure?.label).toBe('logits');
    expect(r.lines).toContain(r.lines.find((l) => /^logits FAIL maxAbs=\S+ allowed=\S+ @\[0,0,\d+\]$/.test(l)));
    expect(r.lines.at(-1)).toMatch(/^replay: npx attnfuzz check --suite training --kernel \S+ --seed 1/);
  });

  it('is fine when the batch really has padding (or packed documents): the model then passes an explicit causal mask', () => {
    for (const [layout, lengths] of [['right-padded', [5, 2]], ['left-padded', [2, 5, 3]], ['packed', [3, 4]]] as const) {
      const c: TrainingCase = { ...SMALL, batch: { layout, lengths } };
      expect(runTrainingCheckCase(c, forgotIsCausal).ok, layout).toBe(true);
    }
    // ...but a "padded" batch whose rows are all full has an all-ones mask, which is dropped: the bug shows.
    expect(runTrainingCheckCase({ ...SMALL, batch: { layout: 'right-padded', lengths: [4, 4] } }, forgotIsCausal).ok).toBe(false);
  });

  it('a correct kernel stays quiet', async () => {
    const r = await checkTraining({ kernel: sdpaKernel, seed: 1, runs: 10, time: 60 });
    expect(r.status, r.lines.join('\n')).toBe('pass');
  });
});
