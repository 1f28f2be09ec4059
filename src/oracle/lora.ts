/**
 * How the LoRA tensors are judged: y (forward), dx, dA, dB (backward) against the float64 reference,
 * with the error model of tolerance.ts (`LORA_MODEL`): the same-precision baseline is the
 * reference rounded at the contract's points (src/contract/lora.ts), and N_t (`loraScales`) is the
 * size of the terms each tensor sums: y = x·Wᵀ and dx = dY·W with |W| = |W0| + s·|B|·|A|;
 * dA = s·(dY·B)ᵀ·x; dB = s·dYᵀ·(x·Aᵀ). These sums cancel (y of a layer whose base and adapter nearly
 * cancel is ~0 while its terms are not), so rounding noise is relative to the terms.
 */
import {
  type HostTensor,
  LORA_TENSORS,
  type LoraInputs,
  type LoraResult,
  type LoraSpec,
  type LoraTensorName,
  loraScaling,
  maxAbs,
} from '../contract/index.js';
import type { TensorSpec } from './judge.js';
import { allowanceOf, LORA_MODEL } from './tolerance.js';

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
  return {
    shape: [c, r],
    data: Float64Array.from({ length: r * c }, (_, n) => t.data[(n % r) * c + Math.floor(n / r)]!),
  };
};

/** The natural scale of each LoRA tensor (see the header). */
export function loraScales(
  inputs: LoraInputs,
  spec: Pick<LoraSpec, 'rank' | 'alpha' | 'rslora' | 'dropout'>,
): Record<LoraTensorName, number> {
  const s = Math.abs(loraScaling(spec)) / (1 - (spec.dropout?.p ?? 0));
  const { x, dY, A, B } = inputs;
  const W = absMatMul(B, A);
  const Wabs = { shape: W.shape, data: W.data.map((w, n) => Math.abs(inputs.W0.data[n]!) + s * w) };
  return {
    y: maxAbs(absMatMul(x, transpose(Wabs))),
    dx: maxAbs(absMatMul(dY, Wabs)),
    dA: s * maxAbs(absMatMul(transpose(absMatMul(dY, B)), x)),
    dB: s * maxAbs(absMatMul(transpose(dY), absMatMul(x, transpose(A)))),
  };
}

export const LORA_AXES: Record<LoraTensorName, readonly string[]> = {
  y: ['n', 'out'],
  dx: ['n', 'in'],
  dA: ['r', 'in'],
  dB: ['out', 'r'],
};

/** The LoRA result as named tensors. */
export function loraTensors(r: LoraResult): Map<string, HostTensor> {
  return new Map(LORA_TENSORS.map((t) => [t, r[t]]));
}

/** The longest sum behind each tensor: y over in (+ r), dx over out (+ r), dA over N, dB over N. */
function sumLengths(inputs: LoraInputs): Record<LoraTensorName, number> {
  const [N, In] = inputs.x.shape as [number, number];
  const [Out, r] = inputs.B.shape as [number, number];
  return { y: In + r, dx: Out + r, dA: N, dB: N };
}

/** The judge's specs for one LoRA case: reference, same-precision baseline, error model. */
export function loraSpecs(
  m: { readonly inputs: LoraInputs; readonly spec: LoraSpec },
  reference: LoraResult,
  baseline: LoraResult | null,
): TensorSpec[] {
  const natural = loraScales(m.inputs, m.spec);
  const n = sumLengths(m.inputs);
  return LORA_TENSORS.map((t) => {
    const a = allowanceOf(LORA_MODEL[t], m.spec.precision ?? 'float32', maxAbs(reference[t]), {
      terms: natural[t],
      mass: natural[t],
      logit: 0,
      keys: n[t],
    });
    return {
      name: t,
      pass: t === 'y' ? 'forward' : 'backward',
      expected: reference[t],
      baseline: baseline ? baseline[t] : null,
      allowance: (baselineError: number | null) => ({ allowed: a.allowed(baselineError), floor: a.floor }),
      axes: LORA_AXES[t],
    };
  });
}
