/**
 * The attention contract: the one meaning every kernel, the float64 reference and the golden
 * files agree on. Shapes are always row-major and named in this order:
 *
 *   q   [B, Hq,  Sq, D ]        out [B, Hq, Sq, Dv]
 *   k   [B, Hkv, Sk, D ]        Hq % Hkv == 0
 *   v   [B, Hkv, Sk, Dv]        query head h reads kv head floor(h / (Hq / Hkv))   (repeat_interleave)
 *
 * Which keys a query sees is the AND of every restriction below (see `visibility.ts`):
 *
 *   causal 'top-left' (PyTorch SDPA is_causal)      causal 'bottom-right' (flash-attn >= 2.1)
 *   Sq = 2, Sk = 4: j <= i                           Sq = 2, Sk = 4: j <= i + Sk - Sq
 *        k0 k1 k2 k3                                      k0 k1 k2 k3
 *   q0   x  .  .  .                                  q0   x  x  x  .
 *   q1   x  x  .  .                                  q1   x  x  x  x
 *
 *   window [left, right], inclusive, around the bottom-right diagonal d = i + Sk - Sq
 *   (-1 = unbounded on that side): key j visible iff d - left <= j <= d + right.
 *   window [1, 0], Sq = Sk = 4:
 *        k0 k1 k2 k3
 *   q0   x  .  .  .
 *   q1   x  x  .  .
 *   q2   .  x  x  .
 *   q3   .  .  x  x
 *
 *   keyLengths[b] = 2, Sk = 4:   paddingSide 'right': k0 k1 valid    'left': k2 k3 valid
 *   mask: boolean [B|1, Hq|1, Sq, Sk], true = may attend (broadcast over size-1 dims).
 *
 * Scores, in this order (flash-attn's reference order; see scoreTerms.ts):
 *
 *   s_ij = scale · q_i·k_j                      the raw logit
 *   s_ij = c · tanh(s_ij / c)                   softcap c (null: none)
 *   visibility                                  causal, window, keyLengths, mask (above): invisible -> -inf
 *   s_ij += -slope_bh · |i + Sk - Sq - j|       ALiBi, slopes [Hq] or [B, Hq]
 *   s_ij += bias[b|0, h|0, i, j]                float bias [B|1, Hq|1, Sq, Sk], not scaled
 *   p_ij = e^{s_ij} / (Σ_j e^{s_ij} + e^{sink_h})  the sink (one logit per query head) joins only the denominator
 *   lse_i = log(Σ_j e^{s_ij} + e^{sink_h})      base e, -inf for a row with no visible key
 *   dropout, then out_i = Σ_j p_ij v_j
 *
 * A query row with no visible key has output 0 and contributes zero gradients: never NaN (a sink
 * does not change that: its lse is -inf too).
 * Dropout keeps element (b, h, i, j) iff `dropoutKeep(seed, b, h, i, j, p)` (see `dropout.ts`;
 * a kernel receives the same pattern as the boolean tensor `opts.dropout.keep`), and scales kept
 * weights by 1 / (1 - p). A kernel that draws its own dropout returns its mask instead (kernel.ts).
 */

/** Causal alignment. 'top-left': j <= i. 'bottom-right': j <= i + Sk - Sq. */
export type Causal = 'none' | 'top-left' | 'bottom-right';

/** Where padding sits in a row of keys shortened by `keyLengths`. */
export type PaddingSide = 'right' | 'left';

/**
 * Arithmetic precision of a run. 'bfloat16' and 'float16' are emulated on float32 hardware:
 * inputs, the P tile before P·V, and outputs are rounded to nearest even; accumulation is float32.
 */
export type Precision = 'float32' | 'bfloat16' | 'float16';

export const PRECISIONS: readonly Precision[] = ['float32', 'bfloat16', 'float16'];
export const CAUSALS: readonly Causal[] = ['none', 'top-left', 'bottom-right'];

/** A dense row-major float64 tensor on the host. `data.length` is the product of `shape`. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A dense row-major boolean tensor on the host: 1 = true (may attend), 0 = false. */
export interface HostMask {
  readonly shape: readonly [number, number, number, number];
  readonly data: Uint8Array;
}

/** Dropout on the attention weights; `seed` is a uint32 feeding the counter-based hash. */
export interface DropoutSpec {
  readonly p: number;
  readonly seed: number;
}

/**
 * Dropout as options carry it: the spec and, when there is one, the keep mask [B, Hq, Sq, Sk]
 * (true = kept). On the host the mask is absent (the hash `dropoutKeep` decides) or replayed from a
 * kernel that draws its own dropout (`forwardWithKeep`: the reference then drops what that kernel
 * dropped). In a kernel's options it is always there (`KernelOptions`): the harness makes it, so a
 * kernel needs nothing from attnfuzz to drop the same elements as the reference.
 */
export interface DropoutOf<M> extends DropoutSpec {
  readonly keep?: M;
}

/** Every size an attention call is made of. */
export interface AttentionShapes {
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly Sq: number;
  readonly Sk: number;
  readonly D: number;
  readonly Dv: number;
}

/**
 * Options of one attention call, generic in how the boolean mask (M) and the float option tensors
 * (F: ALiBi slopes, bias, sinks) are carried: `HostMask` / `HostTensor` on the host (reference,
 * golden files, cases), tfjs tensors inside kernels. The four score options are optional and
 * absent = null = off, so options written before them mean what they meant.
 */
export interface AttentionOptionsOf<M, F = M> {
  /** Multiplies Q·Kᵀ. Always explicit; the harness defaults it to 1/sqrt(D). */
  readonly scale: number;
  readonly causal: Causal;
  /** [left, right] inclusive around the bottom-right diagonal; -1 = unbounded; null = no window. */
  readonly window: readonly [number, number] | null;
  /** Valid keys per batch row (length B); null = every key valid. */
  readonly keyLengths: readonly number[] | null;
  readonly paddingSide: PaddingSide;
  /** Boolean [B|1, Hq|1, Sq, Sk], true = may attend; null = no mask. */
  readonly mask: M | null;
  /** null or p = 0: no dropout. */
  readonly dropout: DropoutOf<M> | null;
  /** Precision the kernel must emulate (inputs already arrive rounded to it). */
  readonly precision: Precision;
  /** c > 0 in s = c·tanh(s/c), applied to scale·q·kᵀ before masking (Gemma 2); null = none. */
  readonly softcap?: number | null;
  /** ALiBi slopes [Hq] or [B, Hq]: visible scores get -slope·|i + Sk - Sq - j|; null = none. */
  readonly alibiSlopes?: F | null;
  /** Float bias [B|1, Hq|1, Sq, Sk] added to visible scores after softcap, not scaled; null = none. */
  readonly bias?: F | null;
  /** Attention sinks [Hq]: one logit per query head in the softmax denominator only; null = none. */
  readonly sinks?: F | null;
}

/** Options as the host sees them. */
export type AttentionOptions = AttentionOptionsOf<HostMask, HostTensor>;

/** Inputs of one attention call with the cotangent used for the backward pass. */
export interface AttentionInputs {
  readonly q: HostTensor;
  readonly k: HostTensor;
  readonly v: HostTensor;
  /** Cotangent of `out`: gradients are those of sum(out ∘ dOut). */
  readonly dOut: HostTensor;
}

/**
 * Outputs and gradients of one attention call. `lse` [B, Hq, Sq] is there when the reference made
 * it or the kernel returned it; `dbias` (the bias's shape, summed over its broadcast dims) and
 * `dsinks` [Hq] when the options have a bias or sinks.
 */
export interface AttentionResult {
  readonly out: HostTensor;
  readonly dq: HostTensor;
  readonly dk: HostTensor;
  readonly dv: HostTensor;
  readonly lse?: HostTensor;
  readonly dbias?: HostTensor;
  readonly dsinks?: HostTensor;
}

export const ATTENTION_TENSORS = ['out', 'dq', 'dk', 'dv'] as const;
export type AttentionTensorName = (typeof ATTENTION_TENSORS)[number];
/**
 * The tensors judged only where they apply: lse when a kernel returns it, dbias and dsinks when the options have them.
 */
export const OPTIONAL_ATTENTION_TENSORS = ['lse', 'dbias', 'dsinks'] as const;
export type OptionalAttentionTensorName = (typeof OPTIONAL_ATTENTION_TENSORS)[number];

/** Options with every restriction off, for building options by spread. */
export function defaultOptions(shapes: Pick<AttentionShapes, 'D'>): AttentionOptionsOf<HostMask, never> {
  return {
    scale: 1 / Math.sqrt(shapes.D),
    causal: 'none',
    window: null,
    keyLengths: null,
    paddingSide: 'right',
    mask: null,
    dropout: null,
    precision: 'float32',
  };
}
