/**
 * The oracle: compares a kernel's out, dq, dk, dv with the float64 reference, tensor by tensor,
 * shape before values, with the tolerance of `tolerance.ts`.
 */
import {
  ATTENTION_TENSORS,
  maxAbs,
  sameShape,
  unravel,
  type AttentionResult,
  type AttentionTensorName,
  type HostTensor,
  type Precision,
} from '../contract/index.js';
import { allowedError, floorFor, type TensorScales } from './tolerance.js';
import { foldTensorVerdicts, type Location, type TensorVerdict, type Verdict } from './verdict.js';

/** What the oracle needs: the kernel's result, the reference, and the baseline's (null if it failed). */
export interface JudgeInput {
  readonly kernel: AttentionResult;
  readonly reference: AttentionResult;
  readonly baseline: AttentionResult | null;
  readonly precision: Precision;
  /** Typical term sizes per tensor (`naturalScales`); the floor uses max(max|ref|, this). */
  readonly scales?: TensorScales;
}

function locationOf(tensor: AttentionTensorName, shape: readonly number[], flat: number): Location {
  const [b, h, i, j] = unravel(shape, flat) as [number, number, number, number];
  const axes = tensor === 'dk' || tensor === 'dv' ? (['key', 'dim'] as const) : (['query', 'dim'] as const);
  return { b, h, i, j, axes };
}

/** max |a - ref| over elements where the reference is finite, with its position; -1 if none differ. */
function worstDiff(a: HostTensor, ref: HostTensor): { error: number; at: number; nonfiniteAt: number } {
  let error = 0;
  let at = -1;
  for (let n = 0; n < ref.data.length; n++) {
    const r = ref.data[n]!;
    if (!Number.isFinite(r)) continue; // the reference's own overflow: nothing to judge there
    const x = a.data[n]!;
    if (!Number.isFinite(x)) return { error: Infinity, at: n, nonfiniteAt: n };
    const d = Math.abs(x - r);
    if (d > error || at < 0) {
      error = d;
      at = n;
    }
  }
  return { error, at, nonfiniteAt: -1 };
}

/** The verdict of one tensor. */
export function judgeTensor(
  tensor: AttentionTensorName,
  got: HostTensor,
  ref: HostTensor,
  baseline: HostTensor | null,
  precision: Precision,
  naturalScale = 0,
): TensorVerdict {
  if (!sameShape(got.shape, ref.shape)) return { status: 'shape', tensor, expected: ref.shape, received: got.shape };
  const w = worstDiff(got, ref);
  if (w.nonfiniteAt >= 0) {
    const n = w.nonfiniteAt;
    return { status: 'nonfinite', tensor, worst: locationOf(tensor, ref.shape, n), ref: ref.data[n]!, got: got.data[n]! };
  }
  const baselineError = baseline !== null && sameShape(baseline.shape, ref.shape) ? worstDiff(baseline, ref).error : null;
  const floor = floorFor(precision, Math.max(maxAbs(ref), naturalScale));
  const allowed = allowedError(tensor, baselineError, floor);
  const tol = { error: w.error, allowed, baselineError: baselineError !== null && Number.isFinite(baselineError) ? baselineError : null, floor };
  if (w.at < 0) return { status: 'pass', tensor, worst: null, ref: 0, got: 0, ...tol };
  const where = { worst: locationOf(tensor, ref.shape, w.at), ref: ref.data[w.at]!, got: got.data[w.at]! };
  return w.error <= allowed ? { status: 'pass', tensor, ...where, ...tol } : { status: 'mismatch', tensor, ...where, ...tol };
}

/** The verdict of a kernel that ran: every tensor judged, folded into one status. */
export function judgeAttention(input: JudgeInput): Verdict {
  const tensors = ATTENTION_TENSORS.map((t) =>
    judgeTensor(t, input.kernel[t], input.reference[t], input.baseline ? input.baseline[t] : null, input.precision, input.scales?.[t] ?? 0),
  );
  return foldTensorVerdicts(tensors);
}
