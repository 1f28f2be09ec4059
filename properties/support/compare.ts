/**
 * The one diff helper of the suites: tensor `a` against `b`, bit for bit or within a tolerance,
 * as a one-line outcome naming the label, how many elements differ and the worst one by its
 * coordinates.
 *
 *   'exact'          bit-identical (±0 equal, NaN equals NaN, a NaN where the other is finite differs)
 *   { rel, abs? }    |a - b| <= rel · scale + abs, scale = max(max|b|, natural) (1 if both are 0):
 *                    the norm-wise relative error of src/contract/compare.ts, measured against the
 *                    natural scale when that is larger (see `compareTensors`)
 *
 * `where` restricts the comparison to some elements (the rows a relation is about).
 */
import {
  ATTENTION_TENSORS,
  type AttentionResult,
  type AttentionTensorName,
  type HostTensor,
  maxAbs,
  type Precision,
  UNIT_ROUNDOFF,
  unravel,
} from '../../src/contract/index.js';
import { roundingScale } from '../../src/oracle/index.js';
import { attentionTermScales } from '../../src/reference/index.js';
import type { Material } from '../../src/runner/index.js';
import { allOf, type Outcome } from './engine.js';

/** A tolerance: bit-identical, or within rel · scale + abs. */
export type Tol = 'exact' | { readonly rel: number; readonly abs?: number };

/** `n` units of roundoff of each precision, as a relative tolerance. */
export function ulps(n: number): Record<Precision, Tol> {
  return {
    float32: { rel: n * UNIT_ROUNDOFF.float32 },
    bfloat16: { rel: n * UNIT_ROUNDOFF.bfloat16 },
    float16: { rel: n * UNIT_ROUNDOFF.float16 },
  };
}

/** Per tensor, what rounding and float32 arithmetic can do to it (src/oracle `roundingScale`), for `compareResults`. */
export function naturalOf(m: Material): Record<AttentionTensorName, number> {
  const t = attentionTermScales(m.inputs, m.options);
  return Object.fromEntries(
    ATTENTION_TENSORS.map((n) => [
      n,
      roundingScale(m.options.precision, { terms: t[n], logit: t.logit, keys: m.shapes.Sk }),
    ]),
  ) as Record<AttentionTensorName, number>;
}

/**
 * The largest relative error seen per label, whatever the verdict: how the tolerances of the
 * suites were measured (run a relation over fc.sample(cases) with { rel: 1 } and read this map).
 */
export const measured = new Map<string, number>();

const fmt = (x: number) => (Number.isFinite(x) && x !== 0 ? String(Number(x.toPrecision(4))) : String(x));

export interface CompareOptions {
  /** The size of the terms the tensor sums, when larger than max|b| (src/oracle `roundingScale`). */
  readonly natural?: number;
  /** Compare only the elements (flat indices) it selects. */
  readonly where?: (n: number) => boolean;
}

/**
 * `label` of `a` against `b`: null if they agree within `tol`. Relative to max|b|, or to
 * `natural` when larger, because gradients cancel (dq of near-tied keys is ~0 while its terms are
 * not) and rounding noise is relative to the terms, not to the result.
 */
export function compareTensors(
  label: string,
  a: HostTensor,
  b: HostTensor,
  tol: Tol,
  o: CompareOptions = {},
): string | null {
  if (a.shape.length !== b.shape.length || a.shape.some((d, n) => d !== b.shape[n])) {
    return `${label}: shape [${a.shape.join(',')}] vs [${b.shape.join(',')}]`;
  }
  const scale = Math.max(maxAbs(b), o.natural ?? 0) || 1;
  const allowed = tol === 'exact' ? 0 : tol.rel * scale + (tol.abs ?? 0);
  let [worst, at, count, judged] = [0, -1, 0, 0];
  for (let n = 0; n < b.data.length; n++) {
    if (o.where && !o.where(n)) continue;
    judged++;
    const [x, y] = [a.data[n]!, b.data[n]!];
    const d = Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) : Object.is(x, y) ? 0 : Infinity;
    if (d > allowed) count++;
    if (d > worst || (at < 0 && d > 0)) [worst, at] = [d, n];
  }
  measured.set(label, Math.max(measured.get(label) ?? 0, worst / scale));
  if (count === 0) return null;
  const limit = tol === 'exact' ? 'exact' : `allowed ${fmt(allowed)}`;
  return (
    `${label}: ${count} of ${judged} element(s) differ (${limit}), worst at ` +
    `[${unravel(b.shape, at).join(',')}]: ${fmt(a.data[at]!)} vs ${fmt(b.data[at]!)} (rel ${fmt(worst / scale)})`
  );
}

/**
 * Every tensor of two attention results (out, dq, dk, dv): one line per tensor that differs. `natural`: per tensor, or
 * one for all.
 */
export function compareResults(
  label: string,
  a: AttentionResult,
  b: AttentionResult,
  tol: Tol,
  natural?: Record<AttentionTensorName, number> | number,
): Outcome {
  const scale = (t: keyof Record<AttentionTensorName, number>) =>
    typeof natural === 'number' ? natural : natural?.[t];
  return allOf(
    ...ATTENTION_TENSORS.map((t) => compareTensors(`${label} ${t}`, a[t], b[t], tol, { natural: scale(t) })),
  );
}

/** null iff every (selected) element is exactly 0. */
export function allZero(label: string, t: HostTensor, where?: (n: number) => boolean): string | null {
  const zeros = { shape: t.shape, data: new Float64Array(t.data.length) };
  return compareTensors(`${label} (must be 0)`, t, zeros, 'exact', where ? { where } : {});
}

/** null iff every element is finite. */
export function allFinite(label: string, t: HostTensor): string | null {
  const n = t.data.findIndex((x) => !Number.isFinite(x));
  return n < 0 ? null : `${label}: non-finite ${t.data[n]} at [${unravel(t.shape, n).join(',')}]`;
}
