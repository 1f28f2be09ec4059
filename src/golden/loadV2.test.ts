import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { maxRelError } from '../contract/index.js';
import { referenceAttention } from '../reference/index.js';
import { parseGolden } from './index.js';

const file = fileURLToPath(new URL('../../corpus/golden/attention-v2-sinks-causal-br-empty.json', import.meta.url));
const text = readFileSync(file, 'utf8');
/** Parsed JSON as the tests edit it: any field at any depth, set to values of any type (wrong ones on purpose). */
// biome-ignore lint/suspicious/noExplicitAny: the edits write wrong types on purpose; a real type would reject them
type EditedJson = any;
/** The JSON of `base` (default: the sinks file) after `f` edits it. */
const edit = (f: (j: EditedJson) => void, base = text) => {
  const j = JSON.parse(base);
  f(j);
  return JSON.stringify(j);
};

describe('golden files version 2: score options', () => {
  it('load: "-Infinity" in data is -Infinity, and the reference matches PyTorch on out, grads, lse and dsinks', () => {
    const g = parseGolden('v2.json', text);
    if (g.kind !== 'attention') throw new Error('attention expected');
    expect(g.options.sinks?.shape).toEqual([2]);
    expect(g.expected.lse!.data[0]).toBe(-Infinity);
    const r = referenceAttention(g.inputs, g.options);
    for (const t of ['out', 'dq', 'dk', 'dv', 'lse', 'dsinks'] as const)
      expect(maxRelError(r[t]!, g.expected[t]!), t).toBeLessThan(1e-12);
  });

  it('name the field of what does not fit', () => {
    expect(() =>
      parseGolden(
        'v2.json',
        edit((j) => delete j.expected.dsinks),
      ),
    ).toThrow('golden: v2.json: expected.dsinks: missing (options.sinks is set)');
    expect(() =>
      parseGolden(
        'v2.json',
        edit((j) => (j.options.sinks.shape = [3])),
      ),
    ).toThrow(/^golden: v2\.json: options\.sinks\.data has 2 values, shape \[3\] needs 3$/);
    expect(() =>
      parseGolden(
        'v2.json',
        edit((j) => (j.expected.lse.data[0] = '-inf')),
      ),
    ).toThrow(/^golden: v2\.json: expected\.lse\.data\[0\]/);
    expect(() =>
      parseGolden(
        'v2.json',
        edit((j) => (j.options.softcap = 0)),
      ),
    ).toThrow(/^golden: v2\.json: options\.softcap/);
  });

  it('version 1 files do not take the new fields', () => {
    expect(() =>
      parseGolden(
        'v1.json',
        edit((j) => (j.version = 1)),
      ),
    ).toThrow(/^golden: v1\.json: options\.softcap: unknown field \(not in version 1\)$/);
  });
});

const corpus = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../corpus/golden/${name}.json`, import.meta.url)), 'utf8');
// q [2,2,1,4], kPages [6,3,2,4], blockTable [[5,3,2],[0,4,1]], cacheSeqlens [5,7]
const PAGED = corpus('decode-paged-shuffled');
const CONTIGUOUS = corpus('decode-contiguous-smax'); // q [2,2,1,4], k [2,2,8,4], v [2,2,8,3], cacheSeqlens [3,5]

describe('golden files version 2: KV-cache decode (kind decode)', () => {
  it('load: "NaN" in the unread slots is NaN, the block table and cacheSeqlens as written, options in float32', () => {
    const g = parseGolden('d.json', PAGED);
    if (g.kind !== 'decode' || g.inputs.cache.kind !== 'paged') throw new Error('a paged decode golden expected');
    expect(g.options).toEqual({ scale: 0.5, causal: false, precision: 'float32' });
    expect(g.inputs.cacheSeqlens).toEqual([5, 7]);
    expect(g.inputs.cache.blockTable).toEqual([
      [5, 3, 2],
      [0, 4, 1],
    ]);
    expect(g.inputs.cache.kPages.shape).toEqual([6, 3, 2, 4]);
    expect(g.inputs.cache.kPages.data.some(Number.isNaN)).toBe(true);
    expect(g.expected.out.shape).toEqual([2, 2, 1, 4]);
  });

  it.each<[string, string, (j: EditedJson) => void, string | RegExp]>([
    ['version 1', PAGED, (j) => (j.version = 1), 'version 1 is not for kind "decode" (decode files are version 2)'],
    ['an unknown cache kind', PAGED, (j) => (j.inputs.cache.kind = 'ring'), /^inputs\.cache\.kind: /],
    [
      'a field of the other layout',
      CONTIGUOUS,
      (j) => (j.inputs.cache.blockTable = [[0]]),
      'inputs.cache.blockTable: unknown field (not in version 2)',
    ],
    [
      'an unknown option',
      PAGED,
      (j) => (j.options.window = [1, 1]),
      'options.window: unknown field (not in version 2)',
    ],
    ['causal as a string', PAGED, (j) => (j.options.causal = 'bottom-right'), /^options\.causal: expected boolean/],
    [
      'data too short',
      PAGED,
      (j) => j.inputs.cache.vPages.data.pop(),
      'inputs.cache.vPages.data has 143 values, shape [6,3,2,4] needs 144',
    ],
    [
      'a cache head dim other than q',
      CONTIGUOUS,
      (j) => (j.inputs.q = { shape: [2, 2, 1, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] }),
      "inputs.cache.k.shape: head dim 4 does not match q's D=2",
    ],
    [
      'a contiguous batch other than q',
      CONTIGUOUS,
      (j) => {
        j.inputs.q = { shape: [1, 2, 1, 4], data: j.inputs.q.data.slice(0, 8) };
      },
      "inputs.cache.k.shape: batch 2 does not match q's B=1",
    ],
    [
      'v pages of another page size',
      PAGED,
      (j) => (j.inputs.cache.vPages.shape = [6, 4, 2, 3]),
      'inputs.cache.vPages.shape: [6,4,2,3] must match kPages [6,3,2,4] in every dim but the last',
    ],
    [
      'Hq not a multiple of Hkv',
      PAGED,
      (j) => {
        j.inputs.q.shape = [2, 1, 2, 4];
      },
      'inputs.cache.kPages.shape: Hq=1 is not a multiple of Hkv=2',
    ],
    [
      'a block table of the wrong batch',
      PAGED,
      (j) => j.inputs.cache.blockTable.pop(),
      'inputs.cache.blockTable: has 1 rows, B=2',
    ],
    [
      'ragged block table rows',
      PAGED,
      (j) => j.inputs.cache.blockTable[1].pop(),
      'inputs.cache.blockTable[1]: has 2 entries, row 0 has 3',
    ],
    [
      'a length past the pages',
      PAGED,
      (j) => (j.inputs.cacheSeqlens[1] = 10),
      'inputs.cacheSeqlens[1]: must be an integer in [0, 9], got 10',
    ],
    [
      'a length past Smax',
      CONTIGUOUS,
      (j) => (j.inputs.cacheSeqlens[0] = 9),
      'inputs.cacheSeqlens[0]: must be an integer in [0, 8], got 9',
    ],
    ['too few lengths', CONTIGUOUS, (j) => j.inputs.cacheSeqlens.pop(), 'inputs.cacheSeqlens: has 1 entries, B=2'],
    [
      'a page a row reads that does not exist',
      PAGED,
      (j) => (j.inputs.cache.blockTable[0][1] = 6),
      'inputs.cache.blockTable[0][1]: must name a page in [0, 5] (row 0 reads it: cacheSeqlens 5), got 6',
    ],
    [
      'expected out of the wrong shape',
      PAGED,
      (j) => (j.expected.out.shape = [2, 2, 2, 2]),
      'expected.out.shape [2,2,2,2] does not match out [B,Hq,Sq,Dv] = [2,2,1,4]',
    ],
  ])('%s: one line naming the file and the field', (_, base, f, want) => {
    let msg = '';
    try {
      parseGolden('d.json', edit(f, base));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.startsWith('golden: d.json: '), msg).toBe(true);
    const detail = msg.slice('golden: d.json: '.length);
    if (typeof want === 'string') expect(detail).toBe(want);
    else expect(detail).toMatch(want);
  });

  it('entries a row does not read may be anything (padding, -1)', () => {
    const g = parseGolden(
      'd.json',
      edit((j) => (j.inputs.cache.blockTable[0][2] = -1), PAGED),
    );
    expect(g.kind === 'decode' && g.inputs.cache.kind === 'paged' && g.inputs.cache.blockTable[0]).toEqual([5, 3, -1]);
  });
});
