/**
 * The sizes and settings of the tiny Llama-style decoder used by the training-step suites
 * (Touvron et al. 2023: pre-norm RMSNorm, rotary position embeddings, SwiGLU MLP, untied LM head),
 * and of its LoRA adapters (Hu et al. 2021) and AdamW optimiser (Loshchilov & Hutter 2019).
 *
 * Everything here is plain JSON, so a training case carries it verbatim.
 */

/** The projections a LoRA adapter can sit on, in the order the model applies them. */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface ModelConfig {
  readonly vocab: number;
  readonly dModel: number;
  readonly layers: number;
  /** Query heads Hq; the head dim is dModel / heads and must be even (rotary pairs). */
  readonly heads: number;
  /** Key/value heads Hkv; heads % kvHeads == 0 (GQA when smaller). */
  readonly kvHeads: number;
  /** Hidden size of the SwiGLU MLP. */
  readonly ffn: number;
}

export interface LoraConfig {
  readonly targets: readonly LoraTarget[];
  readonly rank: number;
  readonly alpha: number;
  /** true: scaling alpha / sqrt(r) (rsLoRA); false: alpha / r. */
  readonly rslora: boolean;
  /** Dropout probability on the adapter input; the mask comes from the contract's counter hash. */
  readonly dropout: number;
  /** 'zero' as in PEFT (B = 0: the model starts equal to the base); 'random' makes dA non-zero at step 1. */
  readonly initB: 'zero' | 'random';
}

/** PyTorch's torch.optim.AdamW hyper-parameters (decoupled weight decay). */
export interface AdamWConfig {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** Constants of the architecture that no case varies. */
export const ROPE_THETA = 10000;
export const RMS_EPS = 1e-6;

export function headDim(config: ModelConfig): number {
  return config.dModel / config.heads;
}

/** Output and input width of each projection, as W0 [out, in] is stored. */
export function projectionShape(config: ModelConfig, target: LoraTarget): [number, number] {
  const Dh = headDim(config);
  const d = config.dModel;
  switch (target) {
    case 'q':
      return [config.heads * Dh, d];
    case 'k':
    case 'v':
      return [config.kvHeads * Dh, d];
    case 'o':
      return [d, config.heads * Dh];
    case 'gate':
    case 'up':
      return [config.ffn, d];
    case 'down':
      return [d, config.ffn];
  }
}
