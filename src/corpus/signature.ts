/**
 * Failure signatures: what makes two failures the same bug, so a campaign saves one file per
 * signature and counts later hits (the crash state of ClusterFuzz, for numerical kernels).
 *
 *   kernel   the kernel's label (built-in name or module path)
 *   suite    the kind of case (attention, lora, training, decode, upstream)
 *   kind     the verdict's status (mismatch, nonfinite, shape, threw, disagree) or what the
 *            campaign saw around the verdict: leak (tensors left alive per call), timeout (the
 *            case did not finish), crash (the worker died), nondeterministic (the shrunk case
 *            does not fail the same way twice)
 *   tensor   the failing tensor, and pass (forward | backward), when the verdict names one
 *   backend  where it failed, when the case ran on several
 *   detail   for threw: the message's first line with numbers and quoted text blanked
 *   features the case's features (features.ts); from the SHRUNK case they are what the bug needs
 *
 * A signature's id is its one-line text; its hash (16 hex digits of sha256 over the canonical
 * JSON) names the saved file, so shards writing one folder agree on the name of a signature.
 *
 * `covers(known, raw)`: a failure not yet shrunk is taken for a known signature when everything
 * but the features is equal and the raw case has every feature the known (shrunk) one needs.
 * This decides whether a failure is worth shrinking: shrinking is what costs.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Pass, Verdict } from '../oracle/index.js';
import { type AnyCase, CASE_KINDS, type CaseKind } from '../runner/index.js';
import { type Features, featuresOf, type TileRule } from './features.js';

export const FINDING_KINDS = [
  'mismatch',
  'nonfinite',
  'shape',
  'threw',
  'disagree',
  'leak',
  'timeout',
  'crash',
  'nondeterministic',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Signature {
  readonly kernel: string;
  readonly suite: CaseKind;
  readonly kind: FindingKind;
  readonly tensor?: string;
  readonly pass?: Pass;
  readonly backend?: string;
  readonly detail?: string;
  readonly features: Features;
}

/** What went wrong on a case, as a campaign sees it (a verdict that fails, or what it saw around it). */
export type Finding =
  | { readonly kind: 'verdict'; readonly verdict: Verdict }
  | { readonly kind: 'leak'; readonly tensors: number }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'crash'; readonly message: string }
  | { readonly kind: 'nondeterministic'; readonly first: string; readonly again: string };

/** The first line of an error with the parts that vary between cases blanked. */
export function messageShape(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/'[^']*'|"[^"]*"/g, "'…'")
    .replace(/\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N')
    .slice(0, 80);
}

function verdictParts(v: Verdict): Pick<Signature, 'tensor' | 'pass' | 'detail'> & { kind: FindingKind } {
  switch (v.status) {
    case 'mismatch':
    case 'nonfinite':
    case 'shape':
      return { kind: v.status, tensor: v.failing.tensor, pass: v.failing.pass };
    case 'threw':
      return { kind: 'threw', pass: v.phase, detail: messageShape(v.message) };
    case 'disagree':
      return { kind: 'disagree', tensor: v.disagreement.tensor };
    default:
      throw new Error(`signatureOf: a ${v.status} verdict is not a failure`);
  }
}

/**
 * The signature of a failure of `kernel` (its label; `tiles`: the tiles it runs, features.ts) on `c`. Timeouts and
 * crashes are not shrunk (a hung or
 * dead worker cannot be asked about simpler cases), so their raw features would split one bug
 * into as many signatures as cases: they are signed without features.
 */
export function signatureOf(c: AnyCase, kernel: string, f: Finding, tiles?: TileRule): Signature {
  const base = { kernel, suite: c.kind };
  switch (f.kind) {
    case 'verdict': {
      const parts = verdictParts(f.verdict);
      return {
        ...base,
        ...parts,
        ...(f.verdict.backend !== undefined ? { backend: f.verdict.backend } : {}),
        features: featuresOf(c, tiles),
      };
    }
    case 'leak':
    case 'nondeterministic':
      return { ...base, kind: f.kind, features: featuresOf(c, tiles) };
    case 'timeout':
    case 'crash':
      return { ...base, kind: f.kind, features: {} };
  }
}

/** One line: `flash attention mismatch dq backward [causal=bottom-right tile=partial]`. */
export function signatureText(s: Signature): string {
  const head = [
    s.kernel,
    s.suite,
    s.kind,
    s.tensor,
    s.pass,
    s.backend ? `on ${s.backend}` : undefined,
    s.detail ? `"${s.detail}"` : undefined,
  ].filter((x) => x !== undefined);
  const features = Object.keys(s.features)
    .sort()
    .map((k) => (s.features[k] === 'yes' ? k : `${k}=${s.features[k]}`));
  return `${head.join(' ')} [${features.join(' ')}]`;
}

/** The signature with its fields in one order and its features sorted: equal signatures, equal text. */
function canonical(s: Signature): string {
  const features = Object.fromEntries(
    Object.keys(s.features)
      .sort()
      .map((k) => [k, s.features[k]]),
  );
  const { kernel, suite, kind, tensor, pass, backend, detail } = s;
  return JSON.stringify({ kernel, suite, kind, tensor, pass, backend, detail, features });
}

/** 16 hex digits of sha256 over the signature's canonical JSON: the saved file's name. */
export function signatureHash(s: Signature): string {
  return createHash('sha256').update(canonical(s)).digest('hex').slice(0, 16);
}

/** The signature as saved files hold it (savedCase.ts), checked like every other field. */
export const signatureSchema = z.strictObject({
  kernel: z.string().min(1),
  suite: z.enum(CASE_KINDS as [CaseKind, ...CaseKind[]]),
  kind: z.enum(FINDING_KINDS),
  tensor: z.string().min(1).optional(),
  pass: z.enum(['forward', 'backward']).optional(),
  backend: z.string().min(1).optional(),
  detail: z.string().optional(),
  features: z.record(z.string(), z.string()),
});

/** True iff a raw (unshrunk) failure `raw` is taken for the known signature `known` (see the header). */
export function covers(known: Signature, raw: Signature): boolean {
  const same = (['kernel', 'suite', 'kind', 'tensor', 'pass', 'backend', 'detail'] as const).every(
    (k) => known[k] === raw[k],
  );
  return same && Object.entries(known.features).every(([k, v]) => raw.features[k] === v);
}
