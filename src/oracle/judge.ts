/**
 * The oracle's one judge: compares named tensors of a kernel with their expected values (the
 * float64 reference, or for a training trajectory the baseline run), tensor by tensor, shape
 * before values, each with the allowance its suite derives (attention: tolerance.ts; LoRA: lora.ts;
 * training: src/training). Elements where the expected value is not finite are not judged: the
 * reference's own overflow, and the lse of a row with no visible key (-inf in the reference, +inf
 * in FlashAttention-2: a convention, src/contract/kernel.ts); `skip` leaves out elements that carry
 * no meaning (padded tokens).
 *
 * A forward tensor that fails by shape or a non-finite value makes the backward tensors
 * 'skipped': their gradients were taken through a broken output and their verdicts would mislead.
 */
import { type HostTensor, maxAbs, sameShape, unravel } from '../contract/index.js';
import { foldTensorVerdicts, type Pass, type TensorVerdict, type Verdict } from './verdict.js';

/** How one tensor is judged. */
export interface TensorSpec {
  readonly name: string;
  readonly pass: Pass;
  readonly group?: string;
  readonly expected: HostTensor;
  /** The same-precision baseline's tensor, or null when there is none (or it failed). */
  readonly baseline: HostTensor | null;
  /** The allowance given the baseline's error (null: no usable baseline). */
  allowance(baselineError: number | null): { readonly allowed: number; readonly floor: number };
  /** Names of the axes, for reports (`['b', 'h', 'query', 'dim']`). */
  readonly axes?: readonly string[];
  /** 0 at elements that are not judged (e.g. padded token positions); absent = all judged. */
  readonly weight?: ArrayLike<number>;
  /** true: judged only when the kernel produced it (an lse a kernel may or may not return). */
  readonly optional?: boolean;
}

/** max |a - ref| over judged elements where the reference is finite, with its position (-1: nothing judged). */
export function worstDiff(
  a: HostTensor,
  ref: HostTensor,
  weight?: ArrayLike<number>,
): { error: number; at: number; nonfiniteAt: number } {
  let error = 0;
  let at = -1;
  for (let n = 0; n < ref.data.length; n++) {
    if (weight && weight[n] === 0) continue;
    const r = ref.data[n]!;
    if (!Number.isFinite(r)) continue;
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

const locate = (spec: TensorSpec, flat: number) => ({
  index: unravel(spec.expected.shape, flat),
  ...(spec.axes ? { axes: spec.axes } : {}),
});

/** The verdict of one tensor; `got` undefined means the kernel did not produce it. */
export function judgeTensor(got: HostTensor | undefined, spec: TensorSpec): TensorVerdict {
  const named = { tensor: spec.name, pass: spec.pass, ...(spec.group !== undefined ? { group: spec.group } : {}) };
  const ref = spec.expected;
  if (got === undefined || !sameShape(got.shape, ref.shape))
    return { ...named, status: 'shape', expected: ref.shape, received: got?.shape ?? [] };
  const w = worstDiff(got, ref, spec.weight);
  if (w.nonfiniteAt >= 0) {
    const n = w.nonfiniteAt;
    return { ...named, status: 'nonfinite', worst: locate(spec, n), ref: ref.data[n]!, got: got.data[n]! };
  }
  const base =
    spec.baseline !== null && sameShape(spec.baseline.shape, ref.shape)
      ? worstDiff(spec.baseline, ref, spec.weight).error
      : null;
  const baselineError = base !== null && Number.isFinite(base) ? base : null;
  const { allowed, floor } = spec.allowance(baselineError);
  const tol = { error: w.error, allowed, baselineError, floor };
  if (w.at < 0) return { ...named, status: 'pass', worst: null, ref: 0, got: 0, ...tol };
  const where = { worst: locate(spec, w.at), ref: ref.data[w.at]!, got: got.data[w.at]! };
  return w.error <= allowed
    ? { ...named, status: 'pass', ...where, ...tol }
    : { ...named, status: 'mismatch', ...where, ...tol };
}

/** Every tensor of `specs` judged against `got` (by name) and folded into one verdict. */
export function judge(got: ReadonlyMap<string, HostTensor>, specs: readonly TensorSpec[]): Verdict {
  const tensors: TensorVerdict[] = [];
  let brokenForward: string | null = null;
  for (const spec of specs) {
    if (spec.pass === 'backward' && brokenForward !== null) {
      tensors.push({
        tensor: spec.name,
        pass: spec.pass,
        ...(spec.group !== undefined ? { group: spec.group } : {}),
        status: 'skipped',
        reason: `${brokenForward} failed`,
      });
      continue;
    }
    if (spec.optional === true && !got.has(spec.name)) continue;
    const v = judgeTensor(got.get(spec.name), spec);
    if (spec.pass === 'forward' && (v.status === 'shape' || v.status === 'nonfinite')) brokenForward ??= spec.name;
    tensors.push(v);
  }
  return foldTensorVerdicts(tensors);
}

/** The largest |x| of a tensor (finite values), for allowances relative to a tensor's magnitude. */
export { maxAbs };
