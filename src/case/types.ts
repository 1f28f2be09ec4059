/**
 * A Case: one complete, JSON-serialisable description of an attention call under test.
 * Tensors are never stored: they are made from `seed` with seedrandom (see src/data), so a case
 * is small, diffable and replays bit for bit. `version` guards the format of saved cases.
 *
 * (Skeleton pinned by the lead so that data, arbitraries, oracle and runner can be built in
 * parallel; the owner of src/case may add fields, never change these meanings.)
 */
import type { AttentionShapes, Causal, DropoutSpec, PaddingSide, Precision } from '../contract/index.js';

export const CASE_VERSION = 1 as const;

/**
 * Memory layout q/k/v are materialised in before being handed to a kernel that takes a native
 * layout: BHSD (contract), BSHD (flash-attn), packed QKV ([B,S,3,H,D] sliced), or a strided view
 * (the tensor cut out of a larger buffer at an offset with a gap between rows).
 */
export type Layout = 'BHSD' | 'BSHD' | 'packed-qkv' | 'strided';

/** How tensor values are drawn. */
export type ValueDistribution = 'normal' | 'large' | 'near-ties' | 'small-int';

/** What is written into inputs at positions no query may see (must never reach an output). */
export type Junk = 'none' | 'huge' | 'nan';

/** A boolean mask described by its broadcast shape and how it is drawn from `seed`. */
export interface MaskSpec {
  /** Which leading dims are broadcast (size 1). */
  readonly broadcastBatch: boolean;
  readonly broadcastHeads: boolean;
  /** Probability that an element may attend. */
  readonly density: number;
  readonly seed: number;
}

export interface AttentionCase {
  readonly version: typeof CASE_VERSION;
  readonly kind: 'attention';
  readonly shapes: AttentionShapes;
  /** null = the harness default 1/sqrt(D). */
  readonly scale: number | null;
  readonly causal: Causal;
  readonly window: readonly [number, number] | null;
  readonly keyLengths: readonly number[] | null;
  readonly paddingSide: PaddingSide;
  readonly mask: MaskSpec | null;
  readonly dropout: DropoutSpec | null;
  readonly precision: Precision;
  readonly layout: Layout;
  readonly values: ValueDistribution;
  readonly junk: Junk;
  /** Flash tile sizes (query block Br, key block Bc). */
  readonly blocks: { readonly Br: number; readonly Bc: number };
  /** Seed of every tensor's data (q, k, v, dOut). */
  readonly seed: number;
}
