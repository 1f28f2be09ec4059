/**
 * The golden file format `attnfuzz-golden`, version 1: tiny inputs with the outputs and gradients
 * PyTorch computed for them in float64 autograd (scripts/make_goldens.py), the external check of
 * the float64 reference and of every kernel. JSON, one case per file:
 *
 *   { format: 'attnfuzz-golden', version: 1, kind: 'attention' | 'lora-linear' (| 'decode', version 2),
 *     producer: 'torch 1.13.0a0 float64 autograd, scripts/make_goldens.py',
 *     name, hint?,                             // hint (optional): one line, what the file checks and how
 *     options, inputs, expected }              // a tensor is { shape, data } (flat, row-major)
 *
 *   attention    options  { scale, causal, window: null | [l, r], keyLengths: null | number[],
 *                           paddingSide, mask: null | { shape, data of 0/1 } }
 *                inputs   { q, k, v, dOut }    (contract layout, src/contract/types.ts)
 *                expected { out, dq, dk, dv }  (gradients of sum(out ∘ dOut))
 *   lora-linear  options  { rank, alpha, rslora }
 *                inputs   { x, W0, A, B, dY }  expected { y, dx, dA, dB }
 *
 * Version 2 (attention only; version 1 files load unchanged) adds the score options and their tensors:
 *
 *   options  + { softcap: null | number, alibiSlopes, bias, sinks: null | tensor }
 *   expected + { lse?, dbias?, dsinks? }       lse [B,Hq,Sq]; dbias the bias's shape; dsinks [Hq]
 *
 * JSON has no literal for non-finite numbers: in a version-2 `data`, "-Infinity", "Infinity" and
 * "NaN" stand for them (the lse of a row with no visible key is "-Infinity").
 *
 * Version 2 also has KV-cache decode files (src/contract/decode.ts), forward only:
 *
 *   decode       options  { scale, causal: boolean }             causal: bottom-right within each row
 *                inputs   { q, cacheSeqlens: number[],
 *                           cache: { kind: 'contiguous', k, v }
 *                                | { kind: 'paged', kPages, vPages, blockTable: number[][] } }
 *                expected { out }
 *
 * Every slot the contract does not read (past cacheSeqlens, the padding lanes of a last page,
 * unused pages) may hold "NaN", so that a kernel that reads one fails.
 *
 * Goldens carry no dropout and no precision: they are float64 ground truth for float32 runs.
 * Objects are strict (an unknown field is an error: a typo must not silently drop an option).
 * The loaded form (`Golden`) holds contract types, ready for the kernels.
 */
import { z } from 'zod';
import type {
  AttentionInputs,
  AttentionOptions,
  AttentionResult,
  DecodeOptions,
  HostTensor,
  KvCache,
  LoraInputs,
  LoraResult,
  LoraSpec,
} from '../contract/index.js';

export const GOLDEN_FORMAT = 'attnfuzz-golden';
export const GOLDEN_VERSION = 1;
/** The versions this attnfuzz reads. */
export const GOLDEN_VERSIONS = [1, 2] as const;
export const GOLDEN_KINDS = ['attention', 'lora-linear', 'decode'] as const;
export type GoldenKind = (typeof GOLDEN_KINDS)[number];

const tensor = z.strictObject({
  shape: z.array(z.number().int().nonnegative()),
  data: z.array(z.number()),
});

/** A version-2 tensor: non-finite values as the strings "-Infinity", "Infinity", "NaN". */
const tensor2 = z.strictObject({
  shape: z.array(z.number().int().nonnegative()),
  data: z.array(z.union([z.number(), z.literal(['-Infinity', 'Infinity', 'NaN'])]).transform(Number)),
});

const header = {
  format: z.literal(GOLDEN_FORMAT),
  version: z.literal(GOLDEN_VERSION),
  producer: z.string(),
  name: z.string(),
  /** Optional: files written by other tools carry none. */
  hint: z.string().optional(),
};

export const attentionGoldenSchema = z.strictObject({
  ...header,
  kind: z.literal('attention'),
  options: z.strictObject({
    scale: z.number(),
    causal: z.enum(['none', 'top-left', 'bottom-right']),
    window: z.tuple([z.number().int(), z.number().int()]).nullable(),
    keyLengths: z.array(z.number().int()).nullable(),
    paddingSide: z.enum(['right', 'left']),
    mask: z
      .strictObject({
        shape: z.array(z.number().int().nonnegative()),
        data: z.array(z.number().int().min(0).max(1)),
      })
      .nullable(),
  }),
  inputs: z.strictObject({ q: tensor, k: tensor, v: tensor, dOut: tensor }),
  expected: z.strictObject({ out: tensor, dq: tensor, dk: tensor, dv: tensor }),
});

export const attentionGolden2Schema = z.strictObject({
  ...header,
  version: z.literal(2),
  kind: z.literal('attention'),
  options: attentionGoldenSchema.shape.options.extend({
    softcap: z.number().positive().nullable(),
    alibiSlopes: tensor2.nullable(),
    bias: tensor2.nullable(),
    sinks: tensor2.nullable(),
  }),
  inputs: z.strictObject({ q: tensor2, k: tensor2, v: tensor2, dOut: tensor2 }),
  expected: z.strictObject({
    out: tensor2,
    dq: tensor2,
    dk: tensor2,
    dv: tensor2,
    lse: tensor2.optional(),
    dbias: tensor2.optional(),
    dsinks: tensor2.optional(),
  }),
});

export const loraGoldenSchema = z.strictObject({
  ...header,
  kind: z.literal('lora-linear'),
  options: z.strictObject({
    rank: z.number().int().positive(),
    alpha: z.number(),
    rslora: z.boolean(),
  }),
  inputs: z.strictObject({ x: tensor, W0: tensor, A: tensor, B: tensor, dY: tensor }),
  expected: z.strictObject({ y: tensor, dx: tensor, dA: tensor, dB: tensor }),
});

export const decodeGoldenSchema = z.strictObject({
  ...header,
  version: z.literal(2),
  kind: z.literal('decode'),
  options: z.strictObject({ scale: z.number(), causal: z.boolean() }),
  inputs: z.strictObject({
    q: tensor2,
    cacheSeqlens: z.array(z.number().int()),
    cache: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('contiguous'), k: tensor2, v: tensor2 }),
      z.strictObject({
        kind: z.literal('paged'),
        kPages: tensor2,
        vPages: tensor2,
        blockTable: z.array(z.array(z.number().int())),
      }),
    ]),
  }),
  expected: z.strictObject({ out: tensor2 }),
});

/** A golden file as it sits on disk (after the schema). */
export type AttentionGoldenFile = z.infer<typeof attentionGoldenSchema> | z.infer<typeof attentionGolden2Schema>;
export type LoraGoldenFile = z.infer<typeof loraGoldenSchema>;
export type DecodeGoldenFile = z.infer<typeof decodeGoldenSchema>;
export type GoldenFile = AttentionGoldenFile | LoraGoldenFile | DecodeGoldenFile;

/** What a decode kernel takes besides its options (DecodeKernel.decode's arguments, on the host). */
export interface DecodeInputs {
  readonly q: HostTensor;
  readonly cache: KvCache;
  readonly cacheSeqlens: readonly number[];
}

interface GoldenCommon {
  /** The path it was loaded from, as given. */
  readonly file: string;
  readonly name: string;
  /** One line on what the file checks; absent in files written by other tools. */
  readonly hint?: string;
  readonly producer: string;
}

/** A loaded, checked golden in contract types. */
export type Golden =
  | (GoldenCommon & {
      readonly kind: 'attention';
      readonly options: AttentionOptions;
      readonly inputs: AttentionInputs;
      readonly expected: AttentionResult;
    })
  | (GoldenCommon & {
      readonly kind: 'lora-linear';
      readonly spec: LoraSpec;
      readonly inputs: LoraInputs;
      readonly expected: LoraResult;
    })
  | (GoldenCommon & {
      readonly kind: 'decode';
      readonly options: DecodeOptions;
      readonly inputs: DecodeInputs;
      readonly expected: { readonly out: HostTensor };
    });

/**
 * Thrown for a file that cannot be used. The message is one line, `golden: <file>: <detail>`,
 * where the detail starts with the field (`inputs.k.shape ...`) whenever there is one.
 */
export class GoldenError extends Error {
  constructor(
    readonly file: string,
    /** The offending field as a path (`inputs.k.shape`), or null for the whole file. */
    readonly field: string | null,
    detail: string,
  ) {
    super(`golden: ${file}: ${detail}`);
    this.name = 'GoldenError';
  }
}
