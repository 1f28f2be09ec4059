/**
 * fast-check arbitraries of training cases, biased to where the founding bug lived and shrinking
 * toward the case a person reads at a glance: layout 'unpadded' (first: fast-check shrinks
 * constantFrom toward its first value), batch of one sequence, short sequences, one layer, one
 * head, LoRA on q only, rank 1, one step, no dropout.
 */
import fc from 'fast-check';
import { PRECISIONS, type Precision } from '../contract/index.js';
import { TRAINING_CASE_VERSION, type TrainingCase } from './case.js';
import { BATCH_LAYOUTS, type BatchLayout, LORA_TARGETS, type LoraTarget, type ModelConfig } from './model/index.js';

export interface TrainingCaseConstraints {
  /** Layouts to draw from, in shrink order; default all four, 'unpadded' first. */
  readonly layouts?: readonly BatchLayout[];
  /** Longest sequence (default 8) and most sequences (default 3). */
  readonly maxLength?: number;
  readonly maxSequences?: number;
  /** Most optimiser steps (default 3). */
  readonly maxSteps?: number;
  /** Most layers (default 2). */
  readonly maxLayers?: number;
  /** LoRA dropout probabilities to draw from (default [0, 0.1]). */
  readonly dropouts?: readonly number[];
  /** Attention dropout probabilities (default [0, 0.1]; drawn with unpadded and right-padded batches only). */
  readonly attentionDropouts?: readonly number[];
  /** Precisions of attention and the LoRA layers (default all, shrinking toward float32). */
  readonly precisions?: readonly Precision[];
}

/** dModel, heads and kvHeads with an even head dim and Hq % Hkv == 0. */
const attentionShape = fc.constantFrom(
  { dModel: 8, heads: 1, kvHeads: 1 },
  { dModel: 8, heads: 2, kvHeads: 2 },
  { dModel: 8, heads: 2, kvHeads: 1 },
  { dModel: 8, heads: 4, kvHeads: 2 },
  { dModel: 16, heads: 4, kvHeads: 4 },
  { dModel: 16, heads: 4, kvHeads: 1 },
);

export function trainingCase(constraints: TrainingCaseConstraints = {}): fc.Arbitrary<TrainingCase> {
  const {
    layouts = BATCH_LAYOUTS,
    maxLength = 8,
    maxSequences = 3,
    maxSteps = 3,
    maxLayers = 2,
    dropouts = [0, 0.1],
    attentionDropouts = [0, 0.1],
    precisions = PRECISIONS,
  } = constraints;
  const model: fc.Arbitrary<ModelConfig> = fc
    .record({
      shape: attentionShape,
      layers: fc.integer({ min: 1, max: maxLayers }),
      ffn: fc.constantFrom(8, 12, 16),
      vocab: fc.constantFrom(11, 7, 13),
    })
    .map(({ shape, layers, ffn, vocab }) => ({ vocab, ...shape, layers, ffn }));
  const lengths = fc.array(fc.integer({ min: 2, max: maxLength }), { minLength: 1, maxLength: maxSequences });
  const batch = fc.record({ layout: fc.constantFrom(...layouts), lengths }).map(({ layout, lengths }) => {
    if (layout === 'unpadded') return { layout, lengths: lengths.map(() => lengths[0]!) };
    if (layout === 'packed') {
      // One row of at most maxLength tokens: keep whole sequences while they fit.
      const kept: number[] = [];
      for (const l of lengths) if (kept.reduce((a, b) => a + b, 0) + l <= maxLength) kept.push(l);
      return { layout, lengths: kept.length ? kept : [Math.min(lengths[0]!, maxLength)] };
    }
    return { layout, lengths };
  });
  const targets = fc.subarray([...LORA_TARGETS] as LoraTarget[], { minLength: 1 });
  const lora = fc.record({
    targets,
    rank: fc.integer({ min: 1, max: 4 }),
    alpha: fc.constantFrom(1, 2, 8, 16),
    rslora: fc.boolean(),
    dropout: fc.constantFrom(...dropouts),
    initB: fc.constantFrom('zero' as const, 'random' as const),
  });
  const adamw = fc.record({
    lr: fc.constantFrom(1e-2, 1e-3),
    beta1: fc.constant(0.9),
    beta2: fc.constant(0.999),
    eps: fc.constantFrom(1e-4, 1e-3),
    weightDecay: fc.constantFrom(0, 0.01),
  });
  return fc
    .record({
      precision: fc.constantFrom(...PRECISIONS.filter((p) => precisions.includes(p))),
      attentionDropout: fc.constantFrom(...attentionDropouts),
      model,
      batch,
      lora,
      adamw,
      steps: fc.integer({ min: 1, max: maxSteps }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map(({ precision, attentionDropout, ...r }): TrainingCase => {
      const p = r.batch.layout === 'unpadded' || r.batch.layout === 'right-padded' ? attentionDropout : 0;
      return {
        version: TRAINING_CASE_VERSION,
        kind: 'training',
        ...r,
        ...(precision !== 'float32' ? { precision } : {}),
        ...(p > 0 ? { attentionDropout: p } : {}),
      };
    });
}
