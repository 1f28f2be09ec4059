/**
 * A structural pass after fast-check's shrinking. fast-check shrinks each generated primitive on
 * its own, so some simplifications a person would make are out of its reach: keeping only the
 * batch row that fails (the arbitrary's keyLengths follow B from row 0), dropping GQA by setting
 * Hq = Hkv, or moving several fields at once. This pass tries such neighbours of the failing case,
 * keeps any that still fails, and repeats until none does: the result fails and no neighbour
 * listed here does (the "no simpler neighbour fails" property tests assert).
 *
 * The tensors are drawn from the seed per shape, so a neighbour with other sizes has other values:
 * a neighbour is kept only if it fails again, which is what a repro needs.
 */
import { parseCase, type AttentionCase } from '../case/index.js';
import { isFailure } from '../oracle/index.js';

/** How a case was made simpler, for the report. */
export interface Simplification {
  readonly step: string;
  readonly case: AttentionCase;
}

/** A size sum: smaller is simpler (the order the neighbours are tried in does not depend on it). */
export function caseSize(c: AttentionCase): number {
  const s = c.shapes;
  const flags = [c.mask, c.window, c.dropout, c.keyLengths, c.scale].filter((x) => x !== null).length;
  const enums =
    (c.causal === 'none' ? 0 : 1) +
    (c.precision === 'float32' ? 0 : 1) +
    (c.layout === 'BHSD' ? 0 : 1) +
    (c.values === 'small-int' ? 0 : 1) +
    (c.junk === 'none' ? 0 : 1);
  return s.B + s.Hq + s.Hkv + s.Sq + s.Sk + s.D + s.Dv + flags + enums;
}

function withShapes(c: AttentionCase, patch: Partial<AttentionCase['shapes']>): AttentionCase {
  return { ...c, shapes: { ...c.shapes, ...patch } };
}

/** Simpler neighbours of a case, simplest-looking first. Invalid ones are filtered by the schema. */
export function neighbours(c: AttentionCase): Simplification[] {
  const s = c.shapes;
  const out: Simplification[] = [];
  const add = (step: string, n: AttentionCase) => out.push({ step, case: n });
  // One batch row at a time: the row that fails may not be row 0.
  if (s.B > 1) {
    for (let b = 0; b < s.B; b++) {
      add(`keep batch row ${b}`, {
        ...withShapes(c, { B: 1 }),
        keyLengths: c.keyLengths === null ? null : [c.keyLengths[b]!],
        mask: c.mask === null ? null : { ...c.mask, broadcastBatch: true },
      });
    }
  }
  if (s.Hq > s.Hkv) add('drop GQA (Hq = Hkv)', withShapes(c, { Hq: s.Hkv }));
  if (s.Hkv > 1) add('one kv head', withShapes(c, { Hkv: 1, Hq: s.Hq / s.Hkv }));
  if (s.Hq > 1 && s.Hkv === 1) add('one query head', withShapes(c, { Hq: 1 }));
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
  if (s.Sq > 1) add('Sq - 1', withShapes(c, { Sq: s.Sq - 1 }));
  if (s.Sk > 1) add('Sk - 1', { ...withShapes(c, { Sk: s.Sk - 1 }), keyLengths: lens(s.Sk - 1) });
  if (s.Sq > 1 && s.Sk > 1) add('Sq - 1 and Sk - 1', { ...withShapes(c, { Sq: s.Sq - 1, Sk: s.Sk - 1 }), keyLengths: lens(s.Sk - 1) });
  if (s.D > 1) add('D = 1', withShapes(c, { D: 1 }));
  if (s.D > 1) add('D - 1', withShapes(c, { D: s.D - 1 }));
  if (s.Dv > 1) add('Dv = 1', withShapes(c, { Dv: 1 }));
  if (s.Dv > 1) add('Dv - 1', withShapes(c, { Dv: s.Dv - 1 }));
  return out.filter((n) => {
    try {
      parseCase(n.case, 'simplify');
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Repeatedly replaces `failing` by its first neighbour that still fails under `fails`, until no
 * neighbour fails or `budgetMs` runs out. Returns the final case and the steps taken.
 */
export function simplifyFailure(
  failing: AttentionCase,
  fails: (c: AttentionCase) => boolean,
  budgetMs = 30_000,
): { readonly case: AttentionCase; readonly steps: readonly string[]; readonly complete: boolean } {
  const t0 = performance.now();
  let current = failing;
  const steps: string[] = [];
  for (;;) {
    let moved = false;
    for (const n of neighbours(current)) {
      if (performance.now() - t0 > budgetMs) return { case: current, steps, complete: false };
      if (fails(n.case)) {
        current = n.case;
        steps.push(n.step);
        moved = true;
        break;
      }
    }
    if (!moved) return { case: current, steps, complete: true };
  }
}

/** `simplifyFailure` with "fails" meaning the oracle's verdict is a failure. */
export function failsVerdict(check: (c: AttentionCase) => { verdict: Parameters<typeof isFailure>[0] }): (c: AttentionCase) => boolean {
  return (c) => isFailure(check(c).verdict);
}
