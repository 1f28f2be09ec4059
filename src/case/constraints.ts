/**
 * The constraints of the case arbitraries, as zod schemas: checked once, defaults filled in, every
 * error one line naming the constraint (`attentionCase: constraints.maxSeq: must be an integer >= 1,
 * got 0`), and an unknown key (a typo such as `maxSeqq`) is an error, never ignored.
 */
import { z } from 'zod';
import { CAUSALS, PRECISIONS } from '../contract/index.js';
import type { AttentionCaseFixed, ResolvedAttentionConstraints } from './_internals/attentionCaseArbitrary.js';
import type { ResolvedDecodeConstraints } from './_internals/decodeCaseArbitrary.js';
import type { ResolvedLoraConstraints } from './_internals/loraCaseArbitrary.js';
import { parseWith, show } from './schema.js';
import { DECODE_CACHES, FINITE_JUNK, JUNKS, LAYOUTS, VALUE_DISTRIBUTIONS } from './types.js';

const int = (min: number) => {
  const error = (iss: { input?: unknown }) => `must be an integer >= ${min}, got ${show(iss.input)}`;
  return z.int({ error }).min(min, { error });
};

/** A non-empty subset of `all`, returned in `all`'s order so the simplest allowed value is first. */
function subsetOf<T extends string>(all: readonly T[], fallback: readonly T[] = all) {
  return z
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
}

const fixedAttention = z
  .custom<AttentionCaseFixed>((v) => typeof v === 'object' && v !== null, {
    error: 'must be an object of pinned case fields',
  })
  .default({});

const share = z
  .number({ error: (iss) => `must be a number in [0, 1], got ${show(iss.input)}` })
  .min(0, { error: (iss) => `must be a number in [0, 1], got ${show(iss.input)}` })
  .max(1, { error: (iss) => `must be a number in [0, 1], got ${show(iss.input)}` });

const tiles = z
  .strictObject({ Br: int(1), Bc: int(1) })
  .nullable()
  .default(null);

const attentionConstraints = z
  .strictObject({
    maxBatch: int(1).default(3),
    maxHeads: int(1).default(4),
    maxSeq: int(1).default(256),
    maxCache: int(1).optional(),
    maxHeadDim: int(1).default(256),
    smallSeq: int(1).default(12),
    smallHeadDim: int(1).default(12),
    largeShare: share.default(0.25),
    tiles,
    maxBlock: int(1).optional(),
    precisions: subsetOf(PRECISIONS),
    causals: subsetOf(CAUSALS),
    layouts: subsetOf(LAYOUTS),
    values: subsetOf(VALUE_DISTRIBUTIONS),
    junk: subsetOf(JUNKS, FINITE_JUNK),
    allowMask: z.boolean().default(true),
    allowDropout: z.boolean().default(true),
    allowWindow: z.boolean().default(true),
    allowPadding: z.boolean().default(true),
    allowScale: z.boolean().default(true),
    allowSoftcap: z.boolean().default(false),
    allowAlibi: z.boolean().default(false),
    allowBias: z.boolean().default(false),
    allowSinks: z.boolean().default(false),
    fixed: fixedAttention,
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
  .transform((k): ResolvedAttentionConstraints => {
    // The small cases never exceed the maxima; decode caches are at least as long as any length.
    const smallSeq = Math.min(k.smallSeq, k.maxSeq);
    return {
      ...k,
      smallSeq,
      smallHeadDim: Math.min(k.smallHeadDim, k.maxHeadDim),
      maxCache: Math.max(k.maxCache ?? k.maxSeq, k.maxSeq),
      maxBlock: k.maxBlock ?? smallSeq + 1,
    };
  });

const loraConstraints = z.strictObject({
  maxN: int(1).default(4),
  maxFeatures: int(1).default(8),
  maxRank: int(1).default(4),
  precisions: subsetOf(PRECISIONS),
  allowDropout: z.boolean().default(true),
  allowBZero: z.boolean().default(true),
  fixed: z
    .custom<ResolvedLoraConstraints['fixed']>((v) => typeof v === 'object' && v !== null, {
      error: 'must be an object of pinned case fields',
    })
    .default({}),
});

const decodeConstraints = z.strictObject({
  maxBatch: int(1).default(3),
  maxHeads: int(1).default(4),
  maxQueries: int(1).default(3),
  maxSeqlen: int(0).default(20),
  maxHeadDim: int(1).default(8),
  maxPageSize: int(1).default(8),
  maxUnused: int(0).default(3),
  caches: subsetOf(DECODE_CACHES),
  precisions: subsetOf(PRECISIONS),
  allowCausal: z.boolean().default(true),
  allowScale: z.boolean().default(true),
});

export function parseAttentionConstraints(value: unknown): ResolvedAttentionConstraints {
  return parseWith(attentionConstraints, value ?? {}, 'attentionCase: constraints') as ResolvedAttentionConstraints;
}

export function parseLoraConstraints(value: unknown): ResolvedLoraConstraints {
  return parseWith(loraConstraints, value ?? {}, 'loraCase: constraints') as ResolvedLoraConstraints;
}

export function parseDecodeConstraints(value: unknown): ResolvedDecodeConstraints {
  return parseWith(decodeConstraints, value ?? {}, 'decodeCase: constraints') as ResolvedDecodeConstraints;
}
