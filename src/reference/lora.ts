/**
 * The float64 reference for the LoRA linear layer (Hu et al. 2021, eq. 3; contract in
 * src/contract/lora.ts). Plain loops, forward and hand-derived backward side by side.
 *
 *   xd = x ∘ keep / (1-p)      keep(n, f) = dropoutKeep(seed, 0, 0, n, f, p)     [N, in]
 *   h  = xd · Aᵀ               the adapter's low-rank activation                  [N, r]
 *   y  = x · W0ᵀ + s · h · Bᵀ                                                     [N, out]
 *
 *   x [N, in]   W0 [out, in] (frozen)   A [r, in]   B [out, r]   dY [N, out]
 *   s = alpha / r, or alpha / sqrt(r) with rsLoRA.
 *
 * Backward (gradients of sum(y ∘ dY)), with g = dY · B [N, r]:
 *
 *   dB = s · dYᵀ · h           dA = s · gᵀ · xd           dx = dY · W0 + s · keep/(1-p) ∘ (g · A)
 *
 * With B = 0 (the standard initialisation) y = x·W0ᵀ exactly and dA = 0, while dB ≠ 0.
 */
import {
  dropoutKeep,
  formatShape,
  type HostTensor,
  type LoraInputs,
  type LoraResult,
  type LoraSpec,
  loraScaling,
  sameShape,
  zeros,
} from '../contract/index.js';

/** Reads N, in, out, r and checks every shape against them. */
function loraShapes(inputs: LoraInputs, spec: LoraSpec): { N: number; In: number; Out: number; r: number } {
  const [N, In] = inputs.x.shape as [number, number];
  const [Out] = inputs.W0.shape as [number];
  const r = spec.rank;
  const expected: Array<[keyof LoraInputs, number[]]> = [
    ['x', [N, In]],
    ['W0', [Out, In]],
    ['A', [r, In]],
    ['B', [Out, r]],
    ['dY', [N, Out]],
  ];
  for (const [name, shape] of expected) {
    if (!sameShape(inputs[name].shape, shape)) {
      throw new Error(
        `reference lora: ${name}.shape ${formatShape(inputs[name].shape)} does not match ` +
          `${formatShape(shape)} (rank=${r})`,
      );
    }
  }
  return { N, In, Out, r };
}

/** keep(n, f) / (1-p) for every element of x [N, in]: all 1 without dropout. */
function dropoutScale(spec: LoraSpec, N: number, In: number): Float64Array {
  const scale = new Float64Array(N * In).fill(1);
  const p = spec.dropout?.p ?? 0;
  if (p <= 0) return scale;
  for (let n = 0; n < N; n++)
    for (let f = 0; f < In; f++) scale[n * In + f] = dropoutKeep(spec.dropout!.seed, 0, 0, n, f, p) ? 1 / (1 - p) : 0;
  return scale;
}

const exact = (x: number) => x;

/**
 * y, dx, dA, dB. `round` rounds at the contract's rounding points (identity: the float64
 * reference): the activation h and the outputs y, dx, dA, dB; with `x => roundTo(precision, x)`
 * this is the same-precision baseline of the oracle (src/oracle/lora.ts).
 */
export function referenceLora(inputs: LoraInputs, spec: LoraSpec, round: (x: number) => number = exact): LoraResult {
  const { N, In, Out, r } = loraShapes(inputs, spec);
  const s = loraScaling(spec);
  const [x, W0, A, B, dY] = [inputs.x.data, inputs.W0.data, inputs.A.data, inputs.B.data, inputs.dY.data];
  const keep = dropoutScale(spec, N, In);
  const y = zeros([N, Out]);
  const dx = zeros([N, In]);
  const dA = zeros([r, In]);
  const dB = zeros([Out, r]);
  const [Y, dX, dAd, dBd] = [y.data, dx.data, dA.data, dB.data];
  for (let n = 0; n < N; n++) {
    // Forward: h = xd·Aᵀ, y = x·W0ᵀ + s·h·Bᵀ.   Backward: g = dY·B.
    const h = new Float64Array(r);
    const g = new Float64Array(r);
    for (let k = 0; k < r; k++) {
      for (let f = 0; f < In; f++) h[k] = h[k]! + keep[n * In + f]! * x[n * In + f]! * A[k * In + f]!;
      h[k] = round(h[k]!);
      for (let o = 0; o < Out; o++) g[k] = g[k]! + dY[n * Out + o]! * B[o * r + k]!;
    }
    for (let o = 0; o < Out; o++) {
      let acc = 0;
      for (let f = 0; f < In; f++) acc += x[n * In + f]! * W0[o * In + f]!;
      for (let k = 0; k < r; k++) {
        acc += s * h[k]! * B[o * r + k]!;
        dBd[o * r + k] = dBd[o * r + k]! + s * dY[n * Out + o]! * h[k]!; // dB = s·dYᵀ·h
      }
      Y[n * Out + o] = acc;
    }
    for (let f = 0; f < In; f++) {
      let base = 0; // (dY·W0)_nf
      for (let o = 0; o < Out; o++) base += dY[n * Out + o]! * W0[o * In + f]!;
      let adapter = 0; // (g·A)_nf
      for (let k = 0; k < r; k++) {
        adapter += g[k]! * A[k * In + f]!;
        dAd[k * In + f] = dAd[k * In + f]! + s * g[k]! * keep[n * In + f]! * x[n * In + f]!; // dA = s·gᵀ·xd
      }
      dX[n * In + f] = base + s * keep[n * In + f]! * adapter;
    }
  }
  if (round !== exact) for (const t of [Y, dX, dAd, dBd]) for (let n = 0; n < t.length; n++) t[n] = round(t[n]!);
  return { y, dx, dA, dB };
}

/** The merged weight W = W0 + s · B·A [out, in]. */
export function referenceLoraMergedWeight(W0: HostTensor, A: HostTensor, B: HostTensor, spec: LoraSpec): HostTensor {
  const [Out, In] = W0.shape as [number, number];
  const r = spec.rank;
  if (!sameShape(A.shape, [r, In]) || !sameShape(B.shape, [Out, r])) {
    throw new Error(
      `reference lora: A.shape ${formatShape(A.shape)} / B.shape ${formatShape(B.shape)} do not match ` +
        `[${r},${In}] / [${Out},${r}]`,
    );
  }
  const s = loraScaling(spec);
  const W = zeros([Out, In]);
  for (let o = 0; o < Out; o++)
    for (let f = 0; f < In; f++) {
      let BA = 0;
      for (let k = 0; k < r; k++) BA += B.data[o * r + k]! * A.data[k * In + f]!;
      W.data[o * In + f] = W0.data[o * In + f]! + s * BA;
    }
  return W;
}
