import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BackendName, tf, useBackend } from '../../src/backend/index.js';
import { selectRows } from './selectRows.js';

describe('selectRows (gather with a gradient on every backend, tfjs#8082)', () => {
  it.each(['cpu', 'wasm'] as BackendName[])(
    '%s: picks rows, -1 gives zeros, duplicate picks sum their gradients',
    async (backend) => {
      await useBackend(backend);
      const x = tf.tensor2d([1, 2, 3, 4, NaN, NaN], [3, 2]); // row 2 holds junk that must not spread
      const idx = [1, 0, -1, 1];
      expect(Array.from(selectRows(tf, x, idx).dataSync())).toEqual([3, 4, 1, 2, 0, 0, 3, 4]);
      const dy = tf.tensor2d([1, 10, 100, 1000, 5, 5, 2, 20], [4, 2]);
      const g = tf.grad((t: Tensor) => tf.sum(tf.mul(selectRows(tf, t, idx), dy)))(x);
      expect(Array.from(g.dataSync())).toEqual([100, 1000, 3, 30, 0, 0]);
      await useBackend('cpu');
    },
  );
});
