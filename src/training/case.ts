/**
 * A training case: one JSON-serialisable description of a LoRA training run of the tiny decoder
 * (model/). Token ids and every weight are drawn from `seed`, never stored, so a case is a few
 * lines, diffable, and replays bit for bit.
 *
 *   {"version":1,"kind":"training","model":{"vocab":11,"dModel":8,"layers":1,"heads":2,"kvHeads":1,"ffn":8},
 *    "batch":{"layout":"unpadded","lengths":[2]},"lora":{"targets":["q"],"rank":1,"alpha":1,...},
 *    "adamw":{"lr":0.01,...},"steps":1,"seed":0}
 */
import seedrandom from 'seedrandom';
import { z } from 'zod';
import { CASE_VERSION, intAtLeast, parseWith } from '../case/index.js';
import { PRECISIONS, type Precision } from '../contract/index.js';
import {
  type AdamWConfig,
  BATCH_LAYOUTS,
  type Batch,
  type BatchLayout,
  buildBatch,
  headDim,
  initParams,
  LORA_TARGETS,
  type LoraConfig,
  type ModelConfig,
  type ModelParams,
  type TrainingSpec,
} from './model/index.js';

export const TRAINING_CASE_VERSION = CASE_VERSION;

export interface TrainingCase {
  readonly version: typeof TRAINING_CASE_VERSION;
  readonly kind: 'training';
  readonly model: ModelConfig;
  /** Sequence lengths; 'unpadded' needs equal lengths, 'packed' joins them into one row. */
  readonly batch: { readonly layout: BatchLayout; readonly lengths: readonly number[] };
  readonly lora: LoraConfig;
  readonly adamw: AdamWConfig;
  /** Optimiser steps T. */
  readonly steps: number;
  readonly seed: number;
  /** The precision attention and the LoRA layers emulate (the rest of the model is float32); absent = 'float32'. */
  readonly precision?: Precision;
  /** Attention dropout probability (unpadded or right-padded batches only); absent = 0. */
  readonly attentionDropout?: number;
}

const positive = intAtLeast(1);
const nonNegative = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .finite()
    .min(0);

export const trainingCaseSchema = z
  .strictObject({
    version: z.literal(TRAINING_CASE_VERSION, {
      error: (iss) => `unsupported case version ${JSON.stringify(iss.input)}, expected ${TRAINING_CASE_VERSION}`,
    }),
    kind: z.literal('training'),
    model: z.strictObject({
      vocab: positive,
      dModel: positive,
      layers: positive,
      heads: positive,
      kvHeads: positive,
      ffn: positive,
    }),
    batch: z.strictObject({ layout: z.enum(BATCH_LAYOUTS), lengths: z.array(positive).min(1) }),
    lora: z.strictObject({
      targets: z.array(z.enum(LORA_TARGETS)).min(1),
      rank: positive,
      alpha: z.number().positive(),
      rslora: z.boolean(),
      dropout: z.number().min(0).lt(1),
      initB: z.enum(['zero', 'random']),
    }),
    adamw: z.strictObject({
      lr: nonNegative('lr'),
      beta1: nonNegative('beta1'),
      beta2: nonNegative('beta2'),
      eps: nonNegative('eps'),
      weightDecay: nonNegative('weightDecay'),
    }),
    steps: positive,
    seed: z.int(),
    precision: z.enum(PRECISIONS).optional(),
    attentionDropout: z.number().min(0).lt(1).optional(),
  })
  .superRefine((c, ctx) => {
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const m = c.model;
    if (m.dModel % m.heads !== 0)
      fail(['model', 'dModel'], `must be a multiple of heads (${m.heads}), got ${m.dModel}`);
    else if (headDim(m) % 2 !== 0)
      fail(['model', 'heads'], `head dim dModel/heads must be even for rotary pairs, got ${headDim(m)}`);
    if (m.heads % m.kvHeads !== 0) fail(['model', 'kvHeads'], `must divide heads (${m.heads}), got ${m.kvHeads}`);
    if (c.batch.layout === 'unpadded' && new Set(c.batch.lengths).size > 1)
      fail(['batch', 'lengths'], `must be equal for layout 'unpadded', got ${JSON.stringify(c.batch.lengths)}`);
    // Packed documents and left padding put a token at different (row, position) coordinates in
    // the padded batch and in a varlen one, so implementations cannot agree on which weights drop.
    if ((c.attentionDropout ?? 0) > 0 && c.batch.layout !== 'unpadded' && c.batch.layout !== 'right-padded') {
      fail(
        ['attentionDropout'],
        `needs layout 'unpadded' or 'right-padded' (the dropout hash is indexed by row and position), got ` +
          `layout '${c.batch.layout}'`,
      );
    }
  });

/** Validates a training case; errors as `where.path: rule, got ...`. */
export function parseTrainingCase(value: unknown, where = 'case'): TrainingCase {
  return parseWith(trainingCaseSchema, value, where) as TrainingCase;
}

/** What a case stands for, ready to run. */
export interface MaterialisedTraining {
  readonly spec: TrainingSpec;
  readonly init: ModelParams;
  readonly sequences: number[][];
  readonly batch: Batch;
}

/** Token ids 1..vocab-1 (0 is the pad id) drawn from the seed, one array per sequence. */
export function caseSequences(c: Pick<TrainingCase, 'model' | 'batch' | 'seed'>): number[][] {
  const rng = seedrandom(`attnfuzz-tokens-${c.seed}`);
  return c.batch.lengths.map((len) => Array.from({ length: len }, () => 1 + Math.floor(rng() * (c.model.vocab - 1))));
}

export function materialiseTraining(c: TrainingCase, layout: BatchLayout = c.batch.layout): MaterialisedTraining {
  const spec: TrainingSpec = {
    config: c.model,
    lora: c.lora,
    adamw: c.adamw,
    steps: c.steps,
    seed: c.seed,
    precision: c.precision ?? 'float32',
    attentionDropout: c.attentionDropout ?? 0,
  };
  const sequences = caseSequences(c);
  return { spec, init: initParams(c.model, c.lora, c.seed), sequences, batch: buildBatch(sequences, layout) };
}
