/**
 * The attention suite's stages:
 *
 *   materialise  src/data: q, k, v, dOut from the case's seeds, rounded to its precision, junk written
 *   reference    src/reference, float64, on exactly the rounded inputs the kernels see
 *   run          the kernel in the case's layout (layout.ts), forward + gradients of sum(out ∘ dOut)
 *   reference    also the same-precision baseline (the reference rounded at the contract's points)
 *                and the error scales of the terms: plain TypeScript, once per case, whatever the
 *                backends (src/oracle/tolerance.ts)
 *   specs        the oracle's attention specs
 */
import {
  type AttentionCase,
  type AttentionCaseConstraints,
  admitsAttentionCase,
  attentionCase,
  attentionCaseSchema,
  GRID,
  HEAD_DIMS,
  parseCase,
  resolveAttentionConstraints,
} from '../../case/index.js';
import { type AttentionResult, type HostTensor, roundTo } from '../../contract/index.js';
import { type MaterialisedAttention, materialiseAttention } from '../../data/index.js';
import { attentionSpecs } from '../../oracle/index.js';
import { attentionTermScales, referenceAttention, type TermScales } from '../../reference/index.js';
import { hugeJunkRead } from '../junkReach.js';
import { parsedOnly, type Simplification, type Suite } from '../suite.js';
import { aimAttention, runAttentionCase } from './attentionKernel.js';

/** What the attention suite judges against: the reference, the same-precision baseline, the error scales. */
export interface AttentionExpectation {
  readonly reference: AttentionResult;
  readonly baseline: AttentionResult;
  readonly scales: TermScales;
}

/** The reference, and the baseline and error scales of src/oracle/tolerance.ts, for a materialised case. */
export function attentionExpectation(m: MaterialisedAttention): AttentionExpectation {
  const p = m.options.precision;
  return {
    reference: referenceAttention(m.inputs, m.options),
    baseline: referenceAttention(m.inputs, m.options, (x) => roundTo(p, x)),
    scales: attentionTermScales(m.inputs, m.options),
  };
}

function withShapes(c: AttentionCase, patch: Partial<AttentionCase['shapes']>): AttentionCase {
  return { ...c, shapes: { ...c.shapes, ...patch } };
}

/**
 * Simpler neighbours of a case, simplest-looking first, for what fast-check's per-field shrinking
 * cannot reach: keeping only the batch row that fails (keyLengths follow B from row 0), dropping
 * GQA by setting Hq = Hkv, moving several fields at once. Invalid ones are filtered by the schema.
 */
export function attentionNeighbours(c: AttentionCase): Simplification<AttentionCase>[] {
  const s = c.shapes;
  const out: Simplification<AttentionCase>[] = [];
  const add = (step: string, n: AttentionCase) => out.push({ step, case: n });
  if (s.B > 1) {
    for (let b = 0; b < s.B; b++) {
      add(`keep batch row ${b}`, {
        ...withShapes(c, { B: 1 }),
        keyLengths: c.keyLengths === null ? null : [c.keyLengths[b]!],
        mask: c.mask === null ? null : { ...c.mask, broadcastBatch: true },
      });
    }
  }
  if (s.B > 2)
    add('B - 1', {
      ...withShapes(c, { B: s.B - 1 }),
      keyLengths: c.keyLengths === null ? null : c.keyLengths.slice(0, s.B - 1),
    });
  if (s.Hq > s.Hkv) add('drop GQA (Hq = Hkv)', withShapes(c, { Hq: s.Hkv }));
  if (s.Hkv > 1 && s.Hkv % 2 === 0 && s.Hq % 2 === 0)
    add('half the heads', withShapes(c, { Hkv: s.Hkv / 2, Hq: s.Hq / 2 }));
  if (s.Hkv > 1) add('one kv head', withShapes(c, { Hkv: 1, Hq: s.Hq / s.Hkv }));
  if (s.Hq > 1 && s.Hkv === 1) add('one query head', withShapes(c, { Hq: 1 }));
  if (c.softcap != null) add('no softcap', { ...c, softcap: null });
  if (c.alibi != null) add('no ALiBi', { ...c, alibi: null });
  if (c.bias != null) add('no bias', { ...c, bias: null });
  if (c.sinks != null) add('no sinks', { ...c, sinks: null });
  if (c.mask !== null) add('no mask', { ...c, mask: null });
  if (c.window !== null) add('no window', { ...c, window: null });
  if (c.dropout !== null) add('no dropout', { ...c, dropout: null });
  if (c.keyLengths !== null) add('no padding', { ...c, keyLengths: null, paddingSide: 'right' });
  if (c.scale !== null) add('default scale', { ...c, scale: null });
  if (c.causal !== 'none') add('not causal', { ...c, causal: 'none' });
  if (c.precision !== 'float32') add('float32', { ...c, precision: 'float32' });
  if (c.layout !== 'BHSD') add('BHSD layout', { ...c, layout: 'BHSD' });
  if (c.values !== 'small-int') add('small-int values', { ...c, values: 'small-int' });
  if (c.junk !== 'none') add('no junk', { ...c, junk: 'none' });
  const lens = (Sk: number) => (c.keyLengths === null ? null : c.keyLengths.map((l) => Math.min(l, Sk)));
  // Long lengths and head dims first jump (to just past the grid edge below, to the listed head dim
  // below), so a case of 257 keys that needs 65 gets there in a few steps, not 192.
  const pastEdgeBelow = (S: number) => GRID * Math.floor((S - 2) / GRID) + 1;
  const dimBelow = (d: number) => HEAD_DIMS.filter((x) => x < d).pop() ?? 1;
  if (s.Sq > GRID + 1) add(`Sq = ${pastEdgeBelow(s.Sq)}`, withShapes(c, { Sq: pastEdgeBelow(s.Sq) }));
  if (s.Sk > GRID + 1)
    add(`Sk = ${pastEdgeBelow(s.Sk)}`, {
      ...withShapes(c, { Sk: pastEdgeBelow(s.Sk) }),
      keyLengths: lens(pastEdgeBelow(s.Sk)),
    });
  if (s.D > 12) add(`D = ${dimBelow(s.D)}`, withShapes(c, { D: dimBelow(s.D) }));
  if (s.Dv > 12) add(`Dv = ${dimBelow(s.Dv)}`, withShapes(c, { Dv: dimBelow(s.Dv) }));
  if (s.Sq > 1) add('Sq - 1', withShapes(c, { Sq: s.Sq - 1 }));
  if (s.Sk > 1) add('Sk - 1', { ...withShapes(c, { Sk: s.Sk - 1 }), keyLengths: lens(s.Sk - 1) });
  if (s.Sq > 1 && s.Sk > 1)
    add('Sq - 1 and Sk - 1', { ...withShapes(c, { Sq: s.Sq - 1, Sk: s.Sk - 1 }), keyLengths: lens(s.Sk - 1) });
  if (s.D > 1) add('D = 1', withShapes(c, { D: 1 }));
  if (s.D > 1) add('D - 1', withShapes(c, { D: s.D - 1 }));
  if (s.Dv > 1) add('Dv = 1', withShapes(c, { Dv: 1 }));
  if (s.Dv > 1) add('Dv - 1', withShapes(c, { Dv: s.Dv - 1 }));
  return parsedOnly(out, parseCase);
}

/** A size sum: smaller is simpler. */
export function attentionCaseSize(c: AttentionCase): number {
  const s = c.shapes;
  const flags =
    [c.mask, c.window, c.dropout, c.keyLengths, c.scale].filter((x) => x !== null).length +
    [c.softcap, c.alibi, c.bias, c.sinks].filter((x) => x != null).length;
  const enums = [
    c.causal !== 'none',
    c.precision !== 'float32',
    c.layout !== 'BHSD',
    c.values !== 'small-int',
    c.junk !== 'none',
  ].filter(Boolean).length;
  return s.B + s.Hq + s.Hkv + s.Sq + s.Sk + s.D + s.Dv + flags + enums;
}

export const attentionSuite: Suite<
  AttentionCase,
  MaterialisedAttention,
  AttentionExpectation,
  AttentionCaseConstraints
> = {
  kind: 'attention',
  schema: attentionCaseSchema,
  parse: parseCase,
  arbitrary: (constraints) => attentionCase(constraints),
  admits: (constraints, c) => admitsAttentionCase(resolveAttentionConstraints(constraints), c),
  materialise: materialiseAttention,
  reference: (_c, m) => attentionExpectation(m),
  aim: aimAttention,
  run: runAttentionCase,
  explain: async (k, c, _m, fails) => (k.attention ? hugeJunkRead(k.attention(c), c, fails) : null),
  specs: (_k, _c, m, e) =>
    attentionSpecs(m, e.reference, e.baseline, { terms: e.scales, mass: e.scales.mass, logit: e.scales.logit }),
  neighbours: attentionNeighbours,
  size: attentionCaseSize,
  inputs: (m) => {
    const { q, k, v, dOut } = m.inputs;
    const { mask, alibiSlopes, bias, sinks } = m.options;
    const scores: Array<readonly [string, HostTensor]> = [];
    for (const [name, t] of [
      ['alibiSlopes', alibiSlopes],
      ['bias', bias],
      ['sinks', sinks],
    ] as const)
      if (t != null) scores.push([name, t]);
    return [
      ['q', q],
      ['k', k],
      ['v', v],
      ['dOut', dOut],
      ...(mask ? [['mask', { shape: mask.shape, data: Float64Array.from(mask.data) }] as const] : []),
      ...scores,
    ];
  },
};
