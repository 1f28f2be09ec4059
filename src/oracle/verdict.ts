/**
 * Verdicts: what the oracle says about one kernel on one case, whatever its kind (attention, LoRA,
 * training step, upstream op), as documented discriminated unions (the tinybench way: `status`
 * decides which fields exist).
 *
 * Per tensor (`out`, `dq`, `dB layers.0.q`, `logits`, ...), checked in this order: shape, then
 * finiteness, then values.
 *
 *   'pass'       error <= allowed
 *   'mismatch'   error >  allowed                  (worst element, its reference and kernel values)
 *   'nonfinite'  NaN or ±Inf where the reference is finite (always a failure, whatever the tolerance)
 *   'shape'      the kernel's tensor has the wrong shape (values are not compared)
 *   'skipped'    not judged: the forward output already failed (shape or NaN), so what its
 *                gradients compare to says nothing new and would only mislead
 *
 * Per case: the tensor verdicts folded into one status, or one of
 *
 *   'threw'        the kernel threw where the reference succeeded (forward or backward)
 *   'unsupported'  the kernel declined the case (skipped, not a failure)
 *   'disagree'     every backend passed the oracle, but two of them differ beyond the tolerance
 *
 * `backend` names the backend a failure happened on when the case ran on several. `cause` says why
 * a failing case failed, when the run stage found out beyond the numbers (a NaN that reached an
 * output only through NaN junk at keys no query may see, naming the key); reports print it as a
 * `why:` line (formatVerdict.ts), the one place it is written.
 */

/** Which pass produced a tensor: the forward output, or a gradient of the backward pass. */
export type Pass = 'forward' | 'backward';

/**
 * The worst element's coordinates, with the name of each axis when the tensor has named axes:
 * attention's out/dq are [b, h, query, dim] (h the query head), dk/dv [b, h, key, dim] (h the kv head).
 */
export interface Location {
  readonly index: readonly number[];
  readonly axes?: readonly string[];
}

/** What the error of a tensor was measured against. */
export interface Tolerance {
  /** max |kernel - ref| */
  readonly error: number;
  /** k_t · baselineError + floor (or the suite's rule; see src/oracle/tolerance.ts) */
  readonly allowed: number;
  /** max |baseline - ref|, or null when there is no baseline or it failed (then allowed = floor). */
  readonly baselineError: number | null;
  readonly floor: number;
}

interface Named {
  readonly tensor: string;
  readonly pass: Pass;
  /** A heading the tensor belongs to in reports (training: `sdpa vs float64 reference, step 1`). */
  readonly group?: string;
}

export type TensorVerdict =
  | (Named & {
      readonly status: 'pass';
      readonly worst: Location | null;
      readonly ref: number;
      readonly got: number;
    } & Tolerance)
  | (Named & {
      readonly status: 'mismatch';
      readonly worst: Location;
      readonly ref: number;
      readonly got: number;
    } & Tolerance)
  | (Named & { readonly status: 'nonfinite'; readonly worst: Location; readonly ref: number; readonly got: number })
  | (Named & { readonly status: 'shape'; readonly expected: readonly number[]; readonly received: readonly number[] })
  | (Named & { readonly status: 'skipped'; readonly reason: string });

export type FailingTensorVerdict = Extract<TensorVerdict, { status: 'mismatch' | 'nonfinite' | 'shape' }>;

/** The worst disagreement of two backends on one case (over tensors, by maxDiff / allowed). */
export interface Disagreement {
  readonly a: string;
  readonly b: string;
  readonly tensor: string;
  /** max |a - b| over the elements where the reference is finite (Infinity if one is not finite). */
  readonly maxDiff: number;
  /** max(allowed_t(a), allowed_t(b)): two backends agree at least as well as the looser must agree with float64. */
  readonly allowed: number;
  readonly worst: Location;
  readonly valueA: number;
  readonly valueB: number;
  readonly ref: number;
}

export type Verdict = (
  | { readonly status: 'pass'; readonly tensors: readonly TensorVerdict[] }
  /**
   * `failing` is the tensor reported first: the most severe (shape > nonfinite > mismatch), earliest in report order.
   */
  | {
      readonly status: 'mismatch' | 'nonfinite' | 'shape';
      readonly tensors: readonly TensorVerdict[];
      readonly failing: FailingTensorVerdict;
    }
  | { readonly status: 'threw'; readonly phase: Pass; readonly message: string }
  | { readonly status: 'unsupported'; readonly reason: string }
  | { readonly status: 'disagree'; readonly disagreement: Disagreement }
) & { readonly backend?: string; readonly cause?: string };

export type VerdictStatus = Verdict['status'];

/** True for the statuses that make a property fail. */
export function isFailure(v: Pick<Verdict, 'status'>): boolean {
  return v.status !== 'pass' && v.status !== 'unsupported';
}

const SEVERITY: Record<FailingTensorVerdict['status'], number> = { shape: 3, nonfinite: 2, mismatch: 1 };

/** Folds tensor verdicts (in report order) into the case verdict. */
export function foldTensorVerdicts(tensors: readonly TensorVerdict[]): Verdict {
  let failing: FailingTensorVerdict | null = null;
  for (const t of tensors) {
    if (t.status === 'pass' || t.status === 'skipped') continue;
    if (failing === null || SEVERITY[t.status] > SEVERITY[failing.status]) failing = t;
  }
  if (failing === null) return { status: 'pass', tensors };
  return { status: failing.status, tensors, failing };
}

/**
 * What must reproduce for a saved case: a verdict kind, and for tensor verdicts the tensor
 * (`{ kind: 'mismatch', tensor: 'dq' }`); `{ kind: 'pass' }` for a regression test.
 */
export interface Expectation {
  readonly kind: Exclude<VerdictStatus, 'unsupported'>;
  readonly tensor?: string;
  /** For 'threw': a substring of the error message. */
  readonly message?: string;
}

/** The expectation a verdict meets: its status and, when it names one, its failing tensor. */
export function expectationOf(v: Verdict): { readonly kind: VerdictStatus; readonly tensor?: string } {
  if (v.status === 'mismatch' || v.status === 'nonfinite' || v.status === 'shape')
    return { kind: v.status, tensor: v.failing.tensor };
  if (v.status === 'disagree') return { kind: v.status, tensor: v.disagreement.tensor };
  return { kind: v.status };
}

/** True iff the verdict is what the expectation names (tensor and message are compared only when given). */
export function meets(v: Verdict, e: Expectation): boolean {
  const got = expectationOf(v);
  if (got.kind !== e.kind || (e.tensor !== undefined && got.tensor !== e.tensor)) return false;
  return e.message === undefined || (v.status === 'threw' && v.message.includes(e.message));
}

export function formatExpectation(e: Expectation): string {
  if (e.kind === 'pass') return 'pass';
  return [
    e.kind,
    e.tensor !== undefined ? `in ${e.tensor}` : '',
    e.message !== undefined ? `(${JSON.stringify(e.message)})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
