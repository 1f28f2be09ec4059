/**
 * The terms behind dsinks: Psink_i·Σ_j P_ij |dP|_ij per row, and, where the sink is the row's
 * largest logit, also dq's terms T_ij = P_ij·(|dP|_ij + rowsum) of that row (an implementation that
 * subtracts the max with autograd through it hands the row's float32 residue of Σ_j dS_ij to the
 * sink: termScales.ts, maxResidueTerms).
 */
import { describe, expect, it } from 'vitest';
import { type AttentionInputs, defaultOptions, type HostTensor } from '../contract/index.js';
import { attentionTermScales } from './termScales.js';

const host = (shape: number[], data: number[]): HostTensor => ({ shape, data: Float64Array.from(data) });

/** One query, two keys with logit 0, values 1 and -1, dOut 1: P_j = 1 / (2 + e^sink), |dP|_j = 1. */
const inputs: AttentionInputs = {
  q: host([1, 1, 1, 1], [1]),
  k: host([1, 1, 2, 1], [0, 0]),
  v: host([1, 1, 2, 1], [1, -1]),
  dOut: host([1, 1, 1, 1], [1]),
};

function dsinksTerms(sink: number): { got: number; P: number; Psink: number } {
  const opts = { ...defaultOptions({ D: 1 }), sinks: host([1], [sink]) };
  const got = attentionTermScales(inputs, opts).dsinks!;
  const denominator = 2 + Math.exp(sink);
  return { got, P: 1 / denominator, Psink: Math.exp(sink) / denominator };
}

describe('dsinks term norm', () => {
  it('a sink below the row max: Psink·rowsum alone', () => {
    const { got, P, Psink } = dsinksTerms(-5);
    expect(got).toBeCloseTo(Psink * 2 * P, 15);
  });

  it('a sink that is the row max: dq terms of the row as well, so a max-subtracting autograd residue fits', () => {
    const { got, P, Psink } = dsinksTerms(5);
    const rowsum = 2 * P;
    expect(got).toBeCloseTo(Math.sqrt((Psink * rowsum) ** 2 + 2 * (P * (1 + rowsum)) ** 2), 15);
    // Without the residue terms the norm would be Psink·rowsum: 0.0132 here against 0.0162.
    expect(got).toBeGreaterThan(1.2 * Psink * rowsum);
  });
});
