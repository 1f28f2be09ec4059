/**
 * T training steps of the tfjs model (forward, backward with respect to the LoRA parameters only,
 * AdamW), and the float64 reference's first step, each recorded tensor by tensor by name so that
 * two runs can be compared the way llm.c's test_gpt2 compares a step with PyTorch's.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { HostTensor, TF } from '../../contract/index.js';
import { type AdamWTfState, adamwHostState, adamwStepHost, adamwStepTf } from './adamw.js';
import { type Batch, IGNORE_INDEX } from './batch.js';
import type { AdamWConfig } from './config.js';
import { implementationName, type ModelKernels } from './dispatch.js';
import { type ModelSpec, modelForward } from './model.js';
import { cloneParams, type ModelParams, type Params } from './params.js';
import { referenceStep } from './reference/model.js';

export interface TrainingSpec extends ModelSpec {
  readonly adamw: AdamWConfig;
  /** Optimiser steps T >= 1. */
  readonly steps: number;
}

/** What one step produced: the forward at the parameters before the step, then the parameters after it. */
export interface StepRecord {
  /** [B, S, V] */
  readonly logits: HostTensor;
  readonly loss: number;
  /** Gradients of the loss by trainable name (`layers.0.q.A`). */
  readonly grads: Params;
  /** Trainable parameters after this step's AdamW update. */
  readonly params: Params;
  /** The float64 reference only: the largest |gradient| anywhere in its backward. */
  readonly gradientTerms?: number;
  /**
   * The float64 reference only: per trainable parameter, the norm of the terms its gradient sums (reference/model.ts).
   */
  readonly termNorms?: ReadonlyMap<string, number>;
}

export interface TrainingRun {
  readonly implementation: string;
  readonly steps: readonly StepRecord[];
  /** Frozen parameters read back after the last step (must equal the initial ones bit for bit). */
  readonly frozenAfter: Params;
}

const upload = (tf: TF, t: HostTensor) => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32');
const download = (t: Tensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) });

/** A user kernel with `supports` (dispatch.ts asks it before each call, and may throw KernelDeclined). */
const asksSupports = (kernels: ModelKernels): boolean =>
  'forward' in kernels.attention && kernels.attention.supports !== undefined;

/** Runs `spec.steps` steps of the tfjs model with `kernels`; disposes every tensor it made. */
export function trainTf(
  tf: TF,
  spec: TrainingSpec,
  init: ModelParams,
  batch: Batch,
  kernels: ModelKernels,
): TrainingRun {
  const frozen = new Map<string, Tensor>();
  for (const [name, t] of init.frozen) frozen.set(name, upload(tf, t));
  const names = [...init.trainable.keys()];
  let params = names.map((n) => upload(tf, init.trainable.get(n)!));
  let states: AdamWTfState[] = params.map((p) => ({ m: tf.zerosLike(p), v: tf.zerosLike(p) }));
  const steps: StepRecord[] = [];
  try {
    if (asksSupports(kernels)) {
      // A kernel that may decline a call (KernelDeclined) is asked on a forward without the gradient
      // tape first: under the tape, the ops before the declined call have kept tensors for a backward
      // that never runs, and tfjs never frees them (about 50 a declined case).
      tf.tidy(() => {
        const trainable = new Map(names.map((n, i) => [n, params[i]!] as const));
        modelForward(tf, spec, frozen, trainable, batch, kernels, 1);
      });
    }
    for (let t = 1; t <= spec.steps; t++) {
      let logits: HostTensor | null = null;
      const { value, grads } = tf.tidy(() => {
        const f = (...xs: Tensor[]) => {
          const trainable = new Map(names.map((n, i) => [n, xs[i]!] as const));
          const out = modelForward(tf, spec, frozen, trainable, batch, kernels, t);
          logits = download(out.logits);
          return out.loss;
        };
        return tf.valueAndGrads(f)(params);
      });
      const loss = (value.dataSync() as Float32Array)[0]!;
      const next = params.map((p, i) => adamwStepTf(tf, p, grads[i]!, states[i]!, t, spec.adamw));
      steps.push({
        logits: logits!,
        loss,
        grads: new Map(names.map((n, i) => [n, download(grads[i]!)])),
        params: new Map(names.map((n, i) => [n, download(next[i]!.param)])),
      });
      tf.dispose([value, ...grads, ...params, ...states.flatMap((s) => [s.m, s.v])]);
      params = next.map((n) => n.param);
      states = next.map((n) => n.state);
    }
    return {
      implementation: implementationName(kernels.attention),
      steps,
      frozenAfter: new Map([...frozen].map(([n, t]) => [n, download(t)])),
    };
  } finally {
    tf.dispose([...frozen.values(), ...params, ...states.flatMap((s) => [s.m, s.v])]);
  }
}

/**
 * The float64 reference's first step: forward, gradients and the AdamW update; with `round`, the
 * same step rounded where the kernels round (the same-precision baseline).
 */
export function referenceFirstStep(
  spec: TrainingSpec,
  init: ModelParams,
  batch: Batch,
  round?: (x: number) => number,
): StepRecord {
  const r = referenceStep(spec.config, spec.lora, init, batch, spec.seed, 1, {
    attentionDropout: spec.attentionDropout ?? 0,
    ...(round ? { round } : {}),
  });
  const params = cloneParams(init.trainable);
  for (const [name, p] of params) adamwStepHost(p, r.grads.get(name)!, adamwHostState(p.data.length), 1, spec.adamw);
  return {
    logits: r.logits,
    loss: r.loss,
    grads: r.grads,
    params,
    gradientTerms: r.gradientTerms,
    termNorms: r.termNorms,
  };
}

/** Cross-entropy at each token [B, S] from logits [B, S, V] (0 where the label is ignored). */
export function perTokenLoss(logits: HostTensor, labels: Int32Array): Float64Array {
  const V = logits.shape[2]!;
  const out = new Float64Array(labels.length);
  labels.forEach((label, n) => {
    if (label === IGNORE_INDEX) return;
    const row = logits.data.subarray(n * V, n * V + V);
    const m = Math.max(...row);
    let z = 0;
    for (const x of row) z += Math.exp(x - m);
    out[n] = m + Math.log(z) - row[label]!;
  });
  return out;
}
