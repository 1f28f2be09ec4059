/**
 * The engine behind `attentionCase`: draws independent primitives (attentionPrimitives.ts) and maps
 * them to a case. Every dependent field is a function of primitives (Hkv from a divisor index of
 * Hq, keyLengths from per-row padding amounts clamped to Sk, blocks from a relation to the length,
 * the lengths of a large case from their own primitives), so each primitive shrinks on its own and
 * every shrunk value is still a valid case.
 *
 * Sizes follow the schedule of schedule.ts: `size` picks a small case (lengths and head dims up to
 * smallSeq / smallHeadDim, as before the schedule) or, a `largeShare` of the time, a large one
 * (decode against a long cache, Sq < Sk, Sq > Sk, both long, or long head dims); `size` shrinks to
 * small first, so a failure that does not need length never keeps it.
 */
import type fc from 'fast-check';
import type { AttentionShapes, Causal, DropoutSpec } from '../../contract/index.js';
import type { AttentionCaseFixed, ResolvedAttentionConstraints } from '../constraints.js';
import { type AttentionCase, type BiasSpec, CASE_VERSION, type MaskSpec } from '../types.js';
import { scaleForHeadDim } from './attentionDraws.js';
import { type AttentionPrimitives, attentionPrimitives } from './attentionPrimitives.js';
import { blockFor, divisorsDescending } from './biased.js';
import { COST_BUDGET, capHeadDim, GRID, SCORE_BUDGET } from './schedule.js';

export { allowsLarge } from './attentionPrimitives.js';

type FixedFields = Omit<AttentionCaseFixed, 'shapes'>;

export function buildAttentionCaseArbitrary(k: ResolvedAttentionConstraints): fc.Arbitrary<AttentionCase> {
  const { shapes: _shapes, ...fixedRest } = k.fixed;
  return attentionPrimitives(k).map((p) => attentionCaseOf(k, fixedRest, p));
}

/** The case of a draw; pinned fields win over drawn ones. */
function attentionCaseOf(
  k: ResolvedAttentionConstraints,
  fixedRest: FixedFields,
  p: AttentionPrimitives,
): AttentionCase {
  const layout = fixedRest.layout ?? p.layout;
  const { shapes, causal } = shapesOf(k, fixedRest, p);
  const { B, Sq, Sk } = shapes;
  const scale = scaleForHeadDim(p.scale, shapes.D);
  const mask: MaskSpec | null =
    p.mask === null
      ? null
      : {
          broadcastBatch: !p.mask.perBatch,
          broadcastHeads: !p.mask.perHead,
          density: p.mask.density,
          seed: p.mask.seed,
        };
  const dropout: DropoutSpec | null = p.dropout;
  // Padding amount in [0, Sk] (shrinking to 0 = full length): an empty batch row (length 0) is
  // likely only for short keys, where it is cheap to look at.
  const keyLengths = p.pads === null ? null : p.pads.slice(0, B).map((pad) => Sk - (pad % (Sk + 1)));
  // A window alone, half the time: not causal, unpadded, no mask, where a kernel's "is anything
  // masked?" shortcut looks (adapters#721 dropped causal that way; mutation testing found eager
  // overlooking a one-sided window alone: docs/mutation.md). Pinned fields still win.
  const alone = p.window !== null && p.windowAlone && k.causals.includes('none');
  const c: AttentionCase = {
    version: CASE_VERSION,
    kind: 'attention',
    shapes,
    scale,
    causal: alone ? 'none' : causal,
    window: windowOf(p.window, Sq, Sk),
    keyLengths: alone ? null : keyLengths,
    paddingSide: p.paddingSide,
    mask: alone ? null : mask,
    dropout,
    precision: p.precision,
    layout,
    values: p.values,
    junk: p.junk,
    blocks: {
      Br: tilesAtMost(blockFor(Sq, p.brRelation, p.brFree), Sq),
      Bc: tilesAtMost(blockFor(Sk, p.bcRelation, p.bcFree), Sk),
    },
    seed: p.seed,
    ...(layout === 'strided' ? { view: p.view } : {}),
    ...scoreOptions(p),
  };
  return { ...c, ...fixedRest };
}

/**
 * The window [left, right] of a draw [left, right, reach]. A side hides a key only when it is
 * narrower than the lengths allow (structurallyVisible: key j is hidden left of diag_i - left and
 * right of diag_i + right, where diag_i = i + Sk - Sq runs from Sk - Sq to Sk - 1):
 *
 *   left  hides a key iff left  < Sk - 1        Sq = 2, Sk = 4, window [1, -1]:   k0 k1 k2 k3
 *   right hides a key iff right < Sq - 1                                    q0   .  x  x  x
 *                                                                           q1   .  .  x  x
 * A side drawn wider (over half the windows drawn hid no key) is an unrestricted window,
 * which says nothing about whether a kernel honours it: with reach > 0 (3 windows in 4) a bounded
 * side is taken modulo its range, so it hides a key wherever the lengths allow one to be hidden.
 */
function windowOf(
  w: readonly [number, number, number] | null,
  Sq: number,
  Sk: number,
): readonly [number, number] | null {
  if (w === null) return null;
  const [left, right, reach] = w;
  if (reach === 0) return [left, right];
  const within = (side: number, range: number) => (side >= 0 && range >= 1 ? side % range : side);
  return [within(left, Sk - 1), within(right, Sq - 1)];
}

/** Hq and Hkv: Hkv among the divisors of Hq; Hkv pinned alone means Hq is drawn as a multiple of it. */
function headsOf(k: ResolvedAttentionConstraints, p: AttentionPrimitives): { Hq: number; Hkv: number } {
  const fs = k.fixed.shapes ?? {};
  if (fs.Hkv !== undefined) {
    const Hkv = fs.Hkv;
    const Hq = fs.Hq === undefined ? Hkv * (1 + ((p.Hq - 1) % Math.max(1, Math.floor(k.maxHeads / Hkv)))) : p.Hq;
    return { Hq, Hkv };
  }
  const divisors = divisorsDescending(p.Hq);
  return { Hq: p.Hq, Hkv: divisors[p.hkvIndex % divisors.length]! };
}

/** The shapes of a draw, small or large, and its causal alignment. */
function shapesOf(
  k: ResolvedAttentionConstraints,
  fixedRest: FixedFields,
  p: AttentionPrimitives,
): { shapes: AttentionShapes; causal: Causal } {
  const fs = k.fixed.shapes ?? {};
  const heads = headsOf(k, p);
  if (p.size === 'large' && p.long !== null) {
    const shapes = largeShapes(k, p, p.long, heads);
    // Top-left causal would let a decode query see key 0 only: the long cache would be wasted
    // (small cases keep that corner).
    const decode = shapes.Sq === 1 && p.causal === 'top-left' && fixedRest.causal === undefined;
    return { shapes, causal: decode ? 'bottom-right' : p.causal };
  }
  const Sq = p.Sq;
  const Sk = fs.Sk ?? (p.skIsSq && Sq > 1 ? Sq : p.Sk);
  return { shapes: { B: p.B, ...heads, Sq, Sk, D: p.D, Dv: fs.Dv ?? p.Dv ?? p.D }, causal: p.causal };
}

/** The shapes of a large case, kept within the budgets of schedule.ts. */
function largeShapes(
  k: ResolvedAttentionConstraints,
  p: AttentionPrimitives,
  l: NonNullable<AttentionPrimitives['long']>,
  heads: { Hq: number; Hkv: number },
): AttentionShapes {
  const fs = k.fixed.shapes ?? {};
  let { Hq, Hkv } = heads;
  let Sq = fs.Sq ?? (l.qPick === 'decode' ? 1 : l.qPick === 'small' ? p.Sq : l.Sq);
  let Sk = fs.Sk ?? (l.kPick === 'same' && Sq > 1 ? Sq : l.kPick === 'small' ? p.Sk : Sq === 1 ? l.cache : l.Sk);
  // A large case stays cheap (schedule.ts): B <= 2; over the score budget B, then the heads, drop
  // to 1, then the shorter of two long lengths is a small one; long lengths cap the head dims.
  let B = fs.B ?? 1 + ((p.B - 1) % 2);
  if (B * Hq * Sq * Sk > SCORE_BUDGET && fs.B === undefined) B = 1;
  if (B * Hq * Sq * Sk > SCORE_BUDGET && fs.Hq === undefined && fs.Hkv === undefined) [Hq, Hkv] = [1, 1];
  if (B * Hq * Sq * Sk > SCORE_BUDGET) {
    if (Sq <= Sk && fs.Sq === undefined) Sq = p.Sq;
    else if (fs.Sk === undefined) Sk = p.Sk;
  }
  const room = Math.floor(COST_BUDGET / (B * Hq * Sq * Sk * 2));
  const D = fs.D ?? capHeadDim(l.D, room);
  const Dv = fs.Dv ?? capHeadDim(l.Dv ?? l.D, room);
  return { B, Hq, Hkv, Sq, Sk, D, Dv };
}

/**
 * A block for a length S, at least S / 2 once S is past the grid: a long case is at most two tiles a
 * side for the built-in flash, which runs its tiles one by one (its many-tile paths are the small
 * cases' business).
 */
const tilesAtMost = (block: number, S: number): number => (S > GRID ? Math.max(block, Math.ceil(S / 2)) : block);

/** The score options of a draw, present only when drawn (a case without them is as before them). */
function scoreOptions(p: AttentionPrimitives): Pick<AttentionCase, 'softcap' | 'alibi' | 'bias' | 'sinks'> {
  const bias: BiasSpec | null =
    p.bias === null
      ? null
      : { broadcastBatch: !p.bias.perBatch, broadcastHeads: !p.bias.perHead, std: p.bias.std, seed: p.bias.seed };
  return {
    ...(p.softcap !== null ? { softcap: p.softcap } : {}),
    ...(p.alibi !== null ? { alibi: p.alibi } : {}),
    ...(bias !== null ? { bias } : {}),
    ...(p.sinks !== null ? { sinks: p.sinks } : {}),
  };
}
