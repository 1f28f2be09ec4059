/**
 * Split-KV decoding (flash-attn num_splits, FlashInfer merge_state), with the score options:
 * attention over key parts A_1..A_n, each returning (O_c, lse_c), merged in any order by
 *
 *   lse = log Σ_c e^{lse_c},   O = Σ_c e^{lse_c - lse}·O_c
 *
 * equals attention over all keys. Each part is a contract call on its keys alone, so what depends
 * on a key's global position is handed over explicitly: visibility as one boolean mask, ALiBi and
 * the bias as one float bias [B, Hq, Sq, Sk] (ALiBi's distance uses the global Sk), both sliced per
 * part. The sink belongs to no part: it is one more state (O = 0, lse = sink_h) merged last, in
 * rows that saw some key (a row that sees none stays O = 0, lse = -inf, sink or not).
 *
 * Empty parts (repeated cuts) and rows a part hides entirely have lse_c = -inf: merging two such
 * states must give O = 0 and lse = -inf, not exp(-inf - -inf) = NaN (flashinfer-ai/flashinfer#4051).
 */
import fc from 'fast-check';
import { type AttentionCase, type AttentionCaseConstraints, attentionCase } from '../../src/case/index.js';
import {
  type AttentionKernel,
  type AttentionOptions,
  alibiTerm,
  biasTerm,
  type HostTensor,
  visibilityPattern,
} from '../../src/contract/index.js';
import { forwardBackward } from '../../src/execute/index.js';
import { compareTensors, naturalOf, type Tol } from './compare.js';
import { allOf, type Relation } from './engine.js';
import { SMALL } from './metamorphic-attention.js';
import { type ForwardWithLse, keyParts, mergeByLse } from './metamorphic-keys.js';
import { materialise } from './run.js';

/** Merges partial states (out [B,Hq,Sq,Dv], lse [B,Hq,Sq]) row by row: the operation under test. */
export type MergeStates = (parts: ReadonlyArray<{ out: HostTensor; lse: HostTensor }>) => {
  out: HostTensor;
  lse: HostTensor;
};

export interface SplitCase {
  readonly case: AttentionCase;
  /** Where the keys are cut, ascending in [0, Sk]: repeats and the ends make empty parts. */
  readonly cuts: readonly number[];
  /** The order the parts are merged in: part order[n] goes n-th. */
  readonly order: readonly number[];
}

/** Cases with every option but dropout (its hash is indexed by a key's position, which a part renumbers). */
export function splitCases(k: AttentionCaseConstraints = SMALL): fc.Arbitrary<SplitCase> {
  const cases = attentionCase({
    ...k,
    allowDropout: false,
    allowSoftcap: true,
    allowAlibi: true,
    allowBias: true,
    allowSinks: true,
    junk: ['none'],
  });
  return fc
    .record({
      case: cases,
      cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      keys: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
    })
    .map(({ case: c, cuts, keys }) => ({
      case: c,
      cuts: cuts.map((x) => x % (c.shapes.Sk + 1)).sort((a, b) => a - b),
      // A permutation of the cuts.length + 1 parts, from random sort keys.
      order: Array.from({ length: cuts.length + 1 }, (_, n) => n).sort((a, b) => keys[a]! - keys[b]! || a - b),
    }));
}

/** A contract kernel's forward with the lse it returns (forward only); throws if it returns none. */
export function kernelForwardWithLse(kernel: AttentionKernel): ForwardWithLse {
  return (m) => {
    const r = forwardBackward(
      kernel,
      { buffers: [m.inputs.q, m.inputs.k, m.inputs.v], views: (t) => [t[0], t[1], t[2]] as never },
      m.inputs.dOut,
      m.options,
      { backward: false },
    );
    if (r.lse === null) throw new Error(`${kernel.name} returns no lse`);
    return { out: r.out, lse: r.lse };
  };
}

/** The options of `m` with visibility as one mask and ALiBi + bias as one bias [B, Hq, Sq, Sk], no sinks. */
function explicitOptions(o: AttentionOptions, s: { B: number; Hq: number; Sq: number; Sk: number }): AttentionOptions {
  const { B, Hq, Sq, Sk } = s;
  const mask = { shape: [B, Hq, Sq, Sk] as const, data: visibilityPattern(o, { ...s, Hkv: 1, D: 1, Dv: 1 }) };
  let bias: HostTensor | null = null;
  if (o.alibiSlopes != null || o.bias != null) {
    const data = new Float64Array(B * Hq * Sq * Sk);
    let n = 0;
    for (let b = 0; b < B; b++)
      for (let h = 0; h < Hq; h++)
        for (let i = 0; i < Sq; i++)
          for (let j = 0; j < Sk; j++)
            data[n++] = alibiTerm(o.alibiSlopes, b, h, i, j, Sq, Sk) + biasTerm(o.bias, b, h, i, j);
    bias = { shape: [B, Hq, Sq, Sk], data };
  }
  return { ...o, causal: 'none', window: null, keyLengths: null, mask, alibiSlopes: null, bias, sinks: null };
}

/** The sink as a state: O = 0, lse = sink_h in rows whose merged lse is finite, -inf elsewhere. */
function sinkState(
  merged: { out: HostTensor; lse: HostTensor },
  sinks: HostTensor,
  Hq: number,
  Sq: number,
): { out: HostTensor; lse: HostTensor } {
  const lse = merged.lse.data.map((l, r) => (l === -Infinity ? -Infinity : sinks.data[Math.floor(r / Sq) % Hq]!));
  return {
    out: { shape: merged.out.shape, data: new Float64Array(merged.out.data.length) },
    lse: { shape: merged.lse.shape, data: lse },
  };
}

/**
 * Attention over the parts of `cuts`, merged by `merge` in `order` (then the sink), against attention over all keys.
 */
export function splitKvMerge(
  forward: ForwardWithLse,
  tol: Tol,
  lseTol: Tol = tol,
  merge: MergeStates = mergeByLse,
): Relation<SplitCase> {
  return ({ case: c, cuts, order }) => {
    const m = materialise(c);
    const { Hq, Sq, Sk } = m.shapes;
    const options = explicitOptions(m.options, m.shapes);
    const bounds = [0, ...cuts, Sk];
    const parts = keyParts(forward, m, options, bounds);
    let merged = merge(order.map((n) => parts[n]!));
    if (m.options.sinks != null) merged = merge([merged, sinkState(merged, m.options.sinks, Hq, Sq)]);
    const whole = forward(m);
    const label =
      `parts [${bounds.join(',')}] merged in order ` +
      `[${order.join(',')}]${m.options.sinks != null ? ' + sink' : ''}, ${c.precision}:`;
    return allOf(
      compareTensors(`${label} out`, merged.out, whole.out, tol, { natural: naturalOf(m).out }),
      compareTensors(`${label} lse`, merged.lse, whole.lse, lseTol, { natural: 1 }),
    );
  };
}
