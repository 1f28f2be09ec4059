/**
 * Convergence: on a tiny memorisation task (two fixed sequences, LoRA on every projection, AdamW)
 * every attention implementation lowers the training loss to at most half its initial value
 * within a fixed number of steps, and they all follow the same loss curve.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/backend/index.js';
import { materialise, type TrainingCase } from '../src/training/index.js';
import { trainTf } from '../kernels/model/index.js';

const STEPS = 30;

const memorise: TrainingCase = {
  version: 1,
  kind: 'training',
  model: { vocab: 11, dModel: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 16 },
  batch: { layout: 'right-padded', lengths: [8, 6] },
  lora: { targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], rank: 4, alpha: 8, rslora: false, dropout: 0, initB: 'zero' },
  adamw: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 },
  steps: STEPS,
  seed: 11,
};

function lossCurve(c: TrainingCase, impl: 'eager' | 'sdpa' | 'flash'): number[] {
  const m = materialise(c);
  return trainTf(tf, m.spec, m.init, m.batch, impl).steps.map((s) => s.loss);
}

describe('training step: convergence on a memorisation task', () => {
  const curves = new Map<string, number[]>();
  for (const impl of ['eager', 'sdpa', 'flash'] as const) {
    for (const layout of ['right-padded', 'unpadded'] as const) {
      it(`${impl} halves the loss within ${STEPS} AdamW steps (${layout})`, () => {
        const c: TrainingCase = { ...memorise, batch: layout === 'unpadded' ? { layout, lengths: [8, 8] } : memorise.batch };
        const curve = lossCurve(c, impl);
        curves.set(`${impl}/${layout}`, curve);
        expect(curve[STEPS - 1]!, curve.map((l) => l.toFixed(3)).join(' ')).toBeLessThanOrEqual(curve[0]! / 2);
      });
    }
  }

  it('eager, sdpa and flash follow the same loss curve', () => {
    for (const layout of ['right-padded', 'unpadded']) {
      const eager = curves.get(`eager/${layout}`)!;
      for (const impl of ['sdpa', 'flash']) curves.get(`${impl}/${layout}`)!.forEach((l, t) => expect(Math.abs(l - eager[t]!), `${impl} ${layout} step ${t + 1}`).toBeLessThan(1e-3));
    }
  });

  it('can fail: without learning (lr = 0) the loss does not halve', () => {
    const curve = lossCurve({ ...memorise, adamw: { ...memorise.adamw, lr: 0 }, steps: 3 }, 'sdpa');
    expect(curve[2]!).toBeGreaterThan(curve[0]! / 2);
  });
});
