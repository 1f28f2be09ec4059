/**
 * The cross-backend check of one case: the kernel on each listed tfjs backend, each judged by the
 * oracle against the float64 reference (with the baseline run on the same backend), and every
 * pair of backends compared with each other. The case fails if any backend fails the oracle or
 * any two backends disagree by more than
 *
 *   allowed_t(a, b) = max(allowed_t(a), allowed_t(b))
 *
 * where allowed_t(x) is the oracle's allowance for tensor t on backend x (k_t · baseline error +
 * floor, src/oracle/tolerance.ts). Why the larger of the two and not their sum: each passing
 * backend is within its allowance of the reference, so by the triangle inequality two passing
 * backends are always within allowed(a) + allowed(b) of each other: a sum would never fire before
 * the oracle does and would add nothing. The larger allowance is the strictest bound with a
 * margin: two backends must agree with each other at least as well as the looser of them must
 * agree with float64. Correct kernels use at most 0.16 of the allowance (tolerance.ts), so two of
 * them differ by at most ~0.3 of it; a backend-dependent deviation that stays within the allowance
 * on each side (+0.8·allowed on one backend, -0.8·allowed on the other) is caught.
 * Elements where the reference is not finite are skipped, as the oracle skips them.
 *
 * Backends are switched synchronously (`switchBackendSync`) so the check fits fast-check's
 * synchronous property like the single-backend search: tfjs-core 4.22's Engine.setBackend is an
 * async function whose only `await` is the first initialisation of a backend; for a backend in
 * `engine.registry` every effect (backendInstance, kernel setup, profiler) happens before it
 * returns. `prepareBackends` initialises every listed backend once, asynchronously, up front.
 */
import { tf, useBackend, type BackendName } from '../backend/index.js';
import type { AttentionCase } from '../case/index.js';
import { ATTENTION_TENSORS, sameShape, unravel, type AttentionTensorName, type HostTensor } from '../contract/index.js';
import { formatLocation, isFailure, summarizeVerdict, type Location, type Verdict } from '../oracle/index.js';
import { checkCase, type CaseCheck } from './differential.js';
import type { KernelUnderTest } from './kernels.js';

export interface BackendCheck {
  readonly backend: BackendName;
  readonly check: CaseCheck;
}

/** The worst disagreement of two backends on one case (over tensors, by maxDiff / allowed). */
export interface Disagreement {
  readonly a: BackendName;
  readonly b: BackendName;
  readonly tensor: AttentionTensorName;
  /** max |a - b| over the elements where the reference is finite (Infinity if one is not finite). */
  readonly maxDiff: number;
  /** max(allowed_t(a), allowed_t(b)): see the header. */
  readonly allowed: number;
  readonly worst: Location;
  readonly valueA: number;
  readonly valueB: number;
  readonly ref: number;
}

/**
 *   'pass'             every backend passes the oracle and no two disagree beyond the tolerance
 *   'unsupported'      the kernel declined the case (on any backend): skipped, not a failure
 *   'backend-failure'  a backend fails the oracle (the first in the listed order); its verdict
 *   'disagree'         all pass the oracle, but two backends differ by more than the tolerance
 */
export type CrossVerdict =
  | { readonly status: 'pass' }
  | { readonly status: 'unsupported'; readonly reason: string }
  | { readonly status: 'backend-failure'; readonly backend: BackendName; readonly verdict: Verdict }
  | { readonly status: 'disagree'; readonly disagreement: Disagreement };

export interface CrossCheck {
  readonly case: AttentionCase;
  readonly kernel: string;
  readonly runs: readonly BackendCheck[];
  /** The worst disagreement of each pair that both ran, within the tolerance or not. */
  readonly disagreements: readonly Disagreement[];
  readonly verdict: CrossVerdict;
}

export function isCrossFailure(v: CrossVerdict): boolean {
  return v.status === 'backend-failure' || v.status === 'disagree';
}

/** Initialises every listed backend (async, once) and restores the active one. Throws BackendUnavailableError. */
export async function prepareBackends(backends: readonly BackendName[]): Promise<void> {
  const before = tf.getBackend() as BackendName | undefined;
  for (const b of backends) await useBackend(b);
  if (before && before !== tf.getBackend()) await useBackend(before);
}

/** Makes an initialised backend active without awaiting (see the header for why this is safe). */
export function switchBackendSync(name: BackendName): void {
  if (tf.engine().registry[name] == null) throw new Error(`cross-backend: backend '${name}' is not initialised (call prepareBackends first)`);
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`cross-backend: switching to '${name}' did not take effect synchronously`);
}

function allowedOf(check: CaseCheck, t: AttentionTensorName): number | null {
  const v = check.verdict;
  if (v.status !== 'pass' && v.status !== 'mismatch') return null;
  const tv = v.tensors.find((x) => x.tensor === t);
  return tv && (tv.status === 'pass' || tv.status === 'mismatch') ? tv.allowed : null;
}

function location(t: AttentionTensorName, shape: readonly number[], flat: number): Location {
  const [b, h, i, j] = unravel(shape, flat) as [number, number, number, number];
  return { b, h, i, j, axes: t === 'dk' || t === 'dv' ? ['key', 'dim'] : ['query', 'dim'] };
}

function worstPair(x: HostTensor, y: HostTensor, ref: HostTensor): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let n = 0; n < ref.data.length; n++) {
    if (!Number.isFinite(ref.data[n]!)) continue;
    const a = x.data[n]!;
    const b = y.data[n]!;
    const d = Object.is(a, b) ? 0 : Number.isFinite(a) && Number.isFinite(b) ? Math.abs(a - b) : Infinity;
    if (d > diff || at < 0) [diff, at] = [d, n];
  }
  return { diff, at };
}

/** The worst disagreement of two runs by maxDiff / allowed, or null if either did not run. */
export function disagreementOf(a: BackendCheck, b: BackendCheck): Disagreement | null {
  const [ra, rb] = [a.check.result, b.check.result];
  if (!ra || !rb) return null;
  let worst: Disagreement | null = null;
  const ratio = (d: Disagreement) => (d.maxDiff === 0 ? 0 : d.maxDiff / d.allowed);
  for (const t of ATTENTION_TENSORS) {
    const ref = a.check.reference[t];
    if (!sameShape(ra[t].shape, ref.shape) || !sameShape(rb[t].shape, ref.shape)) continue; // the oracle reports shapes
    const [xa, xb] = [allowedOf(a.check, t), allowedOf(b.check, t)];
    if (xa === null && xb === null) continue;
    const allowed = Math.max(xa ?? 0, xb ?? 0);
    const { diff, at } = worstPair(ra[t], rb[t], ref);
    if (at < 0) continue;
    const d: Disagreement = { a: a.backend, b: b.backend, tensor: t, maxDiff: diff, allowed, worst: location(t, ref.shape, at), valueA: ra[t].data[at]!, valueB: rb[t].data[at]!, ref: ref.data[at]! };
    if (worst === null || ratio(d) > ratio(worst)) worst = d;
  }
  return worst;
}

/** Folds per-backend verdicts and pairwise disagreements into the case's verdict. */
export function crossVerdictOf(runs: readonly BackendCheck[], disagreements: readonly Disagreement[]): CrossVerdict {
  const unsupported = runs.find((r) => r.check.verdict.status === 'unsupported');
  if (unsupported && unsupported.check.verdict.status === 'unsupported') return { status: 'unsupported', reason: unsupported.check.verdict.reason };
  const failing = runs.find((r) => isFailure(r.check.verdict));
  if (failing) return { status: 'backend-failure', backend: failing.backend, verdict: failing.check.verdict };
  const over = disagreements.filter((d) => d.maxDiff > d.allowed).sort((x, y) => y.maxDiff / y.allowed - x.maxDiff / x.allowed);
  return over.length > 0 ? { status: 'disagree', disagreement: over[0]! } : { status: 'pass' };
}

/** One case on every listed (prepared) backend; the previously active backend is restored. */
export function crossCheckCase(c: AttentionCase, k: KernelUnderTest, backends: readonly BackendName[]): CrossCheck {
  const before = tf.getBackend() as BackendName | undefined; // undefined until tfjs first sets one
  const runs: BackendCheck[] = [];
  try {
    for (const backend of backends) {
      switchBackendSync(backend);
      runs.push({ backend, check: checkCase(c, k) });
    }
  } finally {
    if (before && tf.getBackend() !== before) switchBackendSync(before);
  }
  const disagreements: Disagreement[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const d = disagreementOf(runs[i]!, runs[j]!);
      if (d) disagreements.push(d);
    }
  }
  return { case: c, kernel: k.label, runs, disagreements, verdict: crossVerdictOf(runs, disagreements) };
}

const e = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
const g = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));

export function formatDisagreement(d: Disagreement): string {
  const word = d.maxDiff > d.allowed ? 'DISAGREE' : 'agree';
  return `${d.a} vs ${d.b}: ${d.tensor} ${word} max|a-b|=${e(d.maxDiff)} allowed=${e(d.allowed)} @ ${formatLocation(d.worst)} ${d.a}=${g(d.valueA)} ${d.b}=${g(d.valueB)} ref=${g(d.ref)}`;
}

/** The status saved with a cross-backend failure: the failing backend's verdict status, or 'disagree'. */
export function crossStatus(v: CrossVerdict): string {
  return v.status === 'backend-failure' ? v.verdict.status : v.status;
}

/** One line naming the backend(s): saved with a failure and compared by replay. */
export function summarizeCross(v: CrossVerdict): string {
  switch (v.status) {
    case 'pass':
      return 'pass';
    case 'unsupported':
      return `UNSUPPORTED: ${v.reason}`;
    case 'backend-failure':
      return `${v.backend}: ${summarizeVerdict(v.verdict)}`;
    case 'disagree':
      return formatDisagreement(v.disagreement);
  }
}
