/**
 * The tiny Llama-style decoder in tfjs float32, the model under test. Same maths and names as the
 * float64 reference (reference/model.ts); attention goes through the dispatch layer (dispatch.ts),
 * the only part that differs between 'eager', 'sdpa', 'flash' and a user kernel; the LoRA linear
 * layers are a LoraKernel too (the built-in unmerged one, or a user's).
 *
 *   h = embed[ids]                                                        [B·S, d]
 *   per layer: h += lora_o(attn(rope(lora_q(x)), rope(lora_k(x)), lora_v(x)))   x = RMSNorm(h)
 *              h += lora_down(silu(lora_gate(x)) ∘ lora_up(x))                  x = RMSNorm(h)
 *   logits = RMSNorm(h) · lm_headᵀ                                        [B, S, V]
 *   loss   = mean over labelled tokens of cross-entropy (labels -100 ignored)
 *
 * Frozen weights enter as constants; only the LoRA A and B tensors passed in `trainable` receive
 * gradients (the caller differentiates with respect to them alone).
 */
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { LoraSpec, Precision, TF } from '../../contract/index.js';
import { type Batch, IGNORE_INDEX, labelCount } from './batch.js';
import { headDim, type LoraConfig, type LoraTarget, type ModelConfig, RMS_EPS } from './config.js';
import { attentionFunction, type ModelKernels } from './dispatch.js';
import { maskInputs } from './masks.js';
import { attentionDropoutSeed, loraDropoutSeed, siteName } from './params.js';
import { ropeTables } from './rope.js';

export interface ModelSpec {
  readonly config: ModelConfig;
  readonly lora: LoraConfig;
  /** Seeds the LoRA and attention dropout masks. */
  readonly seed: number;
  /** The precision attention and the LoRA layers emulate; absent = 'float32'. */
  readonly precision?: Precision;
  /** Attention dropout probability; absent = 0. */
  readonly attentionDropout?: number;
}

export interface ModelOutput {
  /** [B, S, V] */
  readonly logits: Tensor;
  /** scalar */
  readonly loss: Tensor;
}

function rmsnorm(tf: TF, x: Tensor, g: Tensor): Tensor {
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), RMS_EPS));
  return tf.mul(tf.mul(x, r), g);
}

/** rope(x) = x ∘ cos + rotate_half(x) ∘ sin on [B, H, S, Dh]; cos, sin [B, 1, S, Dh]. */
function rope(tf: TF, x: Tensor4D, cos: Tensor, sin: Tensor): Tensor4D {
  const [B, H, S, Dh] = x.shape;
  const half = Dh / 2;
  const x1 = tf.slice(x, [0, 0, 0, 0], [B, H, S, half]);
  const x2 = tf.slice(x, [0, 0, 0, half], [B, H, S, half]);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as Tensor4D;
}

/** The cross-entropy target: 1/count at each labelled token's label, so loss = -Σ target ∘ log_softmax. */
function lossTarget(tf: TF, batch: Batch, V: number): Tensor {
  const count = Math.max(labelCount(batch), 1);
  const t = new Float32Array(batch.labels.length * V);
  batch.labels.forEach((l, n) => {
    if (l !== IGNORE_INDEX) t[n * V + l] = 1 / count;
  });
  return tf.tensor2d(t, [batch.labels.length, V]);
}

/**
 * One forward pass at optimiser step `step` (which seeds the LoRA dropout). `frozen` and
 * `trainable` hold the parameters by the names of params.ts.
 */
export function modelForward(
  tf: TF,
  spec: ModelSpec,
  frozen: ReadonlyMap<string, Tensor>,
  trainable: ReadonlyMap<string, Tensor>,
  batch: Batch,
  kernels: ModelKernels,
  step: number,
): ModelOutput {
  const { config, lora } = spec;
  const { B, S } = batch;
  const N = B * S;
  const Dh = headDim(config);
  const W = (name: string) => frozen.get(name)!;
  const rt = ropeTables(batch.positionIds, Dh);
  const cos = tf.tensor4d(Float32Array.from(rt.cos), [B, 1, S, Dh]);
  const sin = tf.tensor4d(Float32Array.from(rt.sin), [B, 1, S, Dh]);
  const attend = attentionFunction(kernels.attention);
  const precision = spec.precision ?? 'float32';
  const pAttn = spec.attentionDropout ?? 0;
  const call = (layer: number) => ({
    scaling: 1 / Math.sqrt(Dh),
    isCausal: true,
    masks: maskInputs(batch),
    dropout: pAttn > 0 ? { p: pAttn, seed: attentionDropoutSeed(spec.seed, step, layer) } : null,
    precision,
  });

  const proj = (x: Tensor, layer: number, target: LoraTarget): Tensor => {
    const site = siteName(layer, target);
    const A = trainable.get(`${site}.A`);
    if (!A) return tf.matMul(x, W(`${site}.W`), false, true);
    const loraSpec: LoraSpec = {
      rank: lora.rank,
      alpha: lora.alpha,
      rslora: lora.rslora,
      dropout: lora.dropout > 0 ? { p: lora.dropout, seed: loraDropoutSeed(spec.seed, step, layer, target) } : null,
      precision,
    };
    return kernels.lora.forward(
      x as Tensor2D,
      W(`${site}.W`) as Tensor2D,
      A as Tensor2D,
      trainable.get(`${site}.B`)! as Tensor2D,
      loraSpec,
      tf,
    );
  };
  const heads = (x: Tensor, H: number) => tf.transpose(tf.reshape(x, [B, S, H, Dh]), [0, 2, 1, 3]) as Tensor4D;

  let h: Tensor = tf.gather(W('embed'), tf.tensor1d(batch.inputIds, 'int32'));
  for (let l = 0; l < config.layers; l++) {
    const x = rmsnorm(tf, h, W(`layers.${l}.attn_norm`));
    const q = rope(tf, heads(proj(x, l, 'q'), config.heads), cos, sin);
    const k = rope(tf, heads(proj(x, l, 'k'), config.kvHeads), cos, sin);
    const v = heads(proj(x, l, 'v'), config.kvHeads);
    const a = attend(tf, q, k, v, call(l)); // [B, S, Hq, Dh]
    h = tf.add(h, proj(tf.reshape(a, [N, config.heads * Dh]), l, 'o'));
    const x2 = rmsnorm(tf, h, W(`layers.${l}.mlp_norm`));
    h = tf.add(
      h,
      proj(tf.mul(tf.mul(proj(x2, l, 'gate'), tf.sigmoid(proj(x2, l, 'gate'))), proj(x2, l, 'up')), l, 'down'),
    );
  }
  const logits2d = tf.matMul(rmsnorm(tf, h, W('norm')), W('lm_head'), false, true);
  const loss = tf.neg(tf.sum(tf.mul(lossTarget(tf, batch, config.vocab), tf.logSoftmax(logits2d, -1))));
  return { logits: tf.reshape(logits2d, [B, S, config.vocab]), loss };
}
