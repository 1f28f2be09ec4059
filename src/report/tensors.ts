/** Small tensors as text, one [rows x cols] matrix per leading index, for repros that fit on a screen. */
import { type HostTensor, numel } from '../contract/index.js';

/** Tensors up to this many elements are printed in a repro. */
export const PRINTABLE_ELEMENTS = 64;

const cell = (x: number) => {
  const s = Number.isInteger(x) && Math.abs(x) < 1e6 ? String(x) : Number.isFinite(x) ? x.toPrecision(4) : String(x);
  return s.padStart(10);
};

export function formatTensor(name: string, t: HostTensor): string[] {
  const shape = t.shape.length === 0 ? [1, 1] : t.shape.length === 1 ? [1, t.shape[0]!] : t.shape;
  const R = shape.at(-2)!;
  const C = shape.at(-1)!;
  const lead = shape.slice(0, -2);
  const lines = [`${name} [${t.shape.join(',')}]`];
  const slices = numel(lead);
  for (let s = 0; s < slices; s++) {
    if (lead.length > 0) {
      const idx: number[] = [];
      let r = s;
      for (let d = lead.length - 1; d >= 0; d--) {
        idx.unshift(r % lead[d]!);
        r = Math.floor(r / lead[d]!);
      }
      lines.push(`  [${idx.join(', ')}]`);
    }
    for (let r = 0; r < R; r++) {
      const row: string[] = [];
      for (let c = 0; c < C; c++) row.push(cell(t.data[(s * R + r) * C + c]!));
      lines.push(`   ${row.join('')}`);
    }
  }
  return lines;
}

export function printable(t: HostTensor): boolean {
  return numel(t.shape) <= PRINTABLE_ELEMENTS;
}
