/**
 * Verdicts: what the oracle says about one kernel on one case, as documented discriminated unions
 * (the tinybench way: `status` decides which fields exist).
 *
 * Per tensor (out, dq, dk, dv), checked in this order: shape first, then finiteness, then values.
 *
 *   'pass'       error <= allowed
 *   'mismatch'   error >  allowed                  (worst element, its reference and kernel values)
 *   'nonfinite'  NaN or ±Inf where the reference is finite (always a failure, whatever the tolerance)
 *   'shape'      the kernel's tensor has the wrong shape (values are not compared)
 *
 * Per case: the tensor verdicts folded into one status, or one of
 *
 *   'threw'        the kernel threw where the reference succeeded (forward or backward)
 *   'unsupported'  the kernel's `supports` declined the case (skipped, not a failure)
 */
import type { AttentionTensorName } from '../contract/index.js';

/**
 * The worst element's coordinates. For out and dq the tensor is [B, Hq, Sq, D|Dv]: h is the query
 * head, i the query and j the head-dim index. For dk and dv it is [B, Hkv, Sk, D|Dv]: h is the kv
 * head, i the key and j the head-dim index. `axes` says which, so a report never has to guess.
 */
export interface Location {
  readonly b: number;
  readonly h: number;
  readonly i: number;
  readonly j: number;
  readonly axes: readonly ['query', 'dim'] | readonly ['key', 'dim'];
}

/** What the error of a tensor was measured against. */
export interface Tolerance {
  /** max |kernel - ref| */
  readonly error: number;
  /** k_t · baselineError + floor */
  readonly allowed: number;
  /** max |baseline - ref|, or null when the baseline itself failed (then allowed = floor). */
  readonly baselineError: number | null;
  readonly floor: number;
}

export type TensorVerdict =
  | ({ readonly status: 'pass'; readonly tensor: AttentionTensorName; readonly worst: Location | null; readonly ref: number; readonly got: number } & Tolerance)
  | ({ readonly status: 'mismatch'; readonly tensor: AttentionTensorName; readonly worst: Location; readonly ref: number; readonly got: number } & Tolerance)
  | { readonly status: 'nonfinite'; readonly tensor: AttentionTensorName; readonly worst: Location; readonly ref: number; readonly got: number }
  | { readonly status: 'shape'; readonly tensor: AttentionTensorName; readonly expected: readonly number[]; readonly received: readonly number[] };

export type FailingTensorVerdict = Exclude<TensorVerdict, { status: 'pass' }>;

export type Verdict =
  | { readonly status: 'pass'; readonly tensors: readonly TensorVerdict[] }
  /** `failing` is the tensor reported first: the most severe (shape > nonfinite > mismatch), earliest in out, dq, dk, dv. */
  | { readonly status: 'mismatch' | 'nonfinite' | 'shape'; readonly tensors: readonly TensorVerdict[]; readonly failing: FailingTensorVerdict }
  | { readonly status: 'threw'; readonly phase: 'forward' | 'backward'; readonly message: string }
  | { readonly status: 'unsupported'; readonly reason: string };

export type VerdictStatus = Verdict['status'];

/** True for the statuses that make a property fail. */
export function isFailure(v: Pick<Verdict, 'status'>): boolean {
  return v.status !== 'pass' && v.status !== 'unsupported';
}

const SEVERITY: Record<FailingTensorVerdict['status'], number> = { shape: 3, nonfinite: 2, mismatch: 1 };

/** Folds tensor verdicts (in out, dq, dk, dv order) into the case verdict. */
export function foldTensorVerdicts(tensors: readonly TensorVerdict[]): Verdict {
  let failing: FailingTensorVerdict | null = null;
  for (const t of tensors) {
    if (t.status === 'pass') continue;
    if (failing === null || SEVERITY[t.status] > SEVERITY[failing.status]) failing = t;
  }
  if (failing === null) return { status: 'pass', tensors };
  return { status: failing.status, tensors, failing };
}
