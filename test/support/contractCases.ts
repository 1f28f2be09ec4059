/**
 * Test support shared by the eager and sdpa kernel tests: a table of tiny cases covering every
 * option of the contract, seeded inputs, and one differential helper that runs a kernel through
 * `runAttentionKernel` and measures each tensor against the float64 reference (tinygrad's
 * helper_test_op idea: each test is one line).
 */
import { tf } from '../../src/backend/index.js';
import {
  type AttentionInputs,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionShapes,
  defaultOptions,
  type Precision,
  visible,
} from '../../src/contract/index.js';
import { hugeJunk } from '../../src/data/index.js';
import { runAttentionKernel } from '../../src/execute/index.js';
import { referenceAttention } from '../../src/reference/index.js';
import { type Errors, errorsOf, makeInputs, randomMask } from './kernelTesting.js';

export { type Errors, makeInputs, randomMask } from './kernelTesting.js';

export interface ContractCase {
  readonly name: string;
  readonly shapes: AttentionShapes;
  readonly options: Partial<AttentionOptions>;
  /** Written into K and V at keys no query of their (batch row, kv-head group) sees. */
  readonly junk?: 'nan' | 'huge';
}

/** Writes junk into k and v (in place) at every key no query of its (b, kv-head group) sees, as src/data does. */
function writeJunk(inputs: AttentionInputs, opts: AttentionOptions, s: AttentionShapes, junk: 'nan' | 'huge'): void {
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = s;
  const value = junk === 'nan' ? NaN : hugeJunk(opts.precision);
  const group = Hq / Hkv;
  for (let b = 0; b < B; b++)
    for (let g = 0; g < Hkv; g++)
      for (let j = 0; j < Sk; j++) {
        let seen = false;
        for (let h = g * group; h < (g + 1) * group; h++)
          for (let i = 0; i < Sq; i++) seen ||= visible(opts, s, b, h, i, j);
        if (seen) continue;
        const row = (b * Hkv + g) * Sk + j;
        (inputs.k.data as Float64Array).fill(value, row * D, (row + 1) * D);
        (inputs.v.data as Float64Array).fill(-value, row * Dv, (row + 1) * Dv);
      }
}

/**
 * Runs `kernel` and the reference on the case; checks shapes first, then returns the error of every
 * tensor (Infinity for a non-finite value where the reference is finite) and the tensors leaked.
 */
export function measureAgainstReference(
  kernel: AttentionKernel,
  c: ContractCase,
  precision: Precision = 'float32',
): { errors: Errors; leaked: number } {
  const inputs = makeInputs(c.shapes, c.name, precision);
  const opts: AttentionOptions = { ...defaultOptions(c.shapes), ...c.options, precision };
  if (c.junk) writeJunk(inputs, opts, c.shapes, c.junk);
  const expected = referenceAttention(inputs, opts);
  const before = tf.memory().numTensors;
  const actual = runAttentionKernel(kernel, inputs, opts);
  const leaked = tf.memory().numTensors - before;
  return { errors: errorsOf(`${kernel.name}: ${c.name}`, actual, expected), leaked };
}

const base: AttentionShapes = { B: 2, Hq: 2, Hkv: 2, Sq: 3, Sk: 4, D: 4, Dv: 4 };
const shapes = (s: Partial<AttentionShapes>): AttentionShapes => ({ ...base, ...s });

/** Every (Hq, Hkv) with Hq <= 6 and Hkv dividing Hq. */
const GQA: Array<[number, number]> = [];
for (let Hq = 1; Hq <= 6; Hq++) for (let Hkv = 1; Hkv <= Hq; Hkv++) if (Hq % Hkv === 0) GQA.push([Hq, Hkv]);

/** Every option of the contract, alone and combined, on tiny shapes. */
export const CONTRACT_CASES: readonly ContractCase[] = [
  { name: 'no restriction', shapes: base, options: {} },
  { name: 'Sq < Sk', shapes: shapes({ Sq: 2, Sk: 5 }), options: {} },
  { name: 'Sq > Sk', shapes: shapes({ Sq: 5, Sk: 2 }), options: {} },
  { name: 'Sq = 1', shapes: shapes({ Sq: 1, Sk: 5 }), options: {} },
  { name: 'Sq = Sk = 1', shapes: shapes({ Sq: 1, Sk: 1 }), options: {} },
  { name: 'Dv > D', shapes: shapes({ D: 2, Dv: 7 }), options: {} },
  { name: 'Dv < D', shapes: shapes({ D: 6, Dv: 3 }), options: {} },
  { name: 'D = 1', shapes: shapes({ D: 1, Dv: 1 }), options: {} },
  { name: 'D = 1, Dv = 3', shapes: shapes({ D: 1, Dv: 3 }), options: {} },
  { name: 'odd D = 5', shapes: shapes({ D: 5, Dv: 5 }), options: {} },
  { name: 'odd D = 7, Dv = 3', shapes: shapes({ D: 7, Dv: 3 }), options: {} },
  ...GQA.map(([Hq, Hkv]) => ({
    name: `GQA Hq=${Hq} Hkv=${Hkv}`,
    shapes: shapes({ B: 1, Hq, Hkv, Sq: 2, Sk: 3, D: 3, Dv: 2 }),
    options: {},
  })),
  {
    name: 'GQA 6/2 + causal + mask [1,Hq]',
    shapes: shapes({ Hq: 6, Hkv: 2 }),
    options: { causal: 'bottom-right', mask: randomMask([1, 6, 3, 4], 'g') },
  },
  { name: 'causal top-left Sq < Sk', shapes: shapes({ Sq: 2, Sk: 5 }), options: { causal: 'top-left' } },
  { name: 'causal top-left Sq > Sk', shapes: shapes({ Sq: 5, Sk: 2 }), options: { causal: 'top-left' } },
  { name: 'causal top-left Sq = 1 (sees key 0)', shapes: shapes({ Sq: 1, Sk: 4 }), options: { causal: 'top-left' } },
  { name: 'causal bottom-right Sq < Sk', shapes: shapes({ Sq: 2, Sk: 5 }), options: { causal: 'bottom-right' } },
  {
    name: 'causal bottom-right Sq > Sk (empty rows)',
    shapes: shapes({ Sq: 5, Sk: 2 }),
    options: { causal: 'bottom-right' },
  },
  { name: 'causal bottom-right Sq = 1', shapes: shapes({ Sq: 1, Sk: 4 }), options: { causal: 'bottom-right' } },
  { name: 'window [1,0]', shapes: shapes({ Sq: 4, Sk: 4 }), options: { window: [1, 0] } },
  { name: 'window [0,2] Sq < Sk', shapes: shapes({ Sq: 3, Sk: 6 }), options: { window: [0, 2] } },
  { name: 'window [2,-1] Sq > Sk', shapes: shapes({ Sq: 5, Sk: 3 }), options: { window: [2, -1] } },
  {
    name: 'window [-1,1] + bottom-right',
    shapes: shapes({ Sq: 4, Sk: 5 }),
    options: { window: [-1, 1], causal: 'bottom-right' },
  },
  { name: 'window [-1,-1]', shapes: base, options: { window: [-1, -1] } },
  { name: 'window [0,0] Sq > Sk (empty rows)', shapes: shapes({ Sq: 5, Sk: 2 }), options: { window: [0, 0] } },
  {
    name: 'window [1,0] + top-left',
    shapes: shapes({ Sq: 3, Sk: 5 }),
    options: { window: [1, 0], causal: 'top-left' },
  },
  { name: 'keyLengths right, one row empty', shapes: base, options: { keyLengths: [3, 0], paddingSide: 'right' } },
  { name: 'keyLengths left', shapes: base, options: { keyLengths: [1, 4], paddingSide: 'left' } },
  { name: 'keyLengths full (unpadded)', shapes: base, options: { keyLengths: [4, 4], causal: 'top-left' } },
  {
    name: 'keyLengths left + top-left (empty rows)',
    shapes: shapes({ Sq: 4, Sk: 4 }),
    options: { keyLengths: [2, 3], paddingSide: 'left', causal: 'top-left' },
  },
  {
    name: 'keyLengths right + bottom-right',
    shapes: shapes({ Sq: 2, Sk: 5 }),
    options: { keyLengths: [5, 2], causal: 'bottom-right' },
  },
  { name: 'mask [1,1,Sq,Sk]', shapes: base, options: { mask: randomMask([1, 1, 3, 4], 'm1') } },
  { name: 'mask [B,1,Sq,Sk]', shapes: base, options: { mask: randomMask([2, 1, 3, 4], 'm2') } },
  { name: 'mask [1,Hq,Sq,Sk]', shapes: base, options: { mask: randomMask([1, 2, 3, 4], 'm3') } },
  {
    name: 'mask [B,Hq,Sq,Sk] sparse (empty rows)',
    shapes: base,
    options: { mask: randomMask([2, 2, 3, 4], 'm4', 0.3) },
  },
  {
    name: 'mask + keyLengths + window',
    shapes: shapes({ Sq: 4, Sk: 5 }),
    options: { mask: randomMask([2, 1, 4, 5], 'm5'), keyLengths: [4, 2], paddingSide: 'left', window: [2, 1] },
  },
  { name: 'dropout p=0.3', shapes: base, options: { dropout: { p: 0.3, seed: 7 } } },
  {
    name: 'dropout p=0.5 + top-left + GQA',
    shapes: shapes({ Hq: 4, Hkv: 2, Sq: 4, Sk: 3 }),
    options: { dropout: { p: 0.5, seed: 123 }, causal: 'top-left' },
  },
  {
    name: 'dropout + mask + empty rows',
    shapes: base,
    options: { dropout: { p: 0.2, seed: 99 }, mask: randomMask([2, 2, 3, 4], 'm6', 0.3) },
  },
  { name: 'scale 0.37', shapes: base, options: { scale: 0.37 } },
  { name: 'scale 3 + causal', shapes: shapes({ Sq: 4, Sk: 4 }), options: { scale: 3, causal: 'top-left' } },
  { name: 'scale -0.5', shapes: base, options: { scale: -0.5 } },
  { name: 'NaN junk in right padding', shapes: base, options: { keyLengths: [2, 4] }, junk: 'nan' },
  {
    name: 'NaN junk in left padding + top-left (empty rows)',
    shapes: base,
    options: { keyLengths: [1, 3], paddingSide: 'left', causal: 'top-left' },
    junk: 'nan',
  },
  {
    name: 'NaN junk after the queries, top-left Sq < Sk',
    shapes: shapes({ Sq: 2, Sk: 5 }),
    options: { causal: 'top-left' },
    junk: 'nan',
  },
  {
    name: 'NaN junk under a sparse mask, GQA 4/2',
    shapes: shapes({ Hq: 4, Hkv: 2, Sq: 2 }),
    options: { mask: randomMask([2, 4, 2, 4], 'm7', 0.25) },
    junk: 'nan',
  },
  { name: 'huge junk outside a window', shapes: shapes({ Sq: 2, Sk: 6 }), options: { window: [1, 0] }, junk: 'huge' },
];

/** The cases without NaN junk: for kernels that read keys no query may see (eager, sdpa: P·V over all keys). */
export const FINITE_CONTRACT_CASES: readonly ContractCase[] = CONTRACT_CASES.filter((c) => c.junk !== 'nan');

/** The cases with NaN junk at keys no query may see. */
export const NAN_JUNK_CASES: readonly ContractCase[] = CONTRACT_CASES.filter((c) => c.junk === 'nan');

/**
 * The bound for bfloat16/float16 runs, per tensor, in units of the precision's unit roundoff u, on
 * `maxRelError` against the float64 reference fed the same rounded inputs.
 * - out: rounded once (<= 1 u) after P was rounded (<= 1 u of Σ|P||V|). Measured worst over
 *   CONTRACT_CASES x ~50 seeds, both kernels: 2.7 u. Bound 4 u.
 * - dq, dk, dv: up to three roundings (dP, then the gradient itself) and the cancellation in
 *   dS = P ∘ (dP - rowsum), which the norm-wise measure does not see: with a single query row of
 *   two visible keys the reference dk is small and the rounding of dP is not. Measured worst:
 *   7.6 u (bfloat16 dk, 'NaN junk after the queries', one seed); otherwise <= 4.8 u. Bound 16 u.
 * A float16 run rounded to bfloat16 instead (8x the u) fails 50 of the 55 junk-free cases; a kernel
 * that skips rounding altogether is caught by the representability tests.
 */
export const LOW_PRECISION_REL_BOUND: Errors = { out: 4, dq: 16, dk: 16, dv: 16 };
