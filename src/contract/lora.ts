/**
 * The LoRA linear contract (Hu et al. 2021, eq. 3):
 *
 *   y = x·W0ᵀ + s · dropout(x)·Aᵀ·Bᵀ          merged form: W = W0 + s · B·A
 *
 *   x  [N, in]     W0 [out, in]     A [r, in]     B [out, r]     y [N, out]
 *   s = alpha / r (LoRA)  or  alpha / sqrt(r) (rsLoRA, Kalajdzievski 2023)
 *
 * Dropout acts on the adapter's input only: element (n, f) of x is kept iff
 * `dropoutKeep(seed, 0, 0, n, f, p)` and kept values are scaled by 1 / (1 - p).
 * W0 is frozen: gradients are reported for x, A and B.
 *
 * Precision 'bfloat16' / 'float16' is emulated as PEFT runs a bf16 model: the inputs arrive rounded;
 * the adapter's activation h = dropout(x)·Aᵀ and the output y are rounded to it (the merged form
 * rounds the stored weight W instead of h), and so are the gradients dx, dA, dB; every product and
 * sum is float32.
 */
import type { DropoutSpec, HostTensor, Precision } from './types.js';

export interface LoraSpec {
  readonly rank: number;
  readonly alpha: number;
  /** true: s = alpha / sqrt(r); false: s = alpha / r. */
  readonly rslora: boolean;
  readonly dropout: DropoutSpec | null;
  /** The precision emulated (see above); absent = 'float32'. */
  readonly precision?: Precision;
}

export interface LoraInputs {
  readonly x: HostTensor;
  readonly W0: HostTensor;
  readonly A: HostTensor;
  readonly B: HostTensor;
  /** Cotangent of y: gradients are those of sum(y ∘ dY). */
  readonly dY: HostTensor;
}

export interface LoraResult {
  readonly y: HostTensor;
  readonly dx: HostTensor;
  readonly dA: HostTensor;
  readonly dB: HostTensor;
}

export const LORA_TENSORS = ['y', 'dx', 'dA', 'dB'] as const;
export type LoraTensorName = (typeof LORA_TENSORS)[number];

/** The adapter scaling s. */
export function loraScaling(spec: Pick<LoraSpec, 'rank' | 'alpha' | 'rslora'>): number {
  return spec.rslora ? spec.alpha / Math.sqrt(spec.rank) : spec.alpha / spec.rank;
}
