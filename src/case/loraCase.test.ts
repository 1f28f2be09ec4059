/** `loraCase`: deterministic per seed, valid by the schema, shrinks to rank 1 and one row. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loraCase } from './generators.js';
import { parseLoraCase } from './schema.js';

describe('loraCase', () => {
  it('generates cases the schema accepts, deterministically', () => {
    const a = fc.sample(loraCase(), { numRuns: 100, seed: 9 });
    expect(fc.sample(loraCase(), { numRuns: 100, seed: 9 })).toEqual(a);
    for (const c of a) expect(parseLoraCase(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(a.some((c) => c.bZero === true)).toBe(true);
    expect(a.some((c) => c.rslora)).toBe(true);
    expect(a.some((c) => c.dropout !== null)).toBe(true);
  });

  it('shrinks to rank 1 and one row', () => {
    const r = fc.check(
      fc.property(loraCase(), (c) => c.in < 3),
      { seed: 1 },
    );
    expect(r.counterexample![0]).toMatchObject({ rank: 1, N: 1, in: 3, out: 1, dropout: null, precision: 'float32' });
  });
});
