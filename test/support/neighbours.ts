/**
 * The one-step-simpler neighbours of a case, field by field, in the direction the arbitraries
 * shrink: each size one smaller (keeping the case valid), each option to its simplest value.
 * Used to test that a shrunk case is locally minimal: it fails, its simpler neighbours do not.
 */
import { parseCase, type AttentionCase } from '../../src/case/index.js';
import type { AttentionShapes } from '../../src/contract/index.js';

export interface Neighbour {
  readonly label: string;
  readonly value: AttentionCase;
}

function withShapes(c: AttentionCase, s: Partial<AttentionShapes>): AttentionCase {
  const shapes = { ...c.shapes, ...s };
  const keyLengths = c.keyLengths === null ? null : c.keyLengths.slice(0, shapes.B).map((l) => Math.min(l, shapes.Sk));
  return { ...c, shapes, keyLengths };
}

export function simplerNeighbours(c: AttentionCase): Neighbour[] {
  const out: Neighbour[] = [];
  const s = c.shapes;
  for (const key of ['B', 'Sq', 'Sk', 'D', 'Dv'] as const) if (s[key] > 1) out.push({ label: `${key}-1`, value: withShapes(c, { [key]: s[key] - 1 }) });
  if (s.Hkv > 1) out.push({ label: 'Hkv/2 Hq/2', value: withShapes(c, { Hq: s.Hq / 2, Hkv: Math.max(1, s.Hkv / 2) }) });
  if (s.Hq > s.Hkv) out.push({ label: 'Hq=Hkv', value: withShapes(c, { Hq: s.Hkv }) });
  if (c.causal !== 'none') out.push({ label: 'causal none', value: { ...c, causal: 'none' } });
  if (c.window !== null) out.push({ label: 'no window', value: { ...c, window: null } });
  if (c.keyLengths !== null) out.push({ label: 'no keyLengths', value: { ...c, keyLengths: null } });
  if (c.mask !== null) out.push({ label: 'no mask', value: { ...c, mask: null } });
  if (c.dropout !== null) out.push({ label: 'no dropout', value: { ...c, dropout: null } });
  if (c.scale !== null) out.push({ label: 'default scale', value: { ...c, scale: null } });
  if (c.layout !== 'BHSD') out.push({ label: 'BHSD', value: { ...c, layout: 'BHSD' } });
  if (c.precision !== 'float32') out.push({ label: 'float32', value: { ...c, precision: 'float32' } });
  if (c.junk !== 'none') out.push({ label: 'no junk', value: { ...c, junk: 'none' } });
  if (c.values !== 'small-int') out.push({ label: 'small-int', value: { ...c, values: 'small-int' } });
  // Keep only valid cases (e.g. Hq must stay a multiple of Hkv; packed-qkv needs equal sizes).
  return out.filter((n) => {
    try {
      parseCase(n.value);
      return !(n.value.layout === 'packed-qkv' && (n.value.shapes.Sq !== n.value.shapes.Sk || n.value.shapes.Hq !== n.value.shapes.Hkv || n.value.shapes.D !== n.value.shapes.Dv));
    } catch {
      return false;
    }
  });
}
