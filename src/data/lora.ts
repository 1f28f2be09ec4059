/**
 * The tensors of a LoRA case, made from its seed: x, W0, A, B, dY, each N(0, 1) from its own
 * named stream (B all zeros when `bZero`), rounded to the case's precision.
 *
 *   x [N, in]   W0 [out, in]   A [rank, in]   B [out, rank]   dY [N, out]
 */
import type { LoraCase } from '../case/index.js';
import { type HostTensor, type LoraInputs, type LoraSpec, type Precision, roundArray } from '../contract/index.js';
import { normals, stream } from './streams.js';

export interface MaterialisedLora {
  readonly spec: LoraSpec;
  readonly precision: Precision;
  readonly inputs: LoraInputs;
}

export function materialiseLora(c: LoraCase): MaterialisedLora {
  const tensor = (name: string, shape: number[]): HostTensor => {
    const n = shape.reduce((a, d) => a * d, 1);
    return { shape, data: roundArray(c.precision, normals(stream(c.seed, name), n)) };
  };
  const B: HostTensor =
    c.bZero === true
      ? { shape: [c.out, c.rank], data: new Float64Array(c.out * c.rank) }
      : tensor('B', [c.out, c.rank]);
  return {
    spec: { rank: c.rank, alpha: c.alpha, rslora: c.rslora, dropout: c.dropout, precision: c.precision },
    precision: c.precision,
    inputs: {
      x: tensor('x', [c.N, c.in]),
      W0: tensor('W0', [c.out, c.in]),
      A: tensor('A', [c.rank, c.in]),
      B,
      dY: tensor('dY', [c.N, c.out]),
    },
  };
}
