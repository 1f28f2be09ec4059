/**
 * A training case: one JSON-serialisable description of a LoRA training run of the tiny decoder
 * (kernels/model). Token ids and every weight are drawn from `seed`, never stored, so a case is a
 * few lines, diffable, and replays bit for bit.
 *
 *   {"version":1,"kind":"training","model":{"vocab":11,"dModel":8,"layers":1,"heads":2,"kvHeads":1,"ffn":8},
 *    "batch":{"layout":"unpadded","lengths":[2]},"lora":{"targets":["q"],"rank":1,"alpha":1,...},
 *    "adamw":{"lr":0.01,...},"steps":1,"seed":0}
 */
import seedrandom from 'seedrandom';
import {
  BATCH_LAYOUTS,
  buildBatch,
  initParams,
  LORA_TARGETS,
  validateModelConfig,
  type AdamWConfig,
  type Batch,
  type BatchLayout,
  type LoraConfig,
  type ModelConfig,
  type ModelParams,
  type TrainingSpec,
} from '../../kernels/model/index.js';

export const TRAINING_CASE_VERSION = 1 as const;

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
}

/** What a case stands for, ready to run. */
export interface MaterialisedCase {
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

export function materialise(c: TrainingCase, layout: BatchLayout = c.batch.layout): MaterialisedCase {
  const spec: TrainingSpec = { config: c.model, lora: c.lora, adamw: c.adamw, steps: c.steps, seed: c.seed };
  const sequences = caseSequences(c);
  return { spec, init: initParams(c.model, c.lora, c.seed), sequences, batch: buildBatch(sequences, layout) };
}

function fail(where: string, rule: string, received: unknown): never {
  throw new Error(`${where}: ${rule}, received ${JSON.stringify(received)}`);
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const posInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 1;

/** Checks a parsed JSON value is a training case; errors name the field. */
export function validateTrainingCase(x: unknown, where = 'case'): TrainingCase {
  if (!isObj(x)) fail(where, 'must be an object', x);
  if (x.version !== TRAINING_CASE_VERSION) fail(`${where}.version`, `must be ${TRAINING_CASE_VERSION}`, x.version);
  if (x.kind !== 'training') fail(`${where}.kind`, "must be 'training'", x.kind);
  if (!isObj(x.model)) fail(`${where}.model`, 'must be an object', x.model);
  validateModelConfig(x.model as unknown as ModelConfig, `${where}.model`);
  const batch = x.batch;
  if (!isObj(batch)) fail(`${where}.batch`, 'must be an object', batch);
  if (!(BATCH_LAYOUTS as readonly unknown[]).includes(batch.layout)) fail(`${where}.batch.layout`, `must be one of ${BATCH_LAYOUTS.join(', ')}`, batch.layout);
  const lengths = batch.lengths;
  if (!Array.isArray(lengths) || lengths.length === 0 || !lengths.every(posInt)) fail(`${where}.batch.lengths`, 'must be a non-empty array of positive integers', lengths);
  if (batch.layout === 'unpadded' && new Set(lengths).size > 1) fail(`${where}.batch.lengths`, "must be equal for layout 'unpadded'", lengths);
  const lora = x.lora;
  if (!isObj(lora)) fail(`${where}.lora`, 'must be an object', lora);
  if (!Array.isArray(lora.targets) || lora.targets.length === 0 || !lora.targets.every((t) => (LORA_TARGETS as readonly unknown[]).includes(t))) {
    fail(`${where}.lora.targets`, `must be a non-empty subset of ${LORA_TARGETS.join(', ')}`, lora.targets);
  }
  if (!posInt(lora.rank)) fail(`${where}.lora.rank`, 'must be a positive integer', lora.rank);
  if (typeof lora.alpha !== 'number' || !(lora.alpha > 0)) fail(`${where}.lora.alpha`, 'must be a positive number', lora.alpha);
  if (typeof lora.rslora !== 'boolean') fail(`${where}.lora.rslora`, 'must be a boolean', lora.rslora);
  if (typeof lora.dropout !== 'number' || !(lora.dropout >= 0 && lora.dropout < 1)) fail(`${where}.lora.dropout`, 'must be in [0, 1)', lora.dropout);
  if (lora.initB !== 'zero' && lora.initB !== 'random') fail(`${where}.lora.initB`, "must be 'zero' or 'random'", lora.initB);
  const adamw = x.adamw;
  if (!isObj(adamw)) fail(`${where}.adamw`, 'must be an object', adamw);
  for (const key of ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'] as const) {
    const v = adamw[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${where}.adamw.${key}`, 'must be a finite number >= 0', v);
  }
  if (!posInt(x.steps)) fail(`${where}.steps`, 'must be a positive integer', x.steps);
  if (!Number.isInteger(x.seed)) fail(`${where}.seed`, 'must be an integer', x.seed);
  return x as unknown as TrainingCase;
}
