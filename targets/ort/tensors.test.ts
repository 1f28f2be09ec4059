import { describe, expect, it } from 'vitest';
import { roundTo } from '../../src/contract/index.js';
import { bhsdToBsh, bshToBhsd, fromHalfBits, toHalfBits } from './tensors.js';

describe('float16 bits', () => {
  it('every float16 value survives bits -> number -> bits', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const x = fromHalfBits(h);
      if (Number.isNaN(x) ? !Number.isNaN(fromHalfBits(toHalfBits(x))) : toHalfBits(x) !== h) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('rounds float32 values to nearest even as the contract does (normals, subnormals, overflow)', () => {
    const xs = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, 1e-7, 2 ** -25, 3 * 2 ** -26, -0.1, 1e5];
    for (let n = 0; n < 2000; n++) xs.push(Math.fround((Math.sin(n * 12.9898) * 43758.5453) % 70000) * 10 ** -(n % 9));
    for (const x of xs) expect(fromHalfBits(toHalfBits(x)), `${x}`).toBe(roundTo('float16', Math.fround(x)));
  });
});

describe('layouts', () => {
  it('BHSD -> BSH -> BHSD is the identity, and BSH puts head h of token s at (s·H + h)·D', () => {
    const [B, H, S, D] = [2, 3, 4, 5];
    const x = Float32Array.from({ length: B * H * S * D }, (_, n) => n);
    const bsh = bhsdToBsh(x, B, H, S, D);
    expect(bsh[((1 * S + 2) * H + 1) * D + 3]).toBe(x[((1 * H + 1) * S + 2) * D + 3]);
    expect(Array.from(bshToBhsd(bsh, B, H, S, D))).toEqual(Array.from(x));
  });
});
