import { describe, expect, it } from 'vitest';
import type { NodeSpec } from './onnxModel.js';
import { SessionCache } from './sessions.js';

const identity = (dtype: 'float32' | 'float16'): NodeSpec => ({
  opType: 'Identity',
  domain: '',
  opset: 23,
  inputs: [{ name: 'x', dtype, rank: 2 }],
  outputs: [{ name: 'y', dtype, rank: 2 }],
  attributes: {},
});
const feeds = (dtype: 'float32' | 'float16', n: number) =>
  new Map([['x', { dtype, dims: [1, n], data: Float32Array.from({ length: n }, (_, i) => i + 0.5) }]]);

describe('SessionCache (onnxruntime-node)', () => {
  it('builds one session per model and serves every size from it (symbolic dims)', async () => {
    const c = new SessionCache('cpu');
    for (const n of [1, 3, 8]) {
      const out = await c.run(identity('float32'), feeds('float32', n));
      expect(Array.from(out.get('y')!.data)).toEqual(Array.from({ length: n }, (_, i) => i + 0.5));
    }
    await c.run(identity('float16'), feeds('float16', 2));
    expect(c.stats).toEqual({ builds: 2, hits: 2 });
    await c.close();
  });

  it('without a cache (capacity 0) builds a session per run; with capacity 1 the older model is evicted', async () => {
    const none = new SessionCache('cpu', 0);
    await none.run(identity('float32'), feeds('float32', 2));
    await none.run(identity('float32'), feeds('float32', 2));
    expect(none.stats).toEqual({ builds: 2, hits: 0 });
    const one = new SessionCache('cpu', 1);
    await one.run(identity('float32'), feeds('float32', 2));
    await one.run(identity('float16'), feeds('float16', 2));
    await one.run(identity('float32'), feeds('float32', 2));
    expect(one.stats).toEqual({ builds: 3, hits: 0 });
    await one.close();
  });

  it('decodes float16 outputs to numbers', async () => {
    const c = new SessionCache('cpu');
    const out = await c.run(
      identity('float16'),
      new Map([['x', { dtype: 'float16', dims: [1, 2], data: Float32Array.of(0.1, 65504) }]]),
    );
    expect(Array.from(out.get('y')!.data)).toEqual([0.0999755859375, 65504]);
    await c.close();
  });
});
