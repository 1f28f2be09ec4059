/** Small tensors as text, one [rows x cols] matrix per (b, h), for repros that fit on a screen. */
import { numel, type HostTensor } from '../contract/index.js';

/** Tensors up to this many elements are printed in a repro. */
export const PRINTABLE_ELEMENTS = 64;

const cell = (x: number) => {
  const s = Number.isInteger(x) && Math.abs(x) < 1e6 ? String(x) : Number.isFinite(x) ? x.toPrecision(4) : String(x);
  return s.padStart(10);
};

export function formatTensor(name: string, t: HostTensor): string[] {
  const [B, H, R, C] = t.shape as [number, number, number, number];
  const lines = [`${name} [${t.shape.join(',')}]`];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      lines.push(`  [b=${b}, h=${h}]`);
      for (let r = 0; r < R; r++) {
        const row: string[] = [];
        for (let c = 0; c < C; c++) row.push(cell(t.data[((b * H + h) * R + r) * C + c]!));
        lines.push(`   ${row.join('')}`);
      }
    }
  return lines;
}

export function printable(t: HostTensor): boolean {
  return numel(t.shape) <= PRINTABLE_ELEMENTS;
}
