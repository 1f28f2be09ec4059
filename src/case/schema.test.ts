import { describe, expect, it } from 'vitest';
import { parseCase, parseDecodeCase, parseLoraCase } from './schema.js';
import type { AttentionCase, LoraCase } from './types.js';

const good: AttentionCase = {
  version: 1,
  kind: 'attention',
  shapes: { B: 2, Hq: 4, Hkv: 2, Sq: 3, Sk: 5, D: 3, Dv: 2 },
  scale: null,
  causal: 'bottom-right',
  window: [2, -1],
  keyLengths: [5, 0],
  paddingSide: 'left',
  mask: { broadcastBatch: true, broadcastHeads: false, density: 0.5, seed: 1 },
  dropout: { p: 0.1, seed: 3 },
  precision: 'float16',
  layout: 'strided',
  values: 'near-ties',
  junk: 'nan',
  blocks: { Br: 2, Bc: 4 },
  seed: 7,
  view: { offset: 1, gap: 2 },
};

const lora: LoraCase = {
  version: 1,
  kind: 'lora',
  rank: 2,
  alpha: 8,
  rslora: true,
  dropout: null,
  N: 3,
  in: 4,
  out: 5,
  precision: 'bfloat16',
  seed: 1,
  bZero: true,
};

/** The error message parseCase gives for `good` with `patch` applied. */
function errorOf(patch: Record<string, unknown>): string {
  try {
    parseCase({ ...good, ...patch }, 'x.json: case');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('parseCase', () => {
  it('accepts a valid case unchanged, and the skeleton without the optional view', () => {
    expect(parseCase(JSON.parse(JSON.stringify(good)))).toEqual(good);
    const { view: _, ...noView } = good;
    expect(parseCase(noView)).toEqual(noView);
  });

  it.each([
    [{ shapes: { ...good.shapes, Hkv: 3 } }, 'x.json: case.shapes.Hkv: Hq=4 is not a multiple of Hkv=3'],
    [{ shapes: { ...good.shapes, D: 1.5 } }, 'x.json: case.shapes.D: must be an integer in [1, inf], got 1.5'],
    [{ shapes: { ...good.shapes, Sq: 0 } }, 'x.json: case.shapes.Sq: must be an integer in [1, inf], got 0'],
    [
      { window: [1] },
      'x.json: case.window: expected [left, right] of two integers >= -1 (-1 = unbounded) or null, got [1]',
    ],
    [{ window: [-2, 0] }, 'x.json: case.window: expected [left, right]'],
    [{ keyLengths: [1] }, 'x.json: case.keyLengths: has 1 entries, expected B=2'],
    [{ keyLengths: [1, 6] }, 'x.json: case.keyLengths[1]: must be in [0, Sk=5], got 6'],
    [{ keyLengths: [1, -1] }, 'x.json: case.keyLengths[1]: must be an integer in [0, inf], got -1'],
    [{ blocks: { Br: 0, Bc: 1 } }, 'x.json: case.blocks.Br: must be an integer in [1, inf], got 0'],
    [{ dropout: { p: 1, seed: 0 } }, 'x.json: case.dropout.p: dropout p must be in [0, 1), got 1'],
    [{ version: 2 }, 'x.json: case.version: unsupported case version 2, expected 1'],
    [{ casual: 'top-left' }, 'x.json: case.casual: unknown field (a typo? it would be ignored)'],
    [{ causal: 'left' }, 'x.json: case.causal:'],
    [{ precision: 'fp8' }, 'x.json: case.precision:'],
    [{ scale: Infinity }, 'x.json: case.scale:'],
    [{ mask: { ...good.mask, density: 2 } }, 'x.json: case.mask.density:'],
    [{ seed: -1 }, 'x.json: case.seed: must be an integer in [0, 4294967295], got -1'],
    [{ layout: 'BHDS' }, 'x.json: case.layout:'],
  ])('rejects %j naming the field', (patch, message) => {
    expect(errorOf(patch)).toContain(message);
    expect(errorOf(patch).startsWith('x.json: case')).toBe(true);
  });

  it('rejects a missing field by its path', () => {
    const { blocks: _, ...noBlocks } = good;
    expect(() => parseCase(noBlocks)).toThrow(/^case\.blocks: /);
  });
});

describe('parseLoraCase', () => {
  it('accepts a valid case and names the field of a bad one', () => {
    expect(parseLoraCase(lora)).toEqual(lora);
    expect(() => parseLoraCase({ ...lora, rank: 0 }, 'l')).toThrow('l.rank: must be an integer in [1, inf], got 0');
    expect(() => parseLoraCase({ ...lora, rnak: 2 }, 'l')).toThrow(
      'l.rnak: unknown field (a typo? it would be ignored)',
    );
  });
});

describe('parseDecodeCase', () => {
  const decode = {
    version: 1,
    kind: 'decode',
    shapes: { B: 2, Hq: 4, Hkv: 2, Sq: 1, D: 3, Dv: 2 },
    cacheSeqlens: [5, 0],
    cache: { kind: 'paged', pageSize: 3, unusedPages: 1, permutation: 9 },
    causal: true,
    scale: null,
    precision: 'bfloat16',
    seed: 4,
  };
  it('accepts a valid case and names the field of a bad one', () => {
    expect(parseDecodeCase(decode)).toEqual(decode);
    expect(parseDecodeCase({ ...decode, cache: { kind: 'contiguous', extraSlots: 2 } })).toMatchObject({
      cache: { kind: 'contiguous', extraSlots: 2 },
    });
    const bad = (patch: Record<string, unknown>) => () => parseDecodeCase({ ...decode, ...patch }, 'x.json: case');
    expect(bad({ cacheSeqlens: [5] })).toThrow('x.json: case.cacheSeqlens: has 1 entries, expected B=2');
    expect(bad({ cacheSeqlens: [5, -1] })).toThrow(
      'x.json: case.cacheSeqlens[1]: must be an integer in [0, inf], got -1',
    );
    expect(bad({ shapes: { ...decode.shapes, Hkv: 3 } })).toThrow(
      'x.json: case.shapes.Hkv: Hq=4 is not a multiple of Hkv=3',
    );
    expect(bad({ cache: { ...decode.cache, pageSize: 0 } })).toThrow(
      'x.json: case.cache.pageSize: must be an integer in [1, inf], got 0',
    );
    expect(bad({ cache: { kind: 'ring' } })).toThrow(
      'x.json: case.cache.kind: must be "contiguous" (with extraSlots) or "paged" (with pageSize, ' +
        'unusedPages, permutation), got "ring"',
    );
    expect(bad({ cacheSeqlen: [1, 1] })).toThrow(
      'x.json: case.cacheSeqlen: unknown field (a typo? it would be ignored)',
    );
  });
});
