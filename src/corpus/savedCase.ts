/**
 * The one saved-case format, `attnfuzz-case` version 2: a case of any kind with what must
 * reproduce when it is replayed. JSON, one case per file, data only (nothing in it is evaluated;
 * a kernel module path is loaded only when the file is replayed):
 *
 *   {
 *     "format": "attnfuzz-case", "version": 2,
 *     "kind":    "attention" | "lora" | "training" | "decode" | "upstream",
 *     "case":    { ... },                            the suite's case (validated by the suite's schema,
 *                                                    src/runner/suites); tensors are re-made from its seeds
 *     "kernel":  { "builtin": "flash" } | { "module": "path/to/kernel.ts" }   relative to the folder
 *                replay runs from | { "target": "ort:gqa" } a target spec (registry.ts TARGETS);
 *                absent for "upstream" (the tfjs op is the subject). A module outside that folder,
 *                or a target that runs the user's own code (exec:, py:), runs only with the user's
 *                say-so: see corpus/replay.ts
 *     "backends": ["cpu", "wasm"],                    optional: run on each and compare them (as
 *                `check --backends`); absent = the backend replay runs on; webgpu and webgl run
 *                in headless Chromium
 *     "adapters": [{ "backend": "webgpu", "vendor": "google", "architecture": "swiftshader",
 *                  "description": "", "isSwiftShader": true }]   optional: the GPU adapter of each
 *                page backend it ran on; replay asks for the same kind (SwiftShader or not) and
 *                says when the adapter it got differs
 *     "expect":  { "kind": "pass" }                   a regression test: the case must pass
 *              | { "kind": "mismatch", "tensor": "dq" }   a known failure: this verdict must reproduce
 *              | { "kind": "threw", "message": "not registered" }   (message: a substring of the error)
 *     "reason":  "...",                               required unless expect is pass
 *     "link":    "tensorflow/tfjs#8721",              optional: where the failure is reported
 *     "found":   { "verdict": "dq MISMATCH ...", "seed": 42, "path": "3:1", "backend": "cpu",
 *                  "attnfuzz": "0.1.0", "tfjs": "4.22.0", "at": "2026-..." }   optional: where and
 *                when it came from
 *     "signature": { "kernel": "flash", "suite": "attention", "kind": "mismatch", "tensor": "dq",
 *                  "pass": "backward", "features": { "causal": "bottom-right" } }   optional: the
 *                failure's signature (signature.ts); a campaign saves one file per signature and
 *                names it by the signature's hash
 *   }
 *
 * A known failure that starts failing for another reason (another verdict kind or tensor) is
 * reported as such, never counted as reproduced. Version-1 files (`attnfuzz-failure` and
 * `attnfuzz-upstream`) are no longer read: the loader (load.ts) says so, naming the file.
 */
import { z } from 'zod';
import { ALL_BACKENDS, type AnyBackend, PAGE_BACKEND_NAMES } from '../backend/index.js';
import type { AdapterInfo } from '../execute/index.js';
import type { Expectation } from '../oracle/index.js';
import { type AnyCase, BUILTIN_KERNELS, CASE_KINDS, type CaseKind, type KernelRef, SUITE_OF } from '../runner/index.js';
import { type Signature, signatureSchema } from './signature.js';

export const CASE_FORMAT = 'attnfuzz-case';
export const CASE_FILE_VERSION = 2;

export interface Provenance {
  /** The verdict's one line when the case was found. */
  readonly verdict?: string;
  readonly seed?: number | null;
  readonly path?: string | null;
  readonly backend?: string;
  readonly attnfuzz?: string;
  readonly tfjs?: string;
  /** When it was found (ISO 8601). */
  readonly at?: string;
}

export interface SavedCase {
  readonly format: typeof CASE_FORMAT;
  readonly version: typeof CASE_FILE_VERSION;
  readonly kind: CaseKind;
  readonly case: AnyCase;
  readonly kernel?: KernelRef;
  readonly backends?: readonly AnyBackend[];
  readonly adapters?: readonly AdapterInfo[];
  readonly expect: Expectation;
  readonly reason?: string;
  readonly link?: string;
  readonly found?: Provenance;
  readonly signature?: Signature;
}

/** A saved case that cannot be read; the message is one line naming the file and the field. */
export class CorpusFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusFileError';
  }
}

const VERDICT_KINDS = ['pass', 'mismatch', 'nonfinite', 'shape', 'threw', 'disagree'] as const;

// forwardOnly: checked forward only (`check --forward-only`); replay checks it so too.
const forwardOnlyField = { forwardOnly: z.literal(true).optional() };
const kernelRef = z.union(
  [
    z.strictObject({ builtin: z.enum(BUILTIN_KERNELS), ...forwardOnlyField }),
    z.strictObject({ module: z.string().min(1), ...forwardOnlyField }),
    z.strictObject({ target: z.string().regex(/^[a-z][a-z0-9-]*:/), ...forwardOnlyField }),
  ],
  {
    error: (iss) =>
      `expected {"builtin": ${BUILTIN_KERNELS.map((k) => `"${k}"`).join(' | ')}}, {"module": "<path>"} or ` +
      `{"target": "<prefix>:<spec>"}, optionally with "forwardOnly": true, got ${JSON.stringify(iss.input)}`,
  },
);

const expectation = z.strictObject({
  kind: z.enum(VERDICT_KINDS),
  tensor: z.string().min(1).optional(),
  message: z.string().min(1).optional(),
});

const found = z.strictObject({
  verdict: z.string().optional(),
  seed: z.number().nullable().optional(),
  path: z.string().nullable().optional(),
  backend: z.string().optional(),
  attnfuzz: z.string().optional(),
  tfjs: z.string().optional(),
  at: z.string().optional(),
});

const common = {
  format: z.literal(CASE_FORMAT, { error: (iss) => `expected "${CASE_FORMAT}", got ${JSON.stringify(iss.input)}` }),
  version: z.literal(CASE_FILE_VERSION, {
    error: (iss) => `unknown version ${JSON.stringify(iss.input)}, this attnfuzz reads version ${CASE_FILE_VERSION}`,
  }),
  kernel: kernelRef.optional(),
  backends: z.array(z.enum(ALL_BACKENDS)).min(1).optional(),
  adapters: z
    .array(
      z.strictObject({
        backend: z.enum(PAGE_BACKEND_NAMES),
        vendor: z.string(),
        architecture: z.string(),
        description: z.string(),
        isSwiftShader: z.boolean(),
      }),
    )
    .min(1)
    .optional(),
  expect: expectation,
  reason: z.string().optional(),
  link: z.string().optional(),
  found: found.optional(),
  signature: signatureSchema.optional(),
};

// One variant per kind of the suite table, its case checked by that suite's schema.
const variants = CASE_KINDS.map((kind) =>
  z.strictObject({ ...common, kind: z.literal(kind), case: SUITE_OF[kind].schema }),
);

export const savedCaseSchema = z
  .discriminatedUnion('kind', variants as unknown as [(typeof variants)[number], ...(typeof variants)[number][]], {
    error: (iss) =>
      `unknown kind ${JSON.stringify((iss.input as { kind?: unknown } | undefined)?.kind)}, this attnfuzz ` +
      `reads ${CASE_KINDS.map((k) => `"${k}"`).join(', ')}`,
  })
  .superRefine((f, ctx) => {
    const fail = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (f.case.kind !== f.kind)
      fail(['case', 'kind'], `must be "${f.kind}" like the file's kind, got "${f.case.kind}"`);
    if (f.kind === 'upstream' && f.kernel !== undefined)
      fail(['kernel'], 'an upstream case has no kernel (the tfjs op is the subject)');
    if (f.kind !== 'upstream' && f.kernel === undefined)
      fail(['kernel'], 'missing: {"builtin": ...} or {"module": ...}');
    if (f.expect.kind !== 'pass' && (f.reason === undefined || f.reason.trim() === '')) {
      fail(['reason'], 'a known failure must say why it is kept (an upstream bug, an issue link)');
    }
    if (f.expect.message !== undefined && f.expect.kind !== 'threw')
      fail(['expect', 'message'], 'only a "threw" expectation names a message');
    if (f.backends && new Set(f.backends).size !== f.backends.length)
      fail(['backends'], `lists a backend twice: ${JSON.stringify(f.backends)}`);
  });

/** JSON with object keys sorted, so equal content hashes equally whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
