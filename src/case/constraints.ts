/**
 * The constraints of the case arbitraries (`attentionCase`, `loraCase`, `decodeCase`), declared
 * once: each field, its rule and its default are the zod schema below, and the types are derived
 * from it (`AttentionCaseConstraints` is what a caller may pass, `ResolvedAttentionConstraints`
 * what the engine gets, every default filled in). Checked once: every error is one line naming the
 * constraint (`attentionCase: constraints.maxSeq: must be an integer >= 1, got 0`), and an unknown
 * key (a typo such as `maxSeqq`) is an error, never ignored.
 *
 * "1 case in n" below is how often a case has the option when it is allowed.
 */
import { z } from 'zod';
import { type AttentionShapes, CAUSALS, PRECISIONS } from '../contract/index.js';
import { parseWith, show } from './schema.js';
import {
  type AttentionCase,
  DECODE_CACHES,
  FINITE_JUNK,
  JUNKS,
  LAYOUTS,
  type LoraCase,
  VALUE_DISTRIBUTIONS,
} from './types.js';

/** Fields of an attention case pinned to a value; shapes may be pinned one dim at a time. */
export type AttentionCaseFixed = Partial<Omit<AttentionCase, 'version' | 'kind' | 'shapes'>> & {
  readonly shapes?: Partial<AttentionShapes>;
};

/** Fields of a LoRA case pinned to a value. */
export type LoraCaseFixed = Partial<Omit<LoraCase, 'version' | 'kind'>>;

const int = (min: number) => {
  const error = (iss: { input?: unknown }) => `must be an integer >= ${min}, got ${show(iss.input)}`;
  return z.int({ error }).min(min, { error });
};

/**
 * A non-empty subset of `all`, returned in `all`'s order so the simplest allowed value is first.
 * Typed as a list of `T` (the check names an unknown value; the type stops it at compile time).
 */
function subsetOf<T extends string>(all: readonly T[], fallback: readonly T[] = all) {
  const schema = z
    .array(z.string())
    .superRefine((v, ctx) => {
      const unknown = v.filter((x) => !(all as readonly string[]).includes(x));
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `has unknown ${JSON.stringify(unknown)}, expected some of ${JSON.stringify(all)}`,
        });
      else if (v.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
    })
    .transform((v) => all.filter((x) => v.includes(x)))
    .default([...fallback]);
  return schema as unknown as z.ZodDefault<z.ZodType<readonly T[], readonly T[]>>;
}

/** Pinned case fields: an object (each field is checked by the case's schema when drawn). */
const isObject = (v: unknown) => typeof v === 'object' && v !== null;
const pinnedError = { error: 'must be an object of pinned case fields' };

const share = z
  .number({ error: (iss) => `must be a number in [0, 1], got ${show(iss.input)}` })
  .min(0, { error: (iss) => `must be a number in [0, 1], got ${show(iss.input)}` })
  .max(1, { error: (iss) => `must be a number in [0, 1], got ${show(iss.input)}` });

const allow = (byDefault: boolean) => z.boolean().default(byDefault);

const attentionConstraints = z
  .strictObject({
    /** Largest batch B. Default 3. */
    maxBatch: int(1).default(3),
    /** Largest query head count Hq; Hkv is drawn among the divisors of Hq (every GQA ratio). Default 4. */
    maxHeads: int(1).default(4),
    /** Largest Sq and Sk. Default 256. */
    maxSeq: int(1).default(256),
    /** Largest Sk of a decode case (Sq = 1), at least maxSeq. Default maxSeq; 4096 in the 'deep' SIZE_PROFILES. */
    maxCache: int(1).optional(),
    /** Largest D and Dv. Default 256. */
    maxHeadDim: int(1).default(256),
    /** Largest Sq, Sk of a small case (most cases). Default 12 (at most maxSeq). */
    smallSeq: int(1).default(12),
    /** Largest D, Dv of a small case. Default 12 (most head dims then are not a multiple of 8; at most maxHeadDim). */
    smallHeadDim: int(1).default(12),
    /** Share of large cases (long lengths or real head dims), when the maxima leave room for them. Default 0.25. */
    largeShare: share.default(0.25),
    /** A kernel's fixed tiles: long lengths are then also aimed at k·Br ± 1 (Sq) and k·Bc ± 1 (Sk). Default null. */
    tiles: z
      .strictObject({ Br: int(1), Bc: int(1) })
      .nullable()
      .default(null),
    /** Largest freely drawn flash block Br / Bc (most are drawn relative to the length). Default smallSeq + 1. */
    maxBlock: int(1).optional(),
    /** Precisions to draw, shrinking toward the first in PRECISIONS order. Default all. */
    precisions: subsetOf(PRECISIONS),
    /** Causal alignments to draw. Default all ('none', 'top-left', 'bottom-right'). */
    causals: subsetOf(CAUSALS),
    /** Layouts to draw, shrinking toward 'BHSD' when allowed. Default all. */
    layouts: subsetOf(LAYOUTS),
    /** Value distributions, shrinking toward 'small-int' when allowed. Default all. */
    values: subsetOf(VALUE_DISTRIBUTIONS),
    /**
     * Junk at invisible keys, shrinking toward 'none' when allowed. Default FINITE_JUNK ('none',
     * 'huge'): NaN only for kernels that never read unseen keys (the runner adds it for those).
     */
    junk: subsetOf(JUNKS, FINITE_JUNK),
    /** Draw boolean masks (1 case in 4). Default true. */
    allowMask: allow(true),
    /** Draw dropout (1 case in 4). Default true. */
    allowDropout: allow(true),
    /** Draw sliding windows (1 case in 5). Default true. */
    allowWindow: allow(true),
    /** Draw keyLengths padding (1 case in 2). Default true. */
    allowPadding: allow(true),
    /** Draw non-default scales (1 case in 2; else null = 1/sqrt(D)). Default true. */
    allowScale: allow(true),
    /**
     * Draw a logit softcap (1 case in 3). Default false, as for the other score options: a kernel
     * gets them when it declares them (`features`), which the runner fills in for it
     * (src/runner/suites/attentionKernel.ts `aimAttention`).
     */
    allowSoftcap: allow(false),
    /** Draw ALiBi slopes (1 case in 3). Default false (see allowSoftcap). */
    allowAlibi: allow(false),
    /** Draw a float bias added to the logits (1 case in 3). Default false (see allowSoftcap). */
    allowBias: allow(false),
    /** Draw attention sinks (1 case in 3). Default false (see allowSoftcap). */
    allowSinks: allow(false),
    /** Fields pinned to a value, e.g. { causal: 'top-left', shapes: { B: 1 } }. Default {}. */
    fixed: z.custom<AttentionCaseFixed>(isObject, pinnedError).default({}),
  })
  .superRefine((k, ctx) => {
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const fs = k.fixed.shapes ?? {};
    for (const [name, v] of Object.entries(fs))
      if (!Number.isInteger(v) || (v as number) < 1)
        fail(['fixed', 'shapes', name], `must be an integer >= 1, got ${show(v)}`);
    if (fs.Hq !== undefined && fs.Hkv !== undefined && fs.Hq % fs.Hkv !== 0)
      fail(['fixed', 'shapes'], `Hq=${fs.Hq} is not a multiple of Hkv=${fs.Hkv}`);
    const lens = k.fixed.keyLengths;
    if (lens != null) {
      if (fs.B === undefined || fs.Sk === undefined)
        fail(['fixed', 'keyLengths'], 'needs fixed shapes.B and shapes.Sk');
      else if (lens.length !== fs.B || lens.some((l) => !Number.isInteger(l) || l < 0 || l > fs.Sk!))
        fail(['fixed', 'keyLengths'], `must be ${fs.B} integers in [0, ${fs.Sk}], got ${JSON.stringify(lens)}`);
    }
  })
  .transform((k) => {
    // The small cases never exceed the maxima; decode caches are at least as long as any length.
    const smallSeq = Math.min(k.smallSeq, k.maxSeq);
    return {
      ...k,
      /** Largest Sq, Sk of a small case, at most maxSeq. */
      smallSeq,
      /** Largest D, Dv of a small case, at most maxHeadDim. */
      smallHeadDim: Math.min(k.smallHeadDim, k.maxHeadDim),
      /** Largest Sk of a decode case, at least maxSeq. */
      maxCache: Math.max(k.maxCache ?? k.maxSeq, k.maxSeq),
      /** Largest freely drawn flash block. */
      maxBlock: k.maxBlock ?? smallSeq + 1,
    };
  });

const loraConstraints = z.strictObject({
  /** Largest row count N of x. Default 4. */
  maxN: int(1).default(4),
  /** Largest input and output features. Default 8. */
  maxFeatures: int(1).default(8),
  /** Largest rank r. Default 4. */
  maxRank: int(1).default(4),
  /** Precisions to draw, shrinking toward the first in PRECISIONS order. Default all. */
  precisions: subsetOf(PRECISIONS),
  /** Draw adapter dropout (1 case in 4). Default true. */
  allowDropout: allow(true),
  /** Draw bZero = true, B all zeros as at initialisation (1 case in 2). Default true. */
  allowBZero: allow(true),
  /** Fields pinned to a value. Default {}. */
  fixed: z.custom<LoraCaseFixed>(isObject, pinnedError).default({}),
});

const decodeConstraints = z.strictObject({
  /** Largest batch B. Default 3. */
  maxBatch: int(1).default(3),
  /** Largest query head count Hq; Hkv is drawn among its divisors. Default 4. */
  maxHeads: int(1).default(4),
  /** Largest Sq (new queries per row: 1 for a decode step, more for speculative decoding). Default 3. */
  maxQueries: int(1).default(3),
  /** Largest cacheSeqlens entry (0 = an empty row is drawn 1 time in 8). Default 20. */
  maxSeqlen: int(0).default(20),
  /** Largest D and Dv. Default 8. */
  maxHeadDim: int(1).default(8),
  /** Largest page size, drawn independently of the lengths. Default 8. */
  maxPageSize: int(1).default(8),
  /** Largest number of unused pages (paged) or slots past the longest row (contiguous). Default 3. */
  maxUnused: int(0).default(3),
  /** Cache layouts to draw, shrinking toward 'contiguous' when allowed. Default both. */
  caches: subsetOf(DECODE_CACHES),
  /** Precisions to draw, shrinking toward the first in PRECISIONS order. Default all. */
  precisions: subsetOf(PRECISIONS),
  /** Draw causal (bottom-right within each row, 1 case in 2). Default true. */
  allowCausal: allow(true),
  /** Draw non-default scales (1 case in 2). Default true. */
  allowScale: allow(true),
});

/** What `attentionCase` takes: every field optional, with the default its comment names. */
export type AttentionCaseConstraints = Readonly<z.input<typeof attentionConstraints>>;
/** The constraints with every default filled in and checked: what the engine draws from. */
export type ResolvedAttentionConstraints = Readonly<z.output<typeof attentionConstraints>>;
/** What `loraCase` takes: every field optional, with the default its comment names. */
export type LoraCaseConstraints = Readonly<z.input<typeof loraConstraints>>;
export type ResolvedLoraConstraints = Readonly<z.output<typeof loraConstraints>>;
/** What `decodeCase` takes: every field optional, with the default its comment names. */
export type DecodeCaseConstraints = Readonly<z.input<typeof decodeConstraints>>;
export type ResolvedDecodeConstraints = Readonly<z.output<typeof decodeConstraints>>;

export function parseAttentionConstraints(value: unknown): ResolvedAttentionConstraints {
  return parseWith(attentionConstraints, value ?? {}, 'attentionCase: constraints');
}

export function parseLoraConstraints(value: unknown): ResolvedLoraConstraints {
  return parseWith(loraConstraints, value ?? {}, 'loraCase: constraints');
}

export function parseDecodeConstraints(value: unknown): ResolvedDecodeConstraints {
  return parseWith(decodeConstraints, value ?? {}, 'decodeCase: constraints');
}
