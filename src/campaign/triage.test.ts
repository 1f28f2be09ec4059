/**
 * Triage decides what is shrunk: only failures no known signature covers, once per raw
 * signature (the same one arriving while it is shrunk waits), and a kind of failure that keeps
 * shrinking to known signatures stops being shrunk.
 */
import { describe, expect, it } from 'vitest';
import { parseLoraCase } from '../case/index.js';
import type { Signature } from '../corpus/index.js';
import type { RawFailure, ShrinkReport } from './protocol.js';
import { MAX_FRUITLESS, Triage } from './triage.js';

const c = parseLoraCase(
  {
    version: 1,
    kind: 'lora',
    rank: 2,
    alpha: 1,
    rslora: false,
    dropout: null,
    N: 1,
    in: 2,
    out: 2,
    precision: 'float32',
    seed: 1,
  },
  'test',
);
const sig = (features: Record<string, string>, tensor = 'dA'): Signature => ({
  kernel: 'k',
  suite: 'lora',
  kind: 'mismatch',
  tensor,
  pass: 'backward',
  features,
});
const raw = (s: Signature): RawFailure => ({
  case: c,
  finding: { kind: 'leak', tensors: 1 },
  summary: 's',
  signature: s,
});
const shrunkTo = (s: Signature, i = 0): ShrinkReport => ({
  i,
  target: 0,
  ms: 1,
  signature: s,
  summary: 's',
  saved: {} as ShrinkReport['saved'],
  repro: [],
  verdict: [],
  steps: [],
});

describe('Triage', () => {
  it('shrinks a new failure once; the same raw signature meanwhile waits, afterwards is a hit', () => {
    const t = new Triage();
    const r = raw(sig({ dtype: 'float16', 'rank>1': 'yes' }));
    expect(t.decide(r, 0, 0).kind).toBe('shrink');
    expect(t.decide(r, 1, 1).kind).toBe('wait');
    const { distinct, isNew } = t.shrunk(r, shrunkTo(sig({ 'rank>1': 'yes' })), 2);
    expect(isNew).toBe(true);
    expect(t.decide(r, 3, 3)).toMatchObject({ kind: 'hit', distinct: { hash: distinct.hash } });
    expect(distinct.hits).toBe(2);
    expect(distinct.firstCase).toBe(0);
  });

  it(
    'a failure a known signature covers is a hit without shrinking; one with a missing feature or another ' +
      'tensor is not',
    () => {
      const t = new Triage([{ signature: sig({ 'rank>1': 'yes' }), file: 'f.json', summary: 'old' }]);
      expect(t.decide(raw(sig({ 'rank>1': 'yes', dropout: 'yes' })), 0, 0)).toMatchObject({
        kind: 'hit',
        distinct: { fromCorpus: true, file: 'f.json', hits: 1 },
      });
      expect(t.decide(raw(sig({ dropout: 'yes' })), 1, 1).kind).toBe('shrink');
      expect(t.decide(raw(sig({ 'rank>1': 'yes' }, 'dB')), 2, 2).kind).toBe('shrink');
      expect(t.hitThisCampaign().map((d) => d.file)).toEqual(['f.json']);
    },
  );

  it(
    `after ${MAX_FRUITLESS} shrinks of one kind that found nothing new, its failures count as hits of the ` +
      `nearest known signature`,
    () => {
      const t = new Triage();
      const known = sig({ 'rank>1': 'yes' });
      t.shrunk(raw(sig({ a: '0' })), shrunkTo(known), 0);
      for (let n = 1; n <= MAX_FRUITLESS; n++) {
        const r = raw(sig({ a: String(n) }));
        expect(t.decide(r, n, n).kind).toBe('shrink');
        expect(t.shrunk(r, shrunkTo(known, n), n).isNew).toBe(false);
      }
      expect(t.decide(raw(sig({ a: 'new' })), 99, 99)).toMatchObject({ kind: 'hit' });
    },
  );

  it('keeps a failure it could not shrink as found, under its raw signature', () => {
    const t = new Triage();
    const r = raw({ kernel: 'k', suite: 'lora', kind: 'timeout', features: {} });
    const { distinct, isNew } = t.unshrunk(r, 4, 10);
    expect([isNew, distinct.shrunk, distinct.hits]).toEqual([true, false, 1]);
    expect(t.decide(r, 5, 11)).toMatchObject({ kind: 'hit' });
  });
});
