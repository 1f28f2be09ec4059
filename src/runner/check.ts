/**
 * The one check: a case of any kind through the kernel under test (awaited: a host kernel runs in
 * another process, a page or a native library) on one or several tfjs backends, judged against the
 * float64 reference and the same-precision baseline (src/oracle), and, with several backends, every
 * two backends against each other. Every command, search, replay and property goes through
 * `checkCase`.
 *
 *   per backend   run (suite.run) -> specs with the baseline (suite.specs) -> judge -> Verdict
 *                 branches of the run's outcome: `replay` (a kernel that drew its own dropout:
 *                 reference and specs of the material it ran on), `specs` (tensors the run stage
 *                 judges, its keep rate), `forwardOnly` (backward tensors 'skipped: forward only'),
 *                 `cause` (why it failed, when the run stage found out: the verdict's `cause`)
 *   case          unsupported if any backend declines; else the first backend that fails, its
 *                 verdict naming it; else 'disagree' when two backends differ by more than
 *
 *                   allowed_t(a, b) = max(allowed_t(a), allowed_t(b))
 *
 * where allowed_t(x) is the oracle's allowance for tensor t on backend x. Not their sum: two
 * passing backends are always within allowed(a) + allowed(b) of each other (triangle inequality),
 * so a sum would never fire before the oracle does. The larger allowance is the strictest bound
 * with a margin: two backends must agree at least as well as the looser of them agrees with
 * float64. Elements where the reference is not finite are skipped, as the oracle skips them.
 */
import {
  type AnyBackend,
  activeBackend,
  type BackendName,
  isPageBackend,
  switchBackendSync,
} from '../backend/index.js';
import { type HostTensor, sameShape, unravel } from '../contract/index.js';
import {
  type Disagreement,
  foldTensorVerdicts,
  isFailure,
  judge,
  type TensorSpec,
  type TensorVerdict,
  type Verdict,
} from '../oracle/index.js';
import { kernelOn, type WithPages } from './pages.js';
import { type AnyCase, suiteOf } from './suites/index.js';

export interface BackendRun {
  readonly backend: string;
  readonly verdict: Verdict;
  /** The kernel's tensors by name, when it ran. */
  readonly tensors: ReadonlyMap<string, HostTensor> | null;
}

export interface CaseCheck<C extends AnyCase = AnyCase> {
  readonly case: C;
  /** The kernel as reports name it. */
  readonly kernel: string;
  readonly verdict: Verdict;
  readonly runs: readonly BackendRun[];
  /** What each tensor was judged against (the reference; for a training trajectory, the baseline run). */
  readonly expected: ReadonlyMap<string, HostTensor>;
  /** The suite's materialised case (tensors, options), for reports. */
  readonly material: unknown;
  /** The worst disagreement of each pair of backends that both ran, within the tolerance or not. */
  readonly disagreements: readonly Disagreement[];
}

export interface CheckOptions {
  /**
   * Backends to run on, in order (each initialised beforehand: `prepareBackends`; a page backend's page
   * opened: `withPages`); default the active one.
   */
  readonly backends?: readonly AnyBackend[];
  /**
   * Ask the suite why a failure failed when the run stage did not say (suite.explain: a few more
   * runs of the kernel); search asks for the case it reports, not for every candidate it shrinks.
   */
  readonly explain?: boolean;
  /** Adds each stage's milliseconds here (`attnfuzz bench`: where a case's time goes). */
  readonly timings?: StageTimings;
}

/** Milliseconds spent per stage of checkCase, summed over the cases it was given to. */
export interface StageTimings {
  materialise: number;
  reference: number;
  /** The kernel under test: upload, forward, backward, download. */
  kernel: number;
  /** The same-precision baseline and the tolerances (suite.specs). */
  baseline: number;
  judge: number;
}

export const noTimings = (): StageTimings => ({ materialise: 0, reference: 0, kernel: 0, baseline: 0, judge: 0 });

/** f(), its milliseconds added to `t[stage]` when timing. */
function timed<T>(t: StageTimings | undefined, stage: keyof StageTimings, f: () => T): T {
  if (t === undefined) return f();
  const t0 = performance.now();
  try {
    return f();
  } finally {
    t[stage] += performance.now() - t0;
  }
}

/** await f(), its milliseconds added to `t[stage]` when timing. */
async function timedAsync<T>(t: StageTimings | undefined, stage: keyof StageTimings, f: () => Promise<T>): Promise<T> {
  if (t === undefined) return f();
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    t[stage] += performance.now() - t0;
  }
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

function allowedOf(v: Verdict, tensor: string): number | null {
  if (!('tensors' in v)) return null;
  const t = v.tensors.find((x) => x.tensor === tensor);
  return t && (t.status === 'pass' || t.status === 'mismatch') ? t.allowed : null;
}

/** The worst disagreement of two runs by maxDiff / allowed, or null if either did not run. */
export function disagreementOf(a: BackendRun, b: BackendRun, specs: readonly TensorSpec[]): Disagreement | null {
  if (!a.tensors || !b.tensors) return null;
  let worst: Disagreement | null = null;
  const ratio = (d: Disagreement) => (d.maxDiff === 0 ? 0 : d.maxDiff / d.allowed);
  for (const spec of specs) {
    const [ta, tb, ref] = [a.tensors.get(spec.name), b.tensors.get(spec.name), spec.expected];
    // the oracle reports shapes
    if (!ta || !tb || !sameShape(ta.shape, ref.shape) || !sameShape(tb.shape, ref.shape)) continue;
    const [xa, xb] = [allowedOf(a.verdict, spec.name), allowedOf(b.verdict, spec.name)];
    if (xa === null && xb === null) continue;
    const { diff, at } = worstPair(ta, tb, ref);
    if (at < 0) continue;
    const worstAt = { index: unravel(ref.shape, at), ...(spec.axes ? { axes: spec.axes } : {}) };
    const d: Disagreement = {
      a: a.backend,
      b: b.backend,
      tensor: spec.name,
      maxDiff: diff,
      allowed: Math.max(xa ?? 0, xb ?? 0),
      worst: worstAt,
      valueA: ta.data[at]!,
      valueB: tb.data[at]!,
      ref: ref.data[at]!,
    };
    if (worst === null || ratio(d) > ratio(worst)) worst = d;
  }
  return worst;
}

/** Folds per-backend verdicts and pairwise disagreements into the case's verdict. */
export function foldBackends(runs: readonly BackendRun[], disagreements: readonly Disagreement[]): Verdict {
  const several = runs.length > 1;
  const declined = runs.find((r) => r.verdict.status === 'unsupported');
  if (declined) return declined.verdict;
  const failing = runs.find((r) => isFailure(r.verdict));
  if (failing) return several ? { ...failing.verdict, backend: failing.backend } : failing.verdict;
  const over = disagreements
    .filter((d) => d.maxDiff > d.allowed)
    .sort((x, y) => y.maxDiff / y.allowed - x.maxDiff / x.allowed);
  return over.length > 0 ? { status: 'disagree', disagreement: over[0]! } : runs[0]!.verdict;
}

/** The verdict of a run that had no backward: the forward tensors judged, the others 'skipped: forward only'. */
export function judgeForwardOnly(got: ReadonlyMap<string, HostTensor>, specs: readonly TensorSpec[]): Verdict {
  const v = judge(
    got,
    specs.filter((x) => x.pass === 'forward'),
  );
  if (!('tensors' in v)) return v;
  const skipped: TensorVerdict[] = specs
    .filter((x) => x.pass === 'backward')
    .map((x) => ({
      tensor: x.name,
      pass: x.pass,
      ...(x.group !== undefined ? { group: x.group } : {}),
      status: 'skipped',
      reason: FORWARD_ONLY,
    }));
  return foldTensorVerdicts([...v.tensors, ...skipped]);
}

/** Why backward tensors are not judged in a forward-only run (the verdict's lines say which passes ran). */
export const FORWARD_ONLY = 'forward only (the kernel has no backward)';

/** One case through one kernel on each backend (the active one by default), judged. */
export async function checkCase<C extends AnyCase>(c: C, k: WithPages, o: CheckOptions = {}): Promise<CaseCheck<C>> {
  const suite = suiteOf(c);
  const t = o.timings;
  const material = timed(t, 'materialise', () => suite.materialise(c));
  const reference = timed(t, 'reference', () => suite.reference(c, material));
  // tfjs picks its backend lazily: before any op there may be none active yet.
  const before = activeBackend() as BackendName | undefined;
  const backends: ReadonlyArray<AnyBackend | null> = o.backends && o.backends.length > 0 ? o.backends : [null];
  const runs: BackendRun[] = [];
  let specs: readonly TensorSpec[] = [];
  try {
    for (const wanted of backends) {
      // A page backend runs the kernel's twin in its page (pages.ts); the others, tfjs in this process.
      const page = wanted !== null && isPageBackend(wanted);
      if (wanted !== null && !page && wanted !== activeBackend()) switchBackendSync(wanted as BackendName);
      const kernel = kernelOn(k, wanted);
      const outcome = await timedAsync(t, 'kernel', () => suite.run(kernel, c, material));
      const backend = wanted ?? activeBackend();
      if (outcome.status !== 'ok') {
        runs.push({ backend, verdict: outcome, tensors: null });
        continue;
      }
      // The baseline runs only for a case the kernel ran: an unsupported case costs nothing more.
      // A kernel that drew its own dropout is judged against the reference of what it drew.
      const ran = outcome.replay ?? material;
      const s: TensorSpec[] = timed(t, 'baseline', () => [
        ...suite.specs(k, c, ran, outcome.replay === undefined ? reference : suite.reference(c, ran)),
        ...(outcome.specs ?? []),
      ]);
      if (specs.length === 0) specs = s;
      const verdict = timed(t, 'judge', () =>
        outcome.forwardOnly ? judgeForwardOnly(outcome.tensors, s) : judge(outcome.tensors, s),
      );
      let cause = outcome.cause;
      if (cause === undefined && o.explain === true && isFailure(verdict) && suite.explain) {
        const fails = (got: ReadonlyMap<string, HostTensor>) =>
          isFailure(outcome.forwardOnly ? judgeForwardOnly(got, s) : judge(got, s));
        cause = (await suite.explain(kernel, c, ran, fails)) ?? undefined;
      }
      runs.push({
        backend,
        verdict: cause !== undefined && isFailure(verdict) ? { ...verdict, cause } : verdict,
        tensors: outcome.tensors,
      });
    }
  } finally {
    if (before !== undefined && activeBackend() !== before) switchBackendSync(before);
  }
  const disagreements: Disagreement[] = [];
  for (let i = 0; i < runs.length; i++)
    for (let j = i + 1; j < runs.length; j++) {
      const d = disagreementOf(runs[i]!, runs[j]!, specs);
      if (d) disagreements.push(d);
    }
  return {
    case: c,
    kernel: k.label,
    verdict: foldBackends(runs, disagreements),
    runs,
    expected: new Map(specs.map((s) => [s.name, s.expected])),
    material,
    disagreements,
  };
}
