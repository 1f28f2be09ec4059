/**
 * Relations of a LoRA linear layer y = x·W0ᵀ + s · dropout(x)·Aᵀ·Bᵀ (src/contract/lora.ts), each
 * taking the kernel under test so the suite can run it on broken kernels too:
 *
 *   initIsBase               B = 0: y is the base x·W0ᵀ (rounded to the case's precision) bit for bit,
 *                            dA = 0 exactly, dB != 0
 *   mergedEqualsUnmerged     x·(W0 + s·B·A)ᵀ = x·W0ᵀ + s·x·Aᵀ·Bᵀ, forward and gradients, within a few
 *                            roundings of the terms: the merged weight is stored in the case's
 *                            precision (PEFT's merge_and_unload in bf16, huggingface/peft#1388)
 *   exactScaling             with W0 = 0 (y is the adapter's contribution itself): doubling alpha
 *                            doubles y bit for bit; y = s · x·Aᵀ·Bᵀ with s = alpha/r or alpha/sqrt(r);
 *                            rsLoRA's contribution is sqrt(r) times LoRA's
 *   adapterChangesOutput     y - x·W0ᵀ is the adapter's float64 contribution, not 0
 *
 * (y, dx, dA, dB against the float64 reference is the core's check: support/differential.ts.)
 * Tolerances follow the contract's precision (src/contract/lora.ts): the kernel rounds h and y.
 */
import type fc from 'fast-check';
import { tf } from '../../src/backend/index.js';
import { type LoraCase, type LoraCaseConstraints, loraCase } from '../../src/case/index.js';
import {
  FLOAT32_REL_BOUND,
  type HostTensor,
  LORA_TENSORS,
  type LoraInputs,
  type LoraKernel,
  type LoraSpec,
  type Precision,
  roundArray,
  UNIT_ROUNDOFF,
} from '../../src/contract/index.js';
import { materialiseLora } from '../../src/data/index.js';
import { runLoraKernel } from '../../src/execute/index.js';
import { loraScales } from '../../src/oracle/index.js';
import { referenceLora } from '../../src/reference/index.js';
import { allZero, compareTensors, type Tol } from './compare.js';
import { allOf, firstOf, type Outcome } from './engine.js';

export const SMALL_LORA: LoraCaseConstraints = { maxN: 4, maxFeatures: 6, maxRank: 4 };

/** LoRA cases without adapter dropout (the merged form has none), B zero or not as asked. */
export function loraCases(bZero: boolean | 'any', k: LoraCaseConstraints = SMALL_LORA): fc.Arbitrary<LoraCase> {
  return loraCase({ ...k, allowDropout: false, allowBZero: bZero !== false }).map((c) =>
    bZero === 'any' ? c : { ...c, bZero },
  );
}

const zeros = (t: HostTensor): HostTensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });
const minus = (a: HostTensor, b: HostTensor): HostTensor => ({
  shape: [...a.shape],
  data: a.data.map((x, n) => x - b.data[n]!),
});
const scaled = (a: HostTensor, s: number): HostTensor => ({ shape: [...a.shape], data: a.data.map((x) => x * s) });

/** The base layer x·W0ᵀ in float32, rounded to the case's precision, computed apart from any kernel. */
function base(inputs: LoraInputs, precision: Precision): HostTensor {
  const up = (t: HostTensor) => tf.tensor2d(Float32Array.from(t.data), t.shape as [number, number]);
  const [x, W0] = [up(inputs.x), up(inputs.W0)];
  const y = tf.matMul(x, W0, false, true);
  const out = { shape: [...y.shape], data: roundArray(precision, y.dataSync()) };
  tf.dispose([x, W0, y]);
  return out;
}

/** Rounding at the case's precision, relative to the terms: a few units, and never tighter than float32's bound. */
const roundingTol = (precision: Precision, units = 4): Tol => ({
  rel: Math.max(FLOAT32_REL_BOUND, units * UNIT_ROUNDOFF[precision]),
});

export function initIsBase(kernel: LoraKernel) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materialiseLora({ ...c, bZero: true });
    const r = runLoraKernel(kernel, inputs, spec);
    const ref = referenceLora(inputs, spec);
    return firstOf(
      compareTensors(`${kernel.name} B=0: y vs x·W0ᵀ`, r.y, base(inputs, c.precision), 'exact'),
      allZero(`${kernel.name} B=0: dA`, r.dA),
      r.dB.data.some((x) => x !== 0) ? null : `${kernel.name} B=0: dB is all zero: the adapter never trains`,
      compareTensors(`${kernel.name} B=0: dB vs float64 reference`, r.dB, ref.dB, roundingTol(c.precision), {
        natural: loraScales(inputs, spec).dB,
      }),
    );
  };
}

/**
 * Merged and unmerged agree within `tol[precision]` of the terms' scale on every tensor (rounding
 * the stored W moves y_no by up to u · Σ_f |x_nf| |W_of|: the terms, not |y|, which cancels).
 */
export function mergedEqualsUnmerged(unmerged: LoraKernel, merged: LoraKernel, tol: Record<Precision, Tol>) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materialiseLora(c);
    const [u, m] = [runLoraKernel(unmerged, inputs, spec), runLoraKernel(merged, inputs, spec)];
    const label = `${merged.name} vs ${unmerged.name}`;
    const nat = loraScales(inputs, spec);
    return allOf(
      ...LORA_TENSORS.map((t) =>
        compareTensors(`${label} ${t}, ${c.precision}`, m[t], u[t], tol[c.precision], { natural: nat[t] }),
      ),
    );
  };
}

/** Runs `kernel` with W0 = 0, so y is the adapter's contribution s · x·Aᵀ·Bᵀ alone. */
function contribution(kernel: LoraKernel, inputs: LoraInputs, spec: LoraSpec): HostTensor {
  return runLoraKernel(kernel, { ...inputs, W0: zeros(inputs.W0) }, spec).y;
}

export function exactScaling(kernel: LoraKernel) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materialiseLora({ ...c, bZero: false });
    const r = spec.rank;
    const y = contribution(kernel, inputs, spec);
    const y2 = contribution(kernel, inputs, { ...spec, alpha: 2 * spec.alpha });
    // x·Aᵀ·Bᵀ in float64: the reference with W0 = 0 and s = 1 (alpha = r, plain LoRA).
    const unit = referenceLora({ ...inputs, W0: zeros(inputs.W0) }, { ...spec, alpha: r, rslora: false }).y;
    const s = spec.rslora ? spec.alpha / Math.sqrt(r) : spec.alpha / r;
    const lora = contribution(kernel, inputs, { ...spec, rslora: false });
    const rs = contribution(kernel, inputs, { ...spec, rslora: true });
    const tol = roundingTol(c.precision);
    const nat = { natural: loraScales(inputs, spec).y };
    const name = `${kernel.name} r=${r} alpha=${spec.alpha}${spec.rslora ? ' rsLoRA' : ''}`;
    return firstOf(
      compareTensors(`${name}: y(2 alpha) vs 2 y(alpha)`, y2, scaled(y, 2), 'exact'),
      compareTensors(
        `${name}: y vs ${spec.rslora ? 'alpha/sqrt(r)' : 'alpha/r'} · x·Aᵀ·Bᵀ`,
        y,
        scaled(unit, s),
        tol,
        nat,
      ),
      compareTensors(`${name}: rsLoRA contribution vs sqrt(r) · LoRA's`, rs, scaled(lora, Math.sqrt(r)), tol, nat),
    );
  };
}

export function adapterChangesOutput(kernel: LoraKernel) {
  return (c: LoraCase): Outcome => {
    const { inputs, spec } = materialiseLora({ ...c, bZero: false });
    const y = runLoraKernel(kernel, inputs, spec).y;
    const ref = referenceLora(inputs, spec).y;
    const refBase = referenceLora({ ...inputs, B: zeros(inputs.B) }, spec).y;
    const got = minus(y, base(inputs, c.precision));
    const want = minus(ref, refBase);
    if (!want.data.some((x) => x !== 0)) return null; // no adapter contribution exists (x·Aᵀ = 0): nothing to see
    // y - x·W0ᵀ cancels: its rounding is relative to the terms of y, not to the contribution.
    const nat = loraScales(inputs, spec).y;
    return firstOf(
      got.data.some((x) => x !== 0) ? null : `${kernel.name}: y equals x·W0ᵀ: the adapter changes nothing`,
      compareTensors(`${kernel.name}: y - x·W0ᵀ vs float64 adapter contribution`, got, want, roundingTol(c.precision), {
        natural: nat,
      }),
    );
  };
}
