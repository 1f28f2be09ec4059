/**
 * Power of the oracle (src/oracle/tolerance.ts): how often it flags a kernel that is slightly
 * wrong, per precision and tensor, over the cases where the fault is visible at all.
 *
 *   npx tsx bench/oracle-power.ts [--cases 2000] [--seed 1] [--base flash] [--precisions ...] [--values normal,large]
 * [--backend cpu] [--score]
 *
 * Perturbed kernels (a correct built-in, `--base`, with one fault):
 *   grad t x f    the gradient of t (dq, dk or dv) scaled by f = 0, 0.5, 0.9 (a custom gradient on
 *                 q, k or v: the forward is untouched)
 *   scale +d      the softmax scale multiplied by 1 + d, d = 1% and 0.1% (every tensor moves)
 * With --score, cases drawn with a bias and sinks allowed, and instead:
 *   grad t x f    t = dbias or dsinks (a custom gradient on the bias or the sinks), f as above and
 *                 0.99 (a gradient 1% short);
 *                 dbias and dsinks are judged by dq's error model with their own terms
 *                 (src/oracle/scoreOptions.ts), dsinks' longest sum over max(Sk, B·Sq) rows
 *
 * A (case, tensor) is informative for a fault iff the tensor carries signal and the fault is larger
 * than what correct kernels may do to it:
 *   - max|t| >= N_t / 16: the tensor is not the residue of terms that cancel (N_t the norm of its
 *     terms, src/reference/termScales.ts);
 *   - the fault's exact effect (float64: (1 - f)·max|t| for a gradient, max|t(scale·(1+d)) - t| for
 *     the scale) is at least 4 noise units, a noise unit being what one rounding at the precision
 *     and float32 arithmetic do to the terms, u_p·N_t + u_32·(1 + L + √n)·N_t (src/oracle
 *     `roundingScale`), plus what the precision's absolute step near zero z_p (UNDERFLOW) does: to
 *     the result itself and, through weights below the smallest normal, z_p·M_t (M_t the mass of
 *     the terms, termScales.ts). A dsinks of 1e-61 is 0 in float32, and a float16 dsinks of 2.7e-7
 *     with a mass of 24 is within rounding of 0: zeroing either is no fault a result can show.
 *     Correct kernels were measured at up to 1.4 such units: a fault below 4 can be told from
 *     rounding by no oracle.
 * Neither condition uses the oracle's calibrated constants. Flagged: that tensor's verdict is not
 * 'pass'. Reported: flagged / informative, per precision, tensor and fault, and the fault's effect in
 * noise units (median and 90th percentile over the cases where the tensor carries signal), which says
 * why a row has few informative cases: in bfloat16 a softmax scale 1% off moves out by about one
 * unit (0.01·Cov_P(S, V) against u_bf16·‖P·V‖ = 0.0039·‖P·V‖; a peaked softmax shrinks both) and
 * dq, dk by at most 0.01/u_bf16 = 2.6 units of their own terms, which no oracle can tell from
 * rounding; `--values normal,large` restricts the value distributions.
 */

import type { Tensor } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type BackendName, useBackend } from '../src/backend/index.js';
import type { ValueDistribution } from '../src/case/index.js';
import {
  ATTENTION_TENSORS,
  type AttentionKernel,
  type AttentionResult,
  type AttentionTensorName,
  maxAbs,
  maxAbsDiff,
  PRECISIONS,
  type Precision,
  type TF,
  UNDERFLOW,
  UNIT_ROUNDOFF,
} from '../src/contract/index.js';
import { judge, roundingScale } from '../src/oracle/index.js';
import { referenceAttention } from '../src/reference/index.js';
import { attentionSuite, type BuiltinKernelName, builtinKernel, fixedKernel } from '../src/runner/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const cases = Number(arg('cases', '2000'));
const seed = Number(arg('seed', '1'));
const baseName = arg('base', 'flash') as BuiltinKernelName;
const threshold = Number(arg('threshold', '4'));
const precisions = arg('precisions', PRECISIONS.join(',')).split(',') as Precision[];
/** `--values normal,large`: only these value distributions (default: the default mixture). */
const values = arg('values', '') === '' ? {} : { values: arg('values', '').split(',') as ValueDistribution[] };
await useBackend(arg('backend', 'cpu') as BackendName);

const SCORE = process.argv.includes('--score');

/** x in the forward, f·dy as its gradient. */
function scaledGrad<T extends Tensor>(tf: TF, x: T, f: number): T {
  const g = tf.customGrad(((xx: Tensor) => ({
    value: tf.clone(xx),
    gradFunc: (dy: Tensor) => tf.mul(dy, f),
  })) as unknown as Parameters<TF['customGrad']>[0]);
  return g(x) as T;
}

/** The tensors a fault is measured on: the four of every case, or a score option's gradient. */
type Measured = AttentionTensorName | 'dbias' | 'dsinks';

interface Fault {
  readonly name: string;
  /** The tensors it is measured on. */
  readonly tensors: readonly Measured[];
  kernel(base: AttentionKernel): AttentionKernel;
  /** The fault's exact effect on tensor t of the case (float64). */
  effect(t: Measured, ref: AttentionResult, shifted: () => AttentionResult): number;
}

const gradFault = (t: 'dq' | 'dk' | 'dv', f: number): Fault => ({
  name: `${t} x${f}`,
  tensors: [t],
  kernel: (base) => ({
    name: `${base.name} ${t}x${f}`,
    forward: (q, k, v, o, tf) =>
      base.forward(
        t === 'dq' ? scaledGrad(tf, q, f) : q,
        t === 'dk' ? scaledGrad(tf, k, f) : k,
        t === 'dv' ? scaledGrad(tf, v, f) : v,
        o,
        tf,
      ),
  }),
  effect: (tt, ref) => (1 - f) * maxAbs(ref[tt]!),
});

const scoreGradFault = (t: 'dbias' | 'dsinks', f: number): Fault => ({
  name: `${t} x${f}`,
  tensors: [t],
  kernel: (base) => ({
    ...base,
    name: `${base.name} ${t}x${f}`,
    forward: (q, k, v, o, tf) =>
      base.forward(
        q,
        k,
        v,
        t === 'dbias' && o.bias
          ? { ...o, bias: scaledGrad(tf, o.bias, f) }
          : t === 'dsinks' && o.sinks
            ? { ...o, sinks: scaledGrad(tf, o.sinks, f) }
            : o,
        tf,
      ),
  }),
  effect: (tt, ref) => (1 - f) * maxAbs(ref[tt]!),
});

const scaleFault = (d: number): Fault => ({
  name: `scale +${d * 100}%`,
  tensors: ATTENTION_TENSORS,
  kernel: (base) => ({
    name: `${base.name} scale+${d}`,
    forward: (q, k, v, o, tf) => base.forward(q, k, v, { ...o, scale: o.scale * (1 + d) }, tf),
  }),
  effect: (t, ref, shifted) => maxAbsDiff(shifted()[t]!, ref[t]!),
});

const FAULTS: Fault[] = SCORE
  ? (['dbias', 'dsinks'] as const).flatMap((t) => [0, 0.5, 0.9, 0.99].map((f) => scoreGradFault(t, f)))
  : [
      ...(['dq', 'dk', 'dv'] as const).flatMap((t) => [0, 0.5, 0.9].map((f) => gradFault(t, f))),
      scaleFault(0.01),
      scaleFault(0.001),
    ];

const base = builtinKernel(baseName);
const rows: string[][] = [
  ['precision', 'fault', 'tensor', 'with signal', 'effect p50/p90 (noise units)', 'informative', 'flagged', 'share'],
];
const quantile = (xs: number[], p: number) =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const t0 = performance.now();
for (const precision of precisions) {
  const stats = new Map<string, { informative: number; flagged: number }>();
  /** The fault's exact effect in noise units, over the cases where the tensor carries signal. */
  const units = new Map<string, number[]>();
  const samples = fc.sample(
    attentionSuite.arbitrary({
      precisions: [precision],
      ...values,
      ...(SCORE ? { allowBias: true, allowSinks: true } : {}),
    }),
    { numRuns: cases, seed },
  );
  let done = 0;
  for (const c of samples) {
    const m = attentionSuite.materialise(c);
    const e = attentionSuite.reference(c, m);
    const u = UNIT_ROUNDOFF[precision];
    for (const fault of FAULTS) {
      let shiftedRef: AttentionResult | null = null;
      const shifted = () =>
        (shiftedRef ??= referenceAttention(m.inputs, {
          ...m.options,
          scale: m.options.scale * (fault.name === 'scale +1%' ? 1.01 : 1.001),
        }));
      const visible = fault.tensors.filter((t) => {
        const expected = e.reference[t];
        if (expected === undefined) return false; // no bias or no sinks in this case
        const magnitude = maxAbs(expected);
        const effect = fault.effect(t, e.reference, shifted);
        const terms = e.scales[t] ?? 0;
        const keys = t === 'dsinks' ? Math.max(c.shapes.Sk, c.shapes.B * c.shapes.Sq) : c.shapes.Sk;
        const noise =
          u * roundingScale(precision, { terms, logit: e.scales.logit, keys }) +
          UNDERFLOW[precision] * (1 + (e.scales.mass[t] ?? 0));
        const signal = magnitude > 0 && magnitude >= terms / 16;
        if (signal) units.set(`${fault.name}|${t}`, [...(units.get(`${fault.name}|${t}`) ?? []), effect / noise]);
        return signal && effect >= threshold * noise;
      });
      if (visible.length === 0) continue;
      const k = fixedKernel(fault.kernel(base.attention!(c) as AttentionKernel));
      const out = await attentionSuite.run(k, c, m);
      const v = out.status === 'ok' ? judge(out.tensors, attentionSuite.specs(k, c, m, e)) : null;
      for (const t of visible) {
        const key = `${fault.name}|${t}`;
        const s = stats.get(key) ?? { informative: 0, flagged: 0 };
        s.informative++;
        const tv = v && 'tensors' in v ? v.tensors.find((x) => x.tensor === t) : undefined;
        if (v === null || !tv || tv.status !== 'pass') s.flagged++;
        stats.set(key, s);
      }
    }
    if (++done % 500 === 0)
      process.stderr.write(
        `power: ${precision} ${done}/${cases} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
      );
  }
  for (const fault of FAULTS)
    for (const t of fault.tensors) {
      const s = stats.get(`${fault.name}|${t}`) ?? { informative: 0, flagged: 0 };
      const us = units.get(`${fault.name}|${t}`) ?? [];
      const effect = us.length ? `${quantile(us, 0.5).toFixed(1)} / ${quantile(us, 0.9).toFixed(1)}` : '-';
      rows.push([
        precision,
        fault.name,
        t,
        String(us.length),
        effect,
        String(s.informative),
        String(s.flagged),
        s.informative ? `${((100 * s.flagged) / s.informative).toFixed(1)}%` : '-',
      ]);
    }
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padEnd(widths[c]!)).join('  '));
console.log(
  `oracle-power: ${cases} cases per precision, base ${baseName}, seed ${seed}, ` +
    `${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
