import { describe, expect, it } from 'vitest';
import { pack, unpack } from './wire.js';

describe('wire', () => {
  it('carries every element type with its shape, bit for bit, whatever the byte lengths', () => {
    const tensors = [
      ['q', { shape: [1, 2, 3], data: Float32Array.from([1.5, -0, Number.NaN, Infinity, -1e-45, 3]) }],
      ['mask', { shape: [3], data: Uint8Array.from([1, 0, 1]) }],
      ['ref', { shape: [2], data: Float64Array.from([Math.PI, -Infinity]) }],
      ['idx', { shape: [1], data: Int32Array.from([-7]) }],
      ['half', { shape: [2], data: Uint16Array.from([0x3c00, 0xfc00]) }],
      ['i64', { shape: [2], data: BigInt64Array.from([-3n, 2n ** 40n]) }],
      ['empty', { shape: [0], data: new Float32Array(0) }],
    ] as const;
    const { meta, tensors: got } = unpack<{ kind: string }>(pack({ kind: 'x' }, tensors));
    expect(meta).toEqual({ kind: 'x' });
    for (const [name, t] of tensors) {
      expect(got.get(name)!.shape).toEqual(t.shape);
      expect(got.get(name)!.data.constructor).toBe(t.data.constructor);
      expect(Array.from(got.get(name)!.data as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
    }
    expect(Object.is(got.get('q')!.data[1], -0)).toBe(true);
  });

  it('reads a message at an unaligned offset (a Node Buffer slice) by copying', () => {
    const bytes = pack(null, [['x', { shape: [2], data: Float64Array.from([1, 2]) }]]);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(Array.from(unpack(shifted.subarray(3)).tensors.get('x')!.data as Float64Array)).toEqual([1, 2]);
  });

  it('refuses what is not a message, and a tensor that runs past the end', () => {
    expect(() => unpack(new Uint8Array(16))).toThrow(/not an attnfuzz message/);
    const bytes = pack(null, [['x', { shape: [4], data: new Float32Array(4) }]]);
    expect(() => unpack(bytes.subarray(0, bytes.length - 4))).toThrow(/tensor x runs past the end/);
  });
});
