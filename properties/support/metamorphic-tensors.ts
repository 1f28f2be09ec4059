/**
 * Host tensor surgery for the metamorphic relations: cut, join and overwrite row-major float64
 * tensors along one axis, so a relation can say "the last m query rows" or "keys t0..t1" plainly.
 */
import { type HostTensor, numel, stridesOf } from '../../src/contract/index.js';

/** Elements [start, end) of `axis`. */
export function sliceAxis(t: HostTensor, axis: number, start: number, end: number): HostTensor {
  const shape = [...t.shape];
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const len = shape[axis]!;
  shape[axis] = end - start;
  const data = new Float64Array(numel(shape));
  let n = 0;
  for (let o = 0; o < outer; o++) {
    const base = (o * len + start) * inner;
    data.set(t.data.subarray(base, base + (end - start) * inner), n);
    n += (end - start) * inner;
  }
  return { shape, data };
}

/** Joins tensors along `axis` (all other dims equal). */
export function concatAxis(ts: readonly HostTensor[], axis: number): HostTensor {
  const shape = [...ts[0]!.shape];
  shape[axis] = ts.reduce((a, t) => a + t.shape[axis]!, 0);
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const data = new Float64Array(numel(shape));
  let n = 0;
  for (let o = 0; o < outer; o++)
    for (const t of ts) {
      const w = t.shape[axis]! * inner;
      data.set(t.data.subarray(o * w, (o + 1) * w), n);
      n += w;
    }
  return { shape, data };
}

/** A copy of `t` whose elements [start, start + part.shape[axis]) of `axis` are `part`. */
export function putAxis(t: HostTensor, axis: number, start: number, part: HostTensor): HostTensor {
  const len = t.shape[axis]!;
  const before = sliceAxis(t, axis, 0, start);
  const after = sliceAxis(t, axis, start + part.shape[axis]!, len);
  return concatAxis([before, part, after], axis);
}

/** A copy of `t` with elements [start, end) of `axis` set to 0. */
export function zeroAxis(t: HostTensor, axis: number, start: number, end: number): HostTensor {
  const part = sliceAxis(t, axis, start, end);
  return putAxis(t, axis, start, { shape: part.shape, data: new Float64Array(part.data.length) });
}

/** [B, H, S, D] -> [B, S, H, D] (or back: the permutation is its own inverse). */
export function swapHS(t: HostTensor): HostTensor {
  const [B, H, S, D] = t.shape as [number, number, number, number];
  const out = new Float64Array(t.data.length);
  const s = stridesOf([B, H, S, D]);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < S; i++)
        for (let d = 0; d < D; d++) out[((b * S + i) * H + h) * D + d] = t.data[b * s[0]! + h * s[1]! + i * s[2]! + d]!;
  return { shape: [B, S, H, D], data: out };
}

/** A tensor of `shape` filled by `f(flat index)`. */
export function fill(shape: readonly number[], f: (n: number) => number): HostTensor {
  return { shape: [...shape], data: Float64Array.from({ length: numel(shape) }, (_, n) => f(n)) };
}

/** A boolean mask as a float tensor (for the axis helpers above) and back. */
export function maskToTensor(m: { readonly shape: readonly number[]; readonly data: Uint8Array }): HostTensor {
  return { shape: [...m.shape], data: Float64Array.from(m.data) };
}

export function tensorToMask(t: HostTensor): { shape: [number, number, number, number]; data: Uint8Array } {
  return { shape: t.shape as [number, number, number, number], data: Uint8Array.from(t.data) };
}
