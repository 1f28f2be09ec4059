import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendName, tf, useBackend } from '../../src/backend/index.js';
import { slice, splitBlocks } from './slice.js';

/** A shape of rank 1-5 and a slice of it: begin + size within every dim, sizes possibly 0. */
const sliced = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 })
  .chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.tuple(
        ...shape.map((n) =>
          fc.integer({ min: 0, max: n }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: n - b }))),
        ),
      ),
    ),
  );

describe('slice without the host round trip', () => {
  afterAll(() => useBackend('cpu'));

  it.each(['cpu', 'wasm'] as BackendName[])('%s: equals tf.slice for any shape, slice and dtype', async (backend) => {
    await useBackend(backend);
    fc.assert(
      fc.property(sliced, fc.constantFrom('float32', 'int32', 'bool'), ([shape, bs], dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(
          Int32Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 2 : i - 7)),
          shape,
          dtype as 'int32',
        );
        const [begin, size] = [bs.map((p) => p[0]), bs.map((p) => p[1])];
        const got = slice(tf, x, begin, size);
        const want = tf.slice(x, begin, size);
        expect([got.shape, got.dtype, Array.from(got.dataSync())]).toEqual([
          want.shape,
          want.dtype,
          Array.from(want.dataSync()),
        ]);
        tf.dispose([x, got, want]);
      }),
      { numRuns: 200, seed: 24 },
    );
  });

  it('wasm: cuts a tensor into blocks along any axis, and leaves it and nothing else alive', async () => {
    await useBackend('wasm');
    const x = tf.reshape(tf.range(0, 2 * 10 * 3), [2, 10, 3]);
    const before = tf.memory().numTensors;
    const parts = splitBlocks(tf, x, 1, [4, 4, 2]);
    expect(parts.map((p) => p.shape)).toEqual([
      [2, 4, 3],
      [2, 4, 3],
      [2, 2, 3],
    ]);
    expect(tf.tidy(() => Array.from(tf.concat(parts, 1).dataSync()))).toEqual(Array.from(x.dataSync()));
    tf.dispose(parts);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => splitBlocks(tf, x, 1, [4, 4])).toThrow(/sizes \[4,4\] sum to 8, not to x.shape\[1\] = 10/);
  });
});
