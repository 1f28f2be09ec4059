import { describe, expect, it } from 'vitest';
import { buildBatch } from '../batch.js';
import type { LoraConfig, ModelConfig } from '../config.js';
import { cloneParams, initParams } from '../params.js';
import { referenceStep } from './model.js';

const config: ModelConfig = { vocab: 7, dModel: 8, layers: 2, heads: 2, kvHeads: 1, ffn: 6 };
const lora: LoraConfig = {
  targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
  rank: 2,
  alpha: 3,
  rslora: true,
  dropout: 0.2,
  initB: 'random',
};

describe('float64 reference of the training step', () => {
  for (const layout of ['left-padded', 'packed'] as const) {
    it(`every LoRA gradient matches central finite differences (${layout})`, () => {
      const init = initParams(config, lora, 3);
      const batch = buildBatch(
        [
          [1, 2, 3, 4],
          [5, 6],
        ],
        layout,
      );
      const r = referenceStep(config, lora, init, batch, 3, 1);
      const h = 1e-6;
      for (const [name, g] of r.grads) {
        // Three elements per tensor keep this fast while touching every parameter kind.
        for (const n of [0, Math.floor(g.data.length / 2), g.data.length - 1]) {
          const lossAt = (delta: number) => {
            const p = { frozen: init.frozen, trainable: cloneParams(init.trainable) };
            (p.trainable.get(name)!.data as Float64Array)[n]! += delta;
            return referenceStep(config, lora, p, batch, 3, 1).loss;
          };
          const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
          expect(Math.abs(numeric - g.data[n]!), `${name}[${n}]`).toBeLessThan(1e-7 + 1e-6 * Math.abs(numeric));
        }
      }
    });
  }

  it('future tokens do not change the reference logits at earlier positions', () => {
    const init = initParams(config, lora, 4);
    const a = referenceStep(config, lora, init, buildBatch([[1, 2, 3, 4]], 'unpadded'), 4, 1).logits;
    const b = referenceStep(config, lora, init, buildBatch([[1, 2, 6, 5]], 'unpadded'), 4, 1).logits;
    const V = config.vocab;
    expect(a.data.slice(0, 2 * V)).toEqual(b.data.slice(0, 2 * V));
    expect(a.data.slice(2 * V)).not.toEqual(b.data.slice(2 * V));
  });
});
