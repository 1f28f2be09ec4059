/**
 * Corpus tools: merge keeps one file per signature, the smallest case, with the hit counts of every
 * source; minimize drops the bigger duplicates; a known failure stays marked when its mark has to
 * move onto a smaller case; a file that does not load is named and left alone.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LoraCase, parseLoraCase } from '../case/index.js';
import { readHits, writeHits } from './hits.js';
import { formatListing, listCorpus } from './list.js';
import { mergeCorpora, minimizeCorpus } from './merge.js';
import { caseHash, saveCase } from './save.js';
import { CASE_FORMAT, type SavedCase } from './savedCase.js';
import { type Signature, signatureHash } from './signature.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'attnfuzz-merge-'));
const lora = (N: number, seed = 1): LoraCase =>
  parseLoraCase(
    {
      version: 1,
      kind: 'lora',
      rank: 2,
      alpha: 1,
      rslora: false,
      dropout: null,
      N,
      in: 2,
      out: 2,
      precision: 'float32',
      seed,
    },
    'test',
  );
const sig = (tensor: string): Signature => ({
  kernel: 'lora',
  suite: 'lora',
  kind: 'mismatch',
  tensor,
  pass: 'backward',
  features: { 'rank>1': 'yes' },
});
const saved = (c: LoraCase, over: Partial<SavedCase> = {}): SavedCase => ({
  format: CASE_FORMAT,
  version: 2,
  kind: 'lora',
  case: c,
  kernel: { builtin: 'lora' },
  expect: { kind: 'pass' },
  found: { verdict: 'dA MISMATCH', at: '2026-01-01T00:00:00Z' },
  ...over,
});
/** A case saved under its case hash, as `check` saves (or a hand-written file) would be. */
const plain = (dir: string, s: SavedCase, svg = false) => {
  const file = join(dir, `${caseHash(s)}.json`);
  writeFileSync(file, JSON.stringify(s));
  if (svg) writeFileSync(file.replace(/json$/, 'svg'), '<svg/>\n');
  return file;
};

describe('corpus merge and minimize', () => {
  it('merge keeps the smallest case of each signature, once, with its heatmap, and adds up the hits', () => {
    const [a, b, into] = [tmp(), tmp(), tmp()];
    saveCase(saved(lora(4), { signature: sig('dA') }), a);
    saveCase(saved(lora(2), { signature: sig('dA') }), b, '<svg/>\n');
    saveCase(saved(lora(3), { signature: sig('dB') }), b);
    writeHits(
      a,
      'run-a',
      new Map([[signatureHash(sig('dA')), { signature: 'x', hits: 5, first: '2026-01-02', last: '2026-01-03' }]]),
    );
    writeHits(
      b,
      'run-b',
      new Map([[signatureHash(sig('dA')), { signature: 'x', hits: 2, first: '2026-01-01', last: '2026-01-02' }]]),
    );
    const o = mergeCorpora([a, b], into);
    expect(o.problems).toEqual([]);
    const listing = listCorpus(into);
    expect(listing.rows.map((r) => [r.signature.tensor, (r.saved.case as LoraCase).N]).sort()).toEqual([
      ['dA', 2],
      ['dB', 3],
    ]);
    expect(listing.rows.find((r) => r.signature.tensor === 'dA')).toMatchObject({ hits: 7, firstSeen: '2026-01-01' });
    expect(existsSync(join(into, `${signatureHash(sig('dA'))}.svg`))).toBe(true);
    expect(formatListing(listing).at(-1)).toBe('2 saved cases, 2 signatures');
    expect(readHits(into).byHash.get(signatureHash(sig('dA')))?.hits).toBe(7);
    // Merging again changes nothing.
    expect(mergeCorpora([a, b], into)).toMatchObject({ written: [], removed: [] });
  });

  it('minimize removes the bigger cases of a signature; a known failure stays marked on the smaller one', () => {
    const dir = tmp();
    const big = plain(
      dir,
      saved(lora(4), {
        expect: { kind: 'mismatch', tensor: 'dA' },
        reason: 'upstream bug',
        link: 'x/y#1',
        found: { verdict: 'dA MISMATCH maxAbs=1' },
      }),
      true,
    );
    const small = plain(dir, saved(lora(1), { found: { verdict: 'dA MISMATCH maxAbs=2' } }));
    plain(dir, saved(lora(2), { found: { verdict: 'dB MISMATCH maxAbs=2' } }));
    const o = minimizeCorpus(dir);
    expect(o.removed).toEqual([big]);
    expect(o.marksMoved).toEqual([`mismatch in dA (${big}) -> ${small}`]);
    expect(readdirSync(dir).sort()).toEqual(
      [small, plain(dir, saved(lora(2), { found: { verdict: 'dB MISMATCH maxAbs=2' } }))]
        .map((f) => f.split('/').pop())
        .sort(),
    );
    expect(JSON.parse(readFileSync(small, 'utf8'))).toMatchObject({
      expect: { kind: 'mismatch', tensor: 'dA' },
      reason: 'upstream bug',
      link: 'x/y#1',
    });
  });

  it('names a file that does not load and leaves it alone', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), '{');
    plain(dir, saved(lora(1)));
    const o = minimizeCorpus(dir);
    expect(o.problems).toEqual([expect.stringMatching(/bad\.json: corrupt JSON/)]);
    expect(existsSync(join(dir, 'bad.json'))).toBe(true);
  });
});
