/**
 * Relations of a LoRA linear layer y = x·W0ᵀ + s · dropout(x)·Aᵀ·Bᵀ (src/contract/lora.ts), each
 * taking the kernel under test so the suite can run it on broken kernels too:
 *
 *   initIsBase               B = 0: y is the base x·W0ᵀ bit for bit, dA = 0 exactly, dB != 0
 *   mergedEqualsUnmerged     x·(W0 + s·B·A)ᵀ = x·W0ᵀ + s·x·Aᵀ·Bᵀ, forward and gradients; and with the
 *                            merged weight stored in the case's precision (PEFT's merge in bf16)
 *   exactScaling             with W0 = 0 (y is the adapter's contribution itself): doubling alpha
 *                            doubles y bit for bit; y = s · x·Aᵀ·Bᵀ with s = alpha/r or alpha/sqrt(r);
 *                            rsLoRA's contribution is sqrt(r) times LoRA's
 *   adapterChangesOutput     y - x·W0ᵀ is the adapter's float64 contribution, not 0
 *   gradientsMatchReference  y, dx, dA, dB against the float64 reference
 */
import fc from 'fast-check';
import { tf } from '../../src/backend/index.js';
import { loraCase, type LoraCase, type LoraCaseConstraints } from '../../src/case/index.js';
import { FLOAT32_REL_BOUND, loraScaling, roundArray, type HostTensor, type LoraInputs, type LoraResult, type LoraSpec } from '../../src/contract/index.js';
import { materializeLora } from '../../src/data/index.js';
import { runLoraKernel, type LoraKernel } from '../../src/kernel/index.js';
import { referenceLora, referenceLoraMergedWeight } from '../../kernels/index.js';
import { allZero, compareTensors, firstOf, type Outcome, type Tol } from './metamorphic.js';

export const SMALL_LORA: LoraCaseConstraints = { maxN: 4, maxFeatures: 6, maxRank: 4 };

/** LoRA cases without adapter dropout (the merged form has none), B zero or not as asked. */
export function loraCases(bZero: boolean | 'any', k: LoraCaseConstraints = SMALL_LORA): fc.Arbitrary<LoraCase> {
  return loraCase({ ...k, allowDropout: false, allowBZero: bZero !== false }).map((c) => (bZero === 'any' ? c : { ...c, bZero }));
}

const zeros = (t: HostTensor): HostTensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });
const minus = (a: HostTensor, b: HostTensor): HostTensor => ({ shape: [...a.shape], data: a.data.map((x, n) => x - b.data[n]!) });
const scaled = (a: HostTensor, s: number): HostTensor => ({ shape: [...a.shape], data: a.data.map((x) => x * s) });

/** The base layer x·W0ᵀ in float32, computed apart from any kernel. */
function base(inputs: LoraInputs): HostTensor {
  const up = (t: HostTensor) => tf.tensor2d(Float32Array.from(t.data), t.shape as [number, number]);
  const [x, W0] = [up(inputs.x), up(inputs.W0)];
  const y = tf.matMul(x, W0, false, true);
  const out = { shape: [...y.shape], data: Float64Array.from(y.dataSync()) };
  tf.dispose([x, W0, y]);
  return out;
}

export function initIsBase(kernel: LoraKernel) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materializeLora({ ...c, bZero: true });
    const r = runLoraKernel(kernel, inputs, spec);
    const ref = referenceLora(inputs, spec);
    return firstOf(
      compareTensors(`${kernel.name} B=0: y vs x·W0ᵀ`, r.y, base(inputs), 'exact'),
      allZero(`${kernel.name} B=0: dA`, r.dA),
      r.dB.data.some((x) => x !== 0) ? null : `${kernel.name} B=0: dB is all zero: the adapter never trains`,
      compareTensors(`${kernel.name} B=0: dB vs float64 reference`, r.dB, ref.dB, { rel: FLOAT32_REL_BOUND }),
    );
  };
}

/** Merged and unmerged agree: float32 within `tol32` on every tensor; a stored low-precision merged weight within `tolStored` on y. */
export function mergedEqualsUnmerged(unmerged: LoraKernel, merged: LoraKernel, tol32: Tol, tolStored: Tol) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materializeLora(c);
    const [u, m] = [runLoraKernel(unmerged, inputs, spec), runLoraKernel(merged, inputs, spec)];
    const label = `${merged.name} vs ${unmerged.name}`;
    const nat: Record<string, number> = loraScales(inputs, loraScaling(spec));
    const same = firstOf(...(['y', 'dx', 'dA', 'dB'] as const).map((t) => compareTensors(`${label} ${t}, float32`, m[t], u[t], tol32, nat[t] ?? 0)));
    if (same || c.precision === 'float32') return same;
    // PEFT's merge_and_unload in bf16/fp16 stores W0 + s·B·A rounded: the drift users see.
    const W = referenceLoraMergedWeight(inputs.W0, inputs.A, inputs.B, spec);
    const stored = { shape: W.shape, data: roundArray(c.precision, W.data) };
    const y = runLoraKernel(merged, { ...inputs, W0: stored, B: zeros(inputs.B) }, spec).y;
    // Rounding W moves y_no by up to u · Σ_f |x_nf| |W_of|: the terms' scale, not |y| (which cancels).
    return compareTensors(`${label} y, merged weight stored in ${c.precision}`, y, u.y, tolStored, nat.y);
  };
}

/** |a|·|b| for a [n, k], b [k, m] (row-major): the size of the terms each element of a·b sums. */
function absMatMul(a: HostTensor, b: HostTensor): HostTensor {
  const [n, k] = a.shape as [number, number];
  const m = b.shape[1]!;
  const data = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let acc = 0;
      for (let l = 0; l < k; l++) acc += Math.abs(a.data[i * k + l]! * b.data[l * m + j]!);
      data[i * m + j] = acc;
    }
  return { shape: [n, m], data };
}

const transpose = (t: HostTensor): HostTensor => {
  const [r, c] = t.shape as [number, number];
  return { shape: [c, r], data: Float64Array.from({ length: r * c }, (_, n) => t.data[(n % r) * c + Math.floor(n / r)]!) };
};
const maxOf = (t: HostTensor) => t.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/**
 * The natural scale of each tensor: y = x·Wᵀ and dx = dY·W with |W| = |W0| + s·|B|·|A|, and
 * dA = s·(dY·B)ᵀ·x, dB = s·dYᵀ·(x·Aᵀ), sum terms of these sizes and can cancel to ~0, so their
 * rounding noise is relative to the terms, not to the result (merged and unmerged associate the
 * sums differently; wasm's matMul rounds differently from cpu's and showed it on dA).
 */
function loraScales(inputs: LoraInputs, s: number): { y: number; dx: number; dA: number; dB: number } {
  const { x, dY, A, B } = inputs;
  const W = absMatMul(B, A);
  const Wabs = { shape: W.shape, data: W.data.map((w, n) => Math.abs(inputs.W0.data[n]!) + Math.abs(s) * w) };
  return {
    y: maxOf(absMatMul(x, transpose(Wabs))),
    dx: maxOf(absMatMul(dY, Wabs)),
    dA: Math.abs(s) * maxOf(absMatMul(transpose(absMatMul(dY, B)), x)),
    dB: Math.abs(s) * maxOf(absMatMul(transpose(dY), absMatMul(x, transpose(A)))),
  };
}

/** Runs `kernel` with W0 = 0, so y is the adapter's contribution s · x·Aᵀ·Bᵀ alone. */
function contribution(kernel: LoraKernel, inputs: LoraInputs, spec: LoraSpec): HostTensor {
  return runLoraKernel(kernel, { ...inputs, W0: zeros(inputs.W0) }, spec).y;
}

export function exactScaling(kernel: LoraKernel) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materializeLora({ ...c, bZero: false });
    const r = spec.rank;
    const y = contribution(kernel, inputs, spec);
    const y2 = contribution(kernel, inputs, { ...spec, alpha: 2 * spec.alpha });
    // x·Aᵀ·Bᵀ in float64: the reference with W0 = 0 and s = 1 (alpha = r, plain LoRA).
    const unit = referenceLora({ ...inputs, W0: zeros(inputs.W0) }, { ...spec, alpha: r, rslora: false }).y;
    const s = spec.rslora ? spec.alpha / Math.sqrt(r) : spec.alpha / r;
    const lora = contribution(kernel, inputs, { ...spec, rslora: false });
    const rs = contribution(kernel, inputs, { ...spec, rslora: true });
    const tol = { rel: FLOAT32_REL_BOUND };
    const name = `${kernel.name} r=${r} alpha=${spec.alpha}${spec.rslora ? ' rsLoRA' : ''}`;
    return firstOf(
      compareTensors(`${name}: y(2 alpha) vs 2 y(alpha)`, y2, scaled(y, 2), 'exact'),
      compareTensors(`${name}: y vs ${spec.rslora ? 'alpha/sqrt(r)' : 'alpha/r'} · x·Aᵀ·Bᵀ`, y, scaled(unit, s), tol),
      compareTensors(`${name}: rsLoRA contribution vs sqrt(r) · LoRA's`, rs, scaled(lora, Math.sqrt(r)), tol),
    );
  };
}

export function adapterChangesOutput(kernel: LoraKernel) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materializeLora({ ...c, bZero: false });
    const y = runLoraKernel(kernel, inputs, spec).y;
    const ref = referenceLora(inputs, spec).y;
    const refBase = referenceLora({ ...inputs, B: zeros(inputs.B) }, spec).y;
    const got = minus(y, base(inputs));
    const want = minus(ref, refBase);
    if (!want.data.some((x) => x !== 0)) return null; // no adapter contribution exists (x·Aᵀ = 0): nothing to see
    // y - x·W0ᵀ cancels: its rounding is relative to |y|, not to the contribution.
    const nat = Math.max(...ref.data.map(Math.abs));
    return firstOf(
      got.data.some((x) => x !== 0) ? null : `${kernel.name}: y equals x·W0ᵀ: the adapter changes nothing`,
      compareTensors(`${kernel.name}: y - x·W0ᵀ vs float64 adapter contribution`, got, want, { rel: FLOAT32_REL_BOUND }, nat),
    );
  };
}

export function gradientsMatchReference(kernel: LoraKernel, tol: Tol = { rel: FLOAT32_REL_BOUND }) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materializeLora(c);
    const r: LoraResult = runLoraKernel(kernel, inputs, spec);
    const ref = referenceLora(inputs, spec);
    return firstOf(...(['y', 'dx', 'dA', 'dB'] as const).map((t) => compareTensors(`${kernel.name} ${t} vs float64 reference, ${c.precision}`, r[t], ref[t], tol)));
  };
}
