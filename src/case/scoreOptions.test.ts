import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../fixtures/profile.js';
import { materialiseAttention } from '../data/index.js';
import { attentionCase } from './generators.js';
import { parseCase } from './schema.js';

const ALL = { allowSoftcap: true, allowAlibi: true, allowBias: true, allowSinks: true } as const;

describe('attentionCase: the score options (softcap, ALiBi, bias, sinks)', () => {
  it('are off unless allowed: a case drawn with the defaults has none of the fields', () => {
    for (const c of fc.sample(attentionCase(), { numRuns: 200, seed: SEED })) {
      expect(['softcap', 'alibi', 'bias', 'sinks'].filter((f) => f in c)).toEqual([]);
    }
  });

  it(
    'when allowed, each is drawn in about a third of the cases, survives JSON and materialises with the ' +
      'contract shapes',
    () => {
      const cs = fc.sample(attentionCase(ALL), { numRuns: 600, seed: SEED });
      for (const f of ['softcap', 'alibi', 'bias', 'sinks'] as const) {
        const share = cs.filter((c) => c[f] != null).length / cs.length;
        expect(share, f).toBeGreaterThan(0.2);
        expect(share, f).toBeLessThan(0.5);
      }
      for (const c of cs.slice(0, 100)) {
        expect(parseCase(JSON.parse(JSON.stringify(c)))).toEqual(c);
        const { options } = materialiseAttention(c);
        const { B, Hq, Sq, Sk } = c.shapes;
        if (c.alibi) expect(options.alibiSlopes!.shape).toEqual(c.alibi.perBatch ? [B, Hq] : [Hq]);
        if (c.bias)
          expect(options.bias!.shape).toEqual([c.bias.broadcastBatch ? 1 : B, c.bias.broadcastHeads ? 1 : Hq, Sq, Sk]);
        if (c.sinks) expect(options.sinks!.shape).toEqual([Hq]);
        expect(options.softcap ?? null).toBe(c.softcap ?? null);
      }
    },
  );

  it('shrink toward off: a failure that needs only a sink keeps the sink and drops the rest', () => {
    const r = fc.check(
      fc.property(attentionCase(ALL), (c) => c.sinks == null),
      { seed: SEED, numRuns: 1000 },
    );
    expect(r.failed).toBe(true);
    const [c] = r.counterexample!;
    expect(c.sinks).not.toBeNull();
    expect(c.softcap ?? null).toBeNull();
    expect(c.alibi ?? null).toBeNull();
    expect(c.bias ?? null).toBeNull();
  });

  it('the schema names a bad field', () => {
    const [c] = fc.sample(attentionCase(), { numRuns: 1, seed: 1 });
    expect(() => parseCase({ ...c, softcap: -1 })).toThrow(
      /^case\.softcap: softcap must be a number > 0 or null, got -1/,
    );
    expect(() => parseCase({ ...c, sinks: { mean: 0 } })).toThrow(/^case\.sinks\.seed/);
  });
});
