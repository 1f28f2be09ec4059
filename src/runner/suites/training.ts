/**
 * The training suite's stages: a LoRA training run of the tiny decoder (src/training) with the
 * kernel under test as its attention, judged tensor by tensor by name: step 1 against the float64
 * model, the trajectory (A/B after every step, the loss at every step) against the same run with a
 * baseline attention (eager; sdpa for eager itself). The adapters are the built-in unmerged LoRA.
 */
import { tf } from '../../backend/index.js';
import { type HostTensor, isHostKernel } from '../../contract/index.js';
import {
  type AttentionImplementation,
  KernelDeclined,
  type MaterialisedTraining,
  materialiseTraining,
  parseTrainingCase,
  runTraining,
  type TrainingCase,
  type TrainingCaseConstraints,
  type TrainingExpectation,
  type TrainingRun,
  trainingCase,
  trainingCaseSchema,
  trainingReference,
  trainingSpecs,
  trainingTensors,
} from '../../training/index.js';
import type { KernelUnderTest } from '../kernelUnderTest.js';
import { BUILTINS } from '../registry.js';
import { messageOf, parsedOnly, type Simplification, type Suite } from '../suite.js';

function train(m: MaterialisedTraining, attention: AttentionImplementation): TrainingRun {
  return runTraining(tf, m, { attention, lora: BUILTINS.lora.lora! });
}

function baselineFor(k: KernelUnderTest): AttentionImplementation {
  const name = 'builtin' in k.ref && k.ref.builtin === 'eager' ? 'sdpa' : 'eager';
  return { name, attention: BUILTINS[name].training! };
}

export function trainingNeighbours(c: TrainingCase): Simplification<TrainingCase>[] {
  const out: Simplification<TrainingCase>[] = [];
  const add = (step: string, n: TrainingCase) => out.push({ step, case: n });
  const lengths = c.batch.lengths;
  if (c.steps > 1) add('one step', { ...c, steps: 1 });
  if (c.model.layers > 1) add('one layer', { ...c, model: { ...c.model, layers: 1 } });
  if (lengths.length > 1)
    for (let n = 0; n < lengths.length; n++)
      add(`keep sequence ${n}`, { ...c, batch: { ...c.batch, lengths: [lengths[n]!] } });
  if (c.batch.layout !== 'unpadded')
    add('unpadded', { ...c, batch: { layout: 'unpadded', lengths: lengths.map(() => Math.min(...lengths)) } });
  if (Math.max(...lengths) > 2)
    add('shorter sequences', { ...c, batch: { ...c.batch, lengths: lengths.map((l) => Math.max(2, l - 1)) } });
  if (c.lora.targets.length > 1)
    for (const t of c.lora.targets) add(`LoRA on ${t} only`, { ...c, lora: { ...c.lora, targets: [t] } });
  if (c.lora.dropout > 0) add('no LoRA dropout', { ...c, lora: { ...c.lora, dropout: 0 } });
  if ((c.attentionDropout ?? 0) > 0) add('no attention dropout', { ...c, attentionDropout: undefined });
  if ((c.precision ?? 'float32') !== 'float32') add('float32', { ...c, precision: undefined });
  if (c.lora.rank > 1) add('rank 1', { ...c, lora: { ...c.lora, rank: 1 } });
  if (c.model.kvHeads < c.model.heads) add('no GQA', { ...c, model: { ...c.model, kvHeads: c.model.heads } });
  return parsedOnly(out, parseTrainingCase);
}

function admits(k: TrainingCaseConstraints | undefined, c: TrainingCase): boolean {
  const {
    layouts,
    maxLength = 8,
    maxSequences = 3,
    maxSteps = 3,
    maxLayers = 2,
    dropouts = [0, 0.1],
    attentionDropouts = [0, 0.1],
    precisions,
  } = k ?? {};
  return (
    attentionDropouts.includes(c.attentionDropout ?? 0) &&
    (precisions === undefined || precisions.includes(c.precision ?? 'float32')) &&
    (layouts === undefined || layouts.includes(c.batch.layout)) &&
    c.batch.lengths.length <= maxSequences &&
    c.batch.lengths.every((l) => l <= maxLength) &&
    c.steps <= maxSteps &&
    c.model.layers <= maxLayers &&
    dropouts.includes(c.lora.dropout)
  );
}

export const trainingSuite: Suite<TrainingCase, MaterialisedTraining, TrainingExpectation, TrainingCaseConstraints> = {
  kind: 'training',
  schema: trainingCaseSchema,
  parse: parseTrainingCase,
  arbitrary: (constraints) => trainingCase(constraints),
  admits,
  materialise: (c) => materialiseTraining(c),
  reference: (_c, m) => trainingReference(m),
  async run(k, _c, m) {
    if (!k.training) {
      const host = k.attention !== undefined && isHostKernel(k.attention());
      const why = host
        ? 'a host kernel runs outside tfjs, and the training suite differentiates the whole model with tfjs'
        : `${k.label} is not an attention implementation`;
      return { status: 'unsupported', reason: why };
    }
    try {
      return { status: 'ok', tensors: trainingTensors(train(m, k.training)) };
    } catch (e) {
      // A kernel that declines one of the model's calls (supports) declines the case; any other throw fails it.
      if (e instanceof KernelDeclined) return { status: 'unsupported', reason: e.reason };
      return { status: 'threw', phase: 'forward', message: messageOf(e) };
    }
  },
  specs(k, _c, m, reference) {
    let base: TrainingRun | null = null;
    try {
      base = train(m, baselineFor(k));
    } catch {
      // A failing baseline leaves out the trajectory section; step 1 is still judged against float64.
    }
    return trainingSpecs(m, k.label, reference, base);
  },
  neighbours: trainingNeighbours,
  size: (c) =>
    c.steps +
    c.model.layers +
    c.batch.lengths.reduce((a, b) => a + b, 0) +
    c.lora.targets.length +
    c.lora.rank +
    c.model.heads,
  inputs: (): ReadonlyArray<readonly [string, HostTensor]> => [],
};
