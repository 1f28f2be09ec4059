/**
 * Saved failures: the file format of corpus/regressions/<hash>.json.
 *
 *   {
 *     "format": "attnfuzz-failure", "version": 1,
 *     "kind":    "attention" | "training",            absent = "attention" (files from before
 *                training failures were saved); "training" files are described in training.ts
 *     "case":    { ...AttentionCase },                 tensors are re-made from its seeds
 *     "kernel":  { "builtin": "flash" } | { "module": "path/to/kernel.ts" }   (module: relative to
 *                the folder replay runs from, as written on the command line)
 *     "expect":  "pass" | "fail",
 *     "reason":  "...",                                required when expect is "fail"
 *     "verdict": { "status": "mismatch", "summary": "dk MISMATCH maxAbs=... @ ..." },  when found
 *     "seed": 42, "path": "3:1:0",                      fast-check replay of the search, or null
 *     "backend": "cpu",
 *     "backends": ["cpu", "wasm"],                     optional: found by `check --backends`; replay
 *                then re-runs the case on each of them and compares them with each other
 *     "versions": { "attnfuzz": "0.1.0", "tfjs": "4.22.0" }
 *   }
 *
 * What replay asserts (see replay.ts):
 *   expect "pass"  the default for every failure `attnfuzz check` saves: the file is a regression
 *                  test. Once the kernel is fixed the case must pass; while it still fails, replay
 *                  fails and shows the verdict. So a failure of a built-in kernel saved in
 *                  corpus/regressions fails `npm test` until it is fixed, which is the point.
 *   expect "fail"  a known failure that is not ours to fix (upstream tfjs, a third-party kernel),
 *                  marked by hand with its reason: replay asserts it still fails the same way, and
 *                  says loudly when it starts passing (then the mark should go).
 *
 * The file name is a content hash of (case, kernel[, backends]): the same failure found twice is
 * one file. `backends` is optional and left out of the hash when absent, so files without it (all
 * files before it existed) keep their names and the version stays 1.
 */
import { createHash } from 'node:crypto';
import { BACKENDS, type BackendName } from '../backend/index.js';
import { parseCase, type AttentionCase } from '../case/index.js';
import { BUILTIN_KERNELS, type KernelRef } from '../runner/index.js';

export const FAILURE_FORMAT = 'attnfuzz-failure';
export const FAILURE_VERSION = 1;

export interface SavedFailure {
  readonly format: typeof FAILURE_FORMAT;
  readonly version: typeof FAILURE_VERSION;
  readonly case: AttentionCase;
  readonly kernel: KernelRef;
  readonly expect: 'pass' | 'fail';
  readonly reason?: string;
  readonly verdict: { readonly status: string; readonly summary: string };
  readonly seed: number | null;
  readonly path: string | null;
  readonly backend: string;
  /** Cross-backend failures only: the backends the case runs on, in order (at least two). */
  readonly backends?: readonly BackendName[];
  readonly versions: { readonly attnfuzz: string; readonly tfjs: string };
}

/** A saved failure that cannot be read; the message is one line naming the file and the field. */
export class CorpusFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusFileError';
  }
}

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

/** The file name stem: 16 hex digits of sha256 over the case and the kernel. */
export function failureHash(c: AttentionCase, kernel: KernelRef, backends?: readonly string[]): string {
  return createHash('sha256').update(canonicalJson({ case: c, kernel, backends })).digest('hex').slice(0, 16);
}

export function parseKernelRef(v: unknown, where: string): KernelRef {
  const o = v as Record<string, unknown> | null;
  if (o && typeof o === 'object' && typeof o.builtin === 'string' && (BUILTIN_KERNELS as readonly string[]).includes(o.builtin)) {
    return { builtin: o.builtin as KernelRef extends { builtin: infer B } ? B : never };
  }
  if (o && typeof o === 'object' && typeof o.module === 'string' && o.module.length > 0) return { module: o.module };
  throw new CorpusFileError(`${where}.kernel: expected {"builtin": ${BUILTIN_KERNELS.map((k) => `"${k}"`).join(' | ')}} or {"module": "<path>"}, got ${JSON.stringify(v)}`);
}

/** What a saved file holds; a file without `kind` is an attention failure. */
export const CASE_KINDS = ['attention', 'training'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

/** Checks format, version and kind of a parsed saved file and returns its kind; `where` is the file name. */
export function savedKind(value: unknown, where: string): CaseKind {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CorpusFileError(`${where}: expected a JSON object, got ${JSON.stringify(value)?.slice(0, 40)}`);
  const o = value as Record<string, unknown>;
  if (o.format !== FAILURE_FORMAT) throw new CorpusFileError(`${where}: format: expected "${FAILURE_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== FAILURE_VERSION) throw new CorpusFileError(`${where}: version: unknown version ${JSON.stringify(o.version)}, this attnfuzz reads version ${FAILURE_VERSION}`);
  const kind = o.kind ?? 'attention';
  if (!(CASE_KINDS as readonly unknown[]).includes(kind)) throw new CorpusFileError(`${where}: kind: unknown kind ${JSON.stringify(o.kind)}, this attnfuzz reads ${CASE_KINDS.map((k) => `"${k}"`).join(', ')} (none = "attention")`);
  return kind as CaseKind;
}

/**
 * The `expect` field of any saved file ("pass" by default: a saved failure is a regression test),
 * and the reason a file expected to fail must give.
 */
export function parseExpectation(o: Record<string, unknown>, where: string): 'pass' | 'fail' {
  const expect = o.expect ?? 'pass';
  if (expect !== 'pass' && expect !== 'fail') throw new CorpusFileError(`${where}: expect: expected "pass" or "fail", got ${JSON.stringify(o.expect)}`);
  if (expect === 'fail' && (typeof o.reason !== 'string' || o.reason.trim() === '')) {
    throw new CorpusFileError(`${where}: reason: a file with expect "fail" must say why (a known upstream failure, an issue link)`);
  }
  return expect;
}

/** Validates a parsed saved failure; `where` is the file name. */
export function parseSavedFailure(value: unknown, where: string): SavedFailure {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CorpusFileError(`${where}: expected a JSON object, got ${JSON.stringify(value)?.slice(0, 40)}`);
  const o = value as Record<string, unknown>;
  if (o.format !== FAILURE_FORMAT) throw new CorpusFileError(`${where}: format: expected "${FAILURE_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== FAILURE_VERSION) throw new CorpusFileError(`${where}: version: unknown version ${JSON.stringify(o.version)}, this attnfuzz reads version ${FAILURE_VERSION}`);
  if (savedKind(o, where) !== 'attention') throw new CorpusFileError(`${where}: kind: expected "attention" (or none), got ${JSON.stringify(o.kind)}: read it with parseSavedTrainingFailure`);
  let c: AttentionCase;
  try {
    c = parseCase(o.case, `${where}: case`);
  } catch (e) {
    throw new CorpusFileError((e as Error).message.split('\n')[0]!);
  }
  const kernel = parseKernelRef(o.kernel, where);
  const expect = parseExpectation(o, where);
  const verdict = o.verdict as { status?: unknown; summary?: unknown } | undefined;
  if (!verdict || typeof verdict.status !== 'string' || typeof verdict.summary !== 'string') {
    throw new CorpusFileError(`${where}: verdict: expected {"status": string, "summary": string}, got ${JSON.stringify(o.verdict)}`);
  }
  const backends = o.backends;
  if (backends !== undefined && (!Array.isArray(backends) || backends.length < 2 || !backends.every((b) => (BACKENDS as readonly unknown[]).includes(b)))) {
    throw new CorpusFileError(`${where}: backends: expected an array of at least two of ${BACKENDS.join(', ')}, got ${JSON.stringify(backends)}`);
  }
  const versions = (o.versions ?? {}) as Record<string, unknown>;
  return {
    format: FAILURE_FORMAT,
    version: FAILURE_VERSION,
    case: c,
    kernel,
    expect,
    ...(typeof o.reason === 'string' ? { reason: o.reason } : {}),
    verdict: { status: verdict.status, summary: verdict.summary },
    seed: typeof o.seed === 'number' ? o.seed : null,
    path: typeof o.path === 'string' ? o.path : null,
    backend: typeof o.backend === 'string' ? o.backend : 'cpu',
    ...(backends !== undefined ? { backends: backends as BackendName[] } : {}),
    versions: { attnfuzz: String(versions.attnfuzz ?? 'unknown'), tfjs: String(versions.tfjs ?? 'unknown') },
  };
}
