/**
 * Metamorphic relations of attention kernels: the same attention computed two ways must agree.
 * Each relation takes the kernel (or kernel family) under test, so the suites run it on the
 * built-ins and on deliberately broken kernels (fixtures/broken-kernels/metamorphic/).
 *
 *   blockIndependence      flash(Br, Bc) = flash(one tile)
 *   decodeConsistency      the last m query rows alone = those rows of the full call (bottom-right)
 *   batchIndependence      changing batch row b' changes nothing in any other row
 *
 * Gradients are compared too: the backward sees the cotangent restricted the same way (rows not
 * compared get dOut = 0, so dK and dV are comparable).
 */
import fc from 'fast-check';
import { type AttentionCase, type AttentionCaseConstraints, attentionCase } from '../../src/case/index.js';
import type { AttentionKernel, AttentionResult, HostTensor, Precision } from '../../src/contract/index.js';
import { compareResults, naturalOf, type Tol } from './compare.js';
import { allOf, type Relation } from './engine.js';
import { maskToTensor, putAxis, sliceAxis, tensorToMask, zeroAxis } from './metamorphic-tensors.js';
import { type KernelArg, kernelFor, materialise, run, withMaterial } from './run.js';

/** Small cases: metamorphic relations run each case two or more times. */
export const SMALL: AttentionCaseConstraints = { maxBatch: 2, maxHeads: 4, maxSeq: 7, maxHeadDim: 5 };

// ---------------------------------------------------------------------------------------------
// Flash block sizes

/** One tile covers every fuzzing-sized call: the block-free computation. */
const ONE_TILE = { Br: 64, Bc: 64 };

/**
 * flash with the case's (Br, Bc) equals flash with one tile. Blocks come from the case arbitrary:
 * 1, S ± 1, ceil(S/2), non-divisors and blocks larger than S.
 */
export function blockIndependence(
  flashWith: (b: { Br: number; Bc: number }) => AttentionKernel,
  tol: Record<Precision, Tol>,
): Relation<AttentionCase> {
  return (c) => {
    const m = materialise(c);
    const tiled = run(flashWith(c.blocks), m);
    const whole = run(flashWith(ONE_TILE), m);
    return compareResults(
      `flash(Br=${c.blocks.Br},Bc=${c.blocks.Bc}) vs one tile, ${c.precision}:`,
      tiled,
      whole,
      tol[c.precision],
      naturalOf(m),
    );
  };
}

// ---------------------------------------------------------------------------------------------
// Decode consistency

export interface DecodeCase {
  readonly case: AttentionCase;
  /** How many of the last query rows are decoded alone, in [1, Sq]. */
  readonly m: number;
}

/** Bottom-right causal cases (the decode alignment); no dropout, whose hash is indexed by query row. */
export function decodeCases(k: AttentionCaseConstraints = SMALL): fc.Arbitrary<DecodeCase> {
  return fc
    .record({ case: attentionCase({ ...k, causals: ['bottom-right'], allowDropout: false }), m: fc.nat() })
    .map(({ case: c, m }) => ({ case: c, m: 1 + (m % c.shapes.Sq) }));
}

/**
 * The last m query rows against the full K/V give those rows of the full computation. The full
 * call's dOut is zero on the other rows, so dK and dV of both calls must agree as well.
 */
export function decodeConsistency(k: KernelArg, tol: Tol): Relation<DecodeCase> {
  return ({ case: c, m }) => {
    const full = materialise(c);
    const { Sq } = full.shapes;
    const kernel = kernelFor(k, c);
    const rows = (t: HostTensor) => sliceAxis(t, 2, Sq - m, Sq);
    const mask = full.options.mask;
    const decode = withMaterial(full, {
      shapes: { Sq: m },
      inputs: { q: rows(full.inputs.q), dOut: rows(full.inputs.dOut) },
      options: { mask: mask && tensorToMask(rows(maskToTensor(mask))) },
    });
    const a = run(kernel, decode);
    const b = run(kernel, withMaterial(full, { inputs: { dOut: zeroAxis(full.inputs.dOut, 2, 0, Sq - m) } }));
    const label = `${kernel.name} last ${m} of ${Sq} rows`;
    return compareResults(label, a, { ...b, out: rows(b.out), dq: rows(b.dq) }, tol);
  };
}

// ---------------------------------------------------------------------------------------------
// Batch row independence

export interface BatchCase {
  readonly case: AttentionCase;
  /** The row that changes. */
  readonly row: number;
  /** Seeds of its new values and mask; its new key length (if the case pads). */
  readonly seed: number;
  readonly maskSeed: number;
  readonly length: number;
}

export function batchCases(k: AttentionCaseConstraints = SMALL): fc.Arbitrary<BatchCase> {
  return fc
    .record({
      // Two rows are enough to see one leak into the other.
      case: attentionCase({ ...k, fixed: { ...k.fixed, shapes: { B: 2, ...k.fixed?.shapes } } }),
      row: fc.nat(),
      seed: fc.nat(),
      maskSeed: fc.nat(),
      length: fc.nat(),
    })
    .map((r) => ({ ...r, row: r.row % r.case.shapes.B, length: r.length % (r.case.shapes.Sk + 1) }));
}

/**
 * Row `row` gets new q, k, v, dOut, key length and (per-row) mask; every other row's out, dq, dk
 * and dv stay exactly as they were.
 */
export function batchIndependence(k: KernelArg, tol: Tol): Relation<BatchCase> {
  return ({ case: c, row, seed, maskSeed, length }) => {
    const before = materialise(c);
    const keyLengths = c.keyLengths === null ? null : c.keyLengths.map((l, b) => (b === row ? length : l));
    const other = materialise({ ...c, seed, keyLengths, mask: c.mask && { ...c.mask, seed: maskSeed } });
    const mix = (name: 'q' | 'k' | 'v' | 'dOut') =>
      putAxis(before.inputs[name], 0, row, sliceAxis(other.inputs[name], 0, row, row + 1));
    const mask = before.options.mask;
    const mixedMask =
      mask && mask.shape[0] > 1
        ? tensorToMask(
            putAxis(maskToTensor(mask), 0, row, sliceAxis(maskToTensor(other.options.mask!), 0, row, row + 1)),
          )
        : mask;
    const after = withMaterial(before, {
      inputs: { q: mix('q'), k: mix('k'), v: mix('v'), dOut: mix('dOut') },
      options: { keyLengths, mask: mixedMask },
    });
    const kernel = kernelFor(k, c);
    const [a, b] = [run(kernel, before), run(kernel, after)];
    const at = (t: AttentionResult, r: number) => ({
      out: sliceAxis(t.out, 0, r, r + 1),
      dq: sliceAxis(t.dq, 0, r, r + 1),
      dk: sliceAxis(t.dk, 0, r, r + 1),
      dv: sliceAxis(t.dv, 0, r, r + 1),
    });
    const others = [...Array(c.shapes.B).keys()].filter((r) => r !== row);
    return allOf(
      ...others.map((r) =>
        compareResults(`${kernel.name} row ${r} after changing row ${row}:`, at(b, r), at(a, r), tol),
      ),
    );
  };
}
