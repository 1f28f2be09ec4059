/**
 * A padded batch equals the same sequences run one by one, and packed:
 *
 *   paddedEqualsPerSequence   a contract kernel on a padded self-attention batch (Sq = Sk = S,
 *                             keyLengths L_b, right or left padding, any causal alignment: they
 *                             coincide when Sq = Sk) gives, on each row's L_b real tokens, what
 *                             the same kernel gives on that sequence alone; padding keys get zero
 *                             dk, dv (padding query rows get dOut = 0: their outputs are don't-care)
 *   packedEqualsPerSequence   flash_attn_varlen_func on sequences packed along the token dim with
 *                             cumulative lengths gives what flash_attn_func gives on each one alone
 *
 *   padded (right)         packed (varlen, cuSeqlens = [0, 3, 5])
 *   s0 s0 s0 .             s0 s0 s0 s1 s1
 *   s1 s1 .  .
 */

import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type FlashAttnVarlenOptions, flashAttnFunc } from '../../kernels/flash/index.js';
import { type AttentionCase, type AttentionCaseConstraints, attentionCase } from '../../src/case/index.js';
import type { HostTensor } from '../../src/contract/index.js';
import { allZero, compareResults, compareTensors, naturalOf, type Tol } from './compare.js';
import { allOf, type Relation } from './engine.js';
import { SMALL } from './metamorphic-attention.js';
import { concatAxis, sliceAxis, swapHS, zeroAxis } from './metamorphic-tensors.js';
import { type KernelArg, kernelFor, materialise, run, withGrads, withMaterial } from './run.js';

// ---------------------------------------------------------------------------------------------
// Padded batch vs one call per sequence (contract kernels)

/**
 * Self-attention batches (Sq = Sk) padded by keyLengths; no mask, no dropout (its hash is indexed by row and position).
 */
export function paddedCases(k: AttentionCaseConstraints = SMALL): fc.Arbitrary<AttentionCase> {
  return fc
    .record({
      case: attentionCase({ ...k, allowMask: false, allowDropout: false }),
      lengths: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    })
    .map(({ case: c, lengths }) => {
      const S = c.shapes.Sq;
      const keyLengths = Array.from({ length: c.shapes.B }, (_, b) =>
        Math.min(c.keyLengths?.[b] ?? lengths[b]! % (S + 1), S),
      );
      return { ...c, shapes: { ...c.shapes, Sk: S }, keyLengths };
    });
}

/** Each row's real tokens in the padded call equal that sequence alone, forward and backward. */
export function paddedEqualsPerSequence(k: KernelArg, tol: Tol): Relation<AttentionCase> {
  return (c) => {
    const m = materialise(c);
    const S = m.shapes.Sq;
    const kernel = kernelFor(k, c);
    const span = (b: number): [number, number] => {
      const L = c.keyLengths![b]!;
      return c.paddingSide === 'right' ? [0, L] : [S - L, S];
    };
    // Padding query rows are don't-care: no cotangent, so they add nothing to dk, dv.
    let dOut = m.inputs.dOut;
    for (let b = 0; b < m.shapes.B; b++) {
      const [lo, hi] = span(b);
      const row = sliceAxis(dOut, 0, b, b + 1);
      const kept = zeroAxis(zeroAxis(row, 2, hi, S), 2, 0, lo);
      dOut = concatAxis([sliceAxis(dOut, 0, 0, b), kept, sliceAxis(dOut, 0, b + 1, m.shapes.B)], 0);
    }
    const padded = run(kernel, withMaterial(m, { inputs: { dOut } }));
    const nat = naturalOf(m);
    for (let b = 0; b < m.shapes.B; b++) {
      const [lo, hi] = span(b);
      const seq = (t: HostTensor, from = lo, to = hi) => sliceAxis(sliceAxis(t, 0, b, b + 1), 2, from, to);
      const label = `${kernel.name} row ${b} (${hi - lo} of ${S} tokens, ${c.paddingSide} padding, ${c.precision})`;
      const pads = (t: HostTensor) => concatAxis([seq(t, 0, lo), seq(t, hi, S)], 2);
      const o = allOf(
        allZero(`${label} dk of padding keys`, pads(padded.dk)),
        allZero(`${label} dv of padding keys`, pads(padded.dv)),
      );
      if (o) return o;
      if (hi === lo) continue;
      const alone = run(
        kernel,
        withMaterial(m, {
          shapes: { B: 1, Sq: hi - lo, Sk: hi - lo },
          inputs: { q: seq(m.inputs.q), k: seq(m.inputs.k), v: seq(m.inputs.v), dOut: seq(m.inputs.dOut) },
          options: { keyLengths: null },
        }),
      );
      const d = compareResults(
        label,
        { out: seq(padded.out), dq: seq(padded.dq), dk: seq(padded.dk), dv: seq(padded.dv) },
        alone,
        tol,
        nat,
      );
      if (d) return d;
    }
    return null;
  };
}

// ---------------------------------------------------------------------------------------------
// Packed (varlen) vs one call per sequence

/** flash_attn_varlen_func's signature. */
export type VarlenFunc = (q: Tensor3D, k: Tensor3D, v: Tensor3D, options: FlashAttnVarlenOptions) => Tensor3D;

export interface PackedCase {
  /** Heads, dims, blocks, precision, causal (none | bottom-right), window and seed; B sequences. */
  readonly case: AttentionCase;
  /** Query and key length of each sequence (0 allowed, except sequence 0 so nothing is empty). */
  readonly lensQ: readonly number[];
  readonly lensK: readonly number[];
}

export function packedCases(k: AttentionCaseConstraints = { ...SMALL, maxBatch: 3 }): fc.Arbitrary<PackedCase> {
  const base = attentionCase({
    ...k,
    causals: ['none', 'bottom-right'],
    allowMask: false,
    allowPadding: false,
    allowDropout: false,
    junk: ['none'],
  });
  return fc
    .record({
      case: base,
      lq: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      lk: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    })
    .map(({ case: c, lq, lk }) => {
      const len = (x: number, S: number, b: number) => (b === 0 ? 1 + (x % S) : x % (S + 1));
      const B = c.shapes.B;
      return {
        case: c,
        lensQ: lq.slice(0, B).map((x, b) => len(x, c.shapes.Sq, b)),
        lensK: lk.slice(0, B).map((x, b) => len(x, c.shapes.Sk, b)),
      };
    });
}

const cumulative = (lens: readonly number[]): number[] => {
  const cu = [0];
  for (const l of lens) cu.push(cu[cu.length - 1]! + l);
  return cu;
};
/** [1, H, S, D] (contract) -> [S, H, D] (tokens first, as varlen takes them). */
const tokens = (t: HostTensor): HostTensor => ({
  shape: [t.shape[2]!, t.shape[1]!, t.shape[3]!],
  data: swapHS(t).data,
});

/** Packed varlen call vs flash_attn_func per sequence: out, dq, dk, dv token by token. */
export function packedEqualsPerSequence(varlen: VarlenFunc, tol: Tol): Relation<PackedCase> {
  return ({ case: c, lensQ, lensK }) => {
    const m = materialise(c);
    const seq = (t: HostTensor, b: number, len: number) => tokens(sliceAxis(sliceAxis(t, 0, b, b + 1), 2, 0, len));
    const pack = (t: HostTensor, lens: readonly number[]) =>
      concatAxis(
        lens.map((l, b) => seq(t, b, l)),
        0,
      );
    const causal = c.causal === 'bottom-right';
    const common = {
      softmaxScale: m.options.scale,
      causal,
      windowSize: c.window ?? undefined,
      Br: c.blocks.Br,
      Bc: c.blocks.Bc,
      precision: c.precision,
    };
    const options: FlashAttnVarlenOptions = {
      ...common,
      cuSeqlensQ: cumulative(lensQ),
      cuSeqlensK: cumulative(lensK),
      maxSeqlenQ: Math.max(...lensQ),
      maxSeqlenK: Math.max(...lensK),
    };
    const [q, k, v, dOut] = [
      pack(m.inputs.q, lensQ),
      pack(m.inputs.k, lensK),
      pack(m.inputs.v, lensK),
      pack(m.inputs.dOut, lensQ),
    ];
    const packed = withGrads(
      (a: Tensor, b: Tensor, cc: Tensor) => varlen(a as Tensor3D, b as Tensor3D, cc as Tensor3D, options),
      [q, k, v],
      dOut,
    );
    // One flash_attn_func call per sequence ([1, S, H, D]); an empty side contributes zeros.
    const per = lensQ.map((lq, b) => {
      const lk = lensK[b]!;
      const [qb, kb, vb, ob] = [
        seq(m.inputs.q, b, lq),
        seq(m.inputs.k, b, lk),
        seq(m.inputs.v, b, lk),
        seq(m.inputs.dOut, b, lq),
      ];
      if (lq === 0 || lk === 0) return { out: zerosLike(ob), grads: [zerosLike(qb), zerosLike(kb), zerosLike(vb)] };
      const batched = (t: HostTensor) => ({ shape: [1, ...t.shape], data: t.data });
      const r = withGrads(
        (a: Tensor, bb: Tensor, cc: Tensor) => flashAttnFunc(a as Tensor4D, bb as Tensor4D, cc as Tensor4D, common),
        [qb, kb, vb].map(batched),
        batched(ob),
      );
      const unbatched = (t: HostTensor) => ({ shape: t.shape.slice(1), data: t.data });
      return { out: unbatched(r.out), grads: r.grads.map(unbatched) };
    });
    const joined = (f: (p: (typeof per)[number]) => HostTensor) => concatAxis(per.map(f), 0);
    const nat = naturalOf(m);
    const label = `varlen [${lensQ.join(',')}]x[${lensK.join(',')}] ${causal ? 'causal ' : ''}${c.precision}:`;
    return allOf(
      compareTensors(
        `${label} out`,
        packed.out,
        joined((p) => p.out),
        tol,
        { natural: nat.out },
      ),
      compareTensors(
        `${label} dq`,
        packed.grads[0]!,
        joined((p) => p.grads[0]!),
        tol,
        { natural: nat.dq },
      ),
      compareTensors(
        `${label} dk`,
        packed.grads[1]!,
        joined((p) => p.grads[1]!),
        tol,
        { natural: nat.dk },
      ),
      compareTensors(
        `${label} dv`,
        packed.grads[2]!,
        joined((p) => p.grads[2]!),
        tol,
        { natural: nat.dv },
      ),
    );
  };
}

const zerosLike = (t: HostTensor): HostTensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });
