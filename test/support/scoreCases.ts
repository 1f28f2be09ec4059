/**
 * Test support for the score options (softcap, ALiBi, bias, sinks): a table of tiny cases, each
 * option alone and with the visibility options it meets, and one differential helper measuring
 * out, dq, dk, dv and, where they apply, lse, dbias, dsinks against the float64 reference.
 */
import seedrandom from 'seedrandom';
import { tf } from '../../src/backend/index.js';
import {
  type AttentionKernel,
  type AttentionOptions,
  type AttentionShapes,
  defaultOptions,
  type HostTensor,
  type KernelFeature,
  maxRelError,
  missingFeatures,
  numel,
  type Precision,
  roundArray,
} from '../../src/contract/index.js';
import { runAttentionKernel } from '../../src/execute/index.js';
import { referenceAttention } from '../../src/reference/index.js';
import { makeInputs, randomMask } from './kernelTesting.js';

/** Uniform values in [-amp, amp) from `seed`, rounded to `precision` (the harness rounds every input). */
export function uniformTensor(shape: number[], seed: string, amp = 1, precision: Precision = 'float32'): HostTensor {
  const rng = seedrandom(seed);
  return {
    shape,
    data: roundArray(
      precision,
      Float64Array.from({ length: numel(shape) }, () => amp * (2 * rng() - 1)),
    ),
  };
}

export interface ScoreCase {
  readonly name: string;
  readonly shapes: AttentionShapes;
  /** The options; float tensors are made for the run's precision. */
  readonly options: (p: Precision) => Partial<AttentionOptions>;
  /** The features it needs. */
  readonly needs: readonly KernelFeature[];
}

const base: AttentionShapes = { B: 2, Hq: 4, Hkv: 2, Sq: 3, Sk: 5, D: 4, Dv: 3 };
const u = uniformTensor;

export const SCORE_CASES: readonly ScoreCase[] = [
  { name: 'softcap 1 (scale 1)', shapes: base, needs: ['softcap'], options: () => ({ scale: 1, softcap: 1 }) },
  {
    name: 'softcap 5 + causal bottom-right',
    shapes: base,
    needs: ['softcap'],
    options: () => ({ softcap: 5, causal: 'bottom-right' }),
  },
  { name: 'ALiBi [Hq]', shapes: base, needs: ['alibi'], options: (p) => ({ alibiSlopes: u([4], 'a1', 0.5, p) }) },
  {
    name: 'ALiBi [B,Hq] + causal top-left',
    shapes: base,
    needs: ['alibi'],
    options: (p) => ({ alibiSlopes: u([2, 4], 'a2', 0.5, p), causal: 'top-left' }),
  },
  { name: 'bias [B,Hq,Sq,Sk]', shapes: base, needs: ['bias'], options: (p) => ({ bias: u([2, 4, 3, 5], 'b1', 1, p) }) },
  {
    name: 'bias [1,1,Sq,Sk] + keyLengths',
    shapes: base,
    needs: ['bias'],
    options: (p) => ({ bias: u([1, 1, 3, 5], 'b2', 1, p), keyLengths: [5, 2] }),
  },
  {
    name: 'bias [B,1,Sq,Sk] + mask (empty rows)',
    shapes: base,
    needs: ['bias'],
    options: (p) => ({ bias: u([2, 1, 3, 5], 'b3', 1, p), mask: randomMask([2, 4, 3, 5], 'm1', 0.3) }),
  },
  {
    name: 'bias [1,Hq,Sq,Sk] + GQA window',
    shapes: base,
    needs: ['bias'],
    options: (p) => ({ bias: u([1, 4, 3, 5], 'b4', 1, p), window: [1, 1] }),
  },
  { name: 'sinks', shapes: base, needs: ['sinks'], options: (p) => ({ sinks: u([4], 's1', 2, p) }) },
  {
    name: 'sinks + causal Sq > Sk (empty rows)',
    shapes: { ...base, Sq: 6, Sk: 3 },
    needs: ['sinks'],
    options: (p) => ({ sinks: u([4], 's2', 2, p), causal: 'bottom-right' }),
  },
  {
    name: 'everything, with dropout and several tiles',
    shapes: { ...base, Sq: 5, Sk: 7 },
    needs: ['softcap', 'alibi', 'bias', 'sinks'],
    options: (p) => ({
      softcap: 2,
      alibiSlopes: u([2, 4], 'a3', 0.3, p),
      bias: u([2, 1, 5, 7], 'b5', 1, p),
      sinks: u([4], 's3', 1, p),
      causal: 'bottom-right',
      dropout: { p: 0.2, seed: 3 },
    }),
  },
  {
    name: 'bias + ALiBi, no softcap or sinks',
    shapes: base,
    needs: ['alibi', 'bias'],
    options: (p) => ({
      alibiSlopes: u([4], 'a4', 0.5, p),
      bias: u([2, 4, 3, 5], 'b6', 1, p),
      mask: randomMask([1, 1, 3, 5], 'm2'),
    }),
  },
];

/** The tensors a score case is measured on. */
export const SCORE_TENSORS = ['out', 'dq', 'dk', 'dv', 'lse', 'dbias', 'dsinks'] as const;
export type ScoreTensor = (typeof SCORE_TENSORS)[number];

/**
 * Runs `kernel` and the reference on a score case; each tensor's maxRelError (lse: only when the
 * kernel returned one, -inf where the reference's is), and the tensors leaked.
 */
export function measureScoreCase(
  kernel: AttentionKernel,
  c: ScoreCase,
  precision: Precision = 'float32',
): { errors: Partial<Record<ScoreTensor, number>>; leaked: number } {
  const inputs = makeInputs(c.shapes, c.name, precision);
  const opts: AttentionOptions = { ...defaultOptions(c.shapes), ...c.options(precision), precision };
  if (missingFeatures(opts, kernel.features).length > 0)
    throw new Error(`${kernel.name}: ${c.name}: needs ${missingFeatures(opts, kernel.features).join(', ')}`);
  const expected = referenceAttention(inputs, opts);
  const before = tf.memory().numTensors;
  const actual = runAttentionKernel(kernel, inputs, opts);
  const leaked = tf.memory().numTensors - before;
  const errors: Partial<Record<ScoreTensor, number>> = {};
  for (const t of SCORE_TENSORS) {
    const [a, e] = [actual[t], expected[t]];
    if (a === undefined || e === undefined) continue;
    if (a.shape.join() !== e.shape.join())
      throw new Error(`${kernel.name}: ${c.name}: ${t}.shape [${a.shape}], expected [${e.shape}]`);
    errors[t] = maxRelError(a, e);
  }
  if (opts.bias != null && errors.dbias === undefined) errors.dbias = Infinity;
  if (opts.sinks != null && errors.dsinks === undefined) errors.dsinks = Infinity;
  return { errors, leaked };
}
