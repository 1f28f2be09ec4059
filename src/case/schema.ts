/**
 * The schema of saved cases: turns an unknown value (parsed JSON, a user's object) into an
 * `AttentionCase` or `LoraCase`, checked once at the boundary. Every error names the field path,
 * then the rule, then what was received:
 *
 *   case.shapes.Hkv: Hq=4 is not a multiple of Hkv=3
 *   case.window: expected [left, right] of two integers >= -1 (-1 = unbounded) or null, got [1]
 *
 * Objects are strict: an unknown key (a typo such as `casual`) is an error, never ignored.
 */
import { z } from 'zod';
import { CAUSALS, PRECISIONS } from '../contract/index.js';
import {
  type AttentionCase,
  CASE_VERSION,
  type DecodeCase,
  JUNKS,
  LAYOUTS,
  type LoraCase,
  VALUE_DISTRIBUTIONS,
} from './types.js';

export const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

export const intAtLeast = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const error = (iss: { input?: unknown }): string =>
    `must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${show(iss.input)}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const uint32 = intAtLeast(0, 0xffffffff);
const positive = intAtLeast(1);
const version = z.literal(CASE_VERSION, {
  error: (iss) => `unsupported case version ${show(iss.input)}, expected ${CASE_VERSION}`,
});
const precision = z.enum(PRECISIONS as [string, ...string[]]).transform((p) => p as (typeof PRECISIONS)[number]);

const dropout = z
  .strictObject({
    p: z
      .number()
      .min(0)
      .lt(1, { error: (iss) => `dropout p must be in [0, 1), got ${show(iss.input)}` }),
    seed: uint32,
  })
  .nullable();

const windowSpec = z.custom<readonly [number, number] | null>(
  (v) => v === null || (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x >= -1)),
  { error: (iss) => `expected [left, right] of two integers >= -1 (-1 = unbounded) or null, got ${show(iss.input)}` },
);

const shapes = z.strictObject({
  B: positive,
  Hq: positive,
  Hkv: positive,
  Sq: positive,
  Sk: positive,
  D: positive,
  Dv: positive,
});

export const attentionCaseSchema = z
  .strictObject({
    version,
    kind: z.literal('attention'),
    shapes,
    scale: z.number().nullable(),
    causal: z.enum(CAUSALS as [string, ...string[]]).transform((c) => c as (typeof CAUSALS)[number]),
    window: windowSpec,
    keyLengths: z.array(intAtLeast(0)).nullable(),
    paddingSide: z.enum(['right', 'left']),
    mask: z
      .strictObject({
        broadcastBatch: z.boolean(),
        broadcastHeads: z.boolean(),
        density: z.number().min(0).max(1),
        seed: uint32,
      })
      .nullable(),
    dropout,
    precision,
    layout: z.enum(LAYOUTS as [string, ...string[]]).transform((l) => l as (typeof LAYOUTS)[number]),
    values: z
      .enum(VALUE_DISTRIBUTIONS as [string, ...string[]])
      .transform((v) => v as (typeof VALUE_DISTRIBUTIONS)[number]),
    junk: z.enum(JUNKS as [string, ...string[]]).transform((j) => j as (typeof JUNKS)[number]),
    blocks: z.strictObject({ Br: positive, Bc: positive }),
    seed: uint32,
    view: z.strictObject({ offset: intAtLeast(0), gap: intAtLeast(0) }).optional(),
    softcap: z
      .number()
      .positive({ error: (iss) => `softcap must be a number > 0 or null, got ${show(iss.input)}` })
      .nullable()
      .optional(),
    alibi: z
      .strictObject({ perBatch: z.boolean(), maxSlope: z.number().min(0), seed: uint32 })
      .nullable()
      .optional(),
    bias: z
      .strictObject({ broadcastBatch: z.boolean(), broadcastHeads: z.boolean(), std: z.number().min(0), seed: uint32 })
      .nullable()
      .optional(),
    sinks: z.strictObject({ mean: z.number(), seed: uint32 }).nullable().optional(),
  })
  .superRefine((c, ctx) => {
    const { B, Hq, Hkv, Sk } = c.shapes;
    const fail = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    if (Hq % Hkv !== 0) fail(['shapes', 'Hkv'], `Hq=${Hq} is not a multiple of Hkv=${Hkv}`);
    if (c.keyLengths !== null) {
      if (c.keyLengths.length !== B) fail(['keyLengths'], `has ${c.keyLengths.length} entries, expected B=${B}`);
      c.keyLengths.forEach((len, b) => {
        if (len > Sk) fail(['keyLengths', b], `must be in [0, Sk=${Sk}], got ${len}`);
      });
    }
  });

export const loraCaseSchema = z.strictObject({
  version,
  kind: z.literal('lora'),
  rank: positive,
  alpha: z.number(),
  rslora: z.boolean(),
  dropout,
  N: positive,
  in: positive,
  out: positive,
  precision,
  seed: uint32,
  bZero: z.boolean().optional(),
});

const decodeCache = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('contiguous'), extraSlots: intAtLeast(0) }),
    z.strictObject({ kind: z.literal('paged'), pageSize: positive, unusedPages: intAtLeast(0), permutation: uint32 }),
  ],
  {
    error: (iss) => {
      const v = iss.input;
      return (
        `must be "contiguous" (with extraSlots) or "paged" (with pageSize, unusedPages, permutation), ` +
        `got ${show(typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : v)}`
      );
    },
  },
);

export const decodeCaseSchema = z
  .strictObject({
    version,
    kind: z.literal('decode'),
    shapes: z.strictObject({ B: positive, Hq: positive, Hkv: positive, Sq: positive, D: positive, Dv: positive }),
    cacheSeqlens: z.array(intAtLeast(0)),
    cache: decodeCache,
    causal: z.boolean(),
    scale: z.number().nullable(),
    precision,
    seed: uint32,
  })
  .superRefine((c, ctx) => {
    const { B, Hq, Hkv } = c.shapes;
    if (Hq % Hkv !== 0)
      ctx.addIssue({ code: 'custom', path: ['shapes', 'Hkv'], message: `Hq=${Hq} is not a multiple of Hkv=${Hkv}` });
    if (c.cacheSeqlens.length !== B)
      ctx.addIssue({
        code: 'custom',
        path: ['cacheSeqlens'],
        message: `has ${c.cacheSeqlens.length} entries, expected B=${B}`,
      });
  });

/**
 * Formats a zod error as `where.path: message` (or `where path: message` when `where` ends with a
 * colon, as `corpus/x.json: case.shapes.Hkv: ...`), the first issue first. Unknown keys are named.
 */
export function formatSchemaError(where: string, error: z.ZodError): string {
  const lines = error.issues.map((iss) => {
    const keys = iss.code === 'unrecognized_keys' ? iss.keys : [];
    const parts = [...iss.path, ...keys.slice(0, 1)];
    const path = parts.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const at = where.endsWith(':')
      ? path
        ? `${where} ${path.replace(/^\./, '')}`
        : where.slice(0, -1)
      : `${where}${path}`;
    const message = keys.length > 0 ? `unknown field (a typo? it would be ignored)` : iss.message;
    return `${at}: ${message}`;
  });
  return lines.length === 1 ? lines[0]! : `${lines[0]} (and ${lines.length - 1} more: ${lines.slice(1).join('; ')})`;
}

/** Validates `value` with `schema`; throws one line `where.path: message` (every case kind uses this). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(formatSchemaError(where, r.error));
  return r.data;
}

/**
 * Validates an attention case. `where` starts every error message; pass e.g. 'case' or
 * `${file}: case` so the path reads `corpus/x.json: case.shapes.Hkv: ...`.
 */
export function parseCase(value: unknown, where = 'case'): AttentionCase {
  return parseWith(attentionCaseSchema, value, where);
}

/** Validates a LoRA case; errors as `parseCase`. */
export function parseLoraCase(value: unknown, where = 'case'): LoraCase {
  return parseWith(loraCaseSchema, value, where);
}

/** Validates a KV-cache decode case; errors as `parseCase`. */
export function parseDecodeCase(value: unknown, where = 'case'): DecodeCase {
  return parseWith(decodeCaseSchema, value, where) as DecodeCase;
}
