/** Small helpers for host tensors: construction, indexing and shape checks. */
import type { HostTensor } from './types.js';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function zeros(shape: readonly number[]): HostTensor {
  return { shape: [...shape], data: new Float64Array(numel(shape)) };
}

export function hostTensor(shape: readonly number[], data: ArrayLike<number>): HostTensor {
  if (data.length !== numel(shape)) {
    throw new Error(`tensor: data has ${data.length} elements, shape [${shape.join(',')}] needs ${numel(shape)}`);
  }
  return { shape: [...shape], data: Float64Array.from(data) };
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** Unravels a flat row-major index into coordinates. */
export function unravel(shape: readonly number[], flat: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, n) => d === b[n]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
