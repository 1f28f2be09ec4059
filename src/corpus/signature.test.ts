/**
 * Signatures: features mean semantics (a padding that pads nothing is no padding, causal with
 * Sq = Sk has no alignment), only what is not the simplest value is listed, the hash does not
 * depend on key order, `covers` takes a raw failure for a known one only when everything but the
 * features agrees and the raw case has the known features, and files saved without a signature
 * get one from their verdict line.
 */
import { describe, expect, it } from 'vitest';
import { type AttentionCase, parseCase } from '../case/index.js';
import type { Verdict } from '../oracle/index.js';
import { featuresOf } from './features.js';
import { CASE_FORMAT, type SavedCase } from './savedCase.js';
import { signatureOfSaved } from './savedSignature.js';
import { covers, messageShape, type Signature, signatureHash, signatureOf, signatureText } from './signature.js';

const base = parseCase({
  version: 1,
  kind: 'attention',
  shapes: { B: 1, Hq: 1, Hkv: 1, Sq: 2, Sk: 2, D: 1, Dv: 1 },
  scale: null,
  causal: 'none',
  window: null,
  keyLengths: null,
  paddingSide: 'right',
  mask: null,
  dropout: null,
  precision: 'float32',
  layout: 'BHSD',
  values: 'small-int',
  junk: 'none',
  blocks: { Br: 2, Bc: 2 },
  seed: 3,
});
const withShapes = (c: AttentionCase, s: Partial<AttentionCase['shapes']>): AttentionCase => ({
  ...c,
  shapes: { ...c.shapes, ...s },
});
const mismatch = (tensor: string, pass: 'forward' | 'backward'): Verdict => {
  const failing = {
    tensor,
    pass,
    status: 'mismatch' as const,
    worst: { index: [0] },
    ref: 0,
    got: 1,
    error: 1,
    allowed: 0,
    baselineError: null,
    floor: 0,
  };
  return { status: 'mismatch', tensors: [failing], failing };
};

describe('features', () => {
  it('the simplest case has none', () => {
    expect(featuresOf(base)).toEqual({});
  });
  it('causal: the alignment only when Sq != Sk; padding: only when a row is padded; the rest as set', () => {
    expect(featuresOf({ ...base, causal: 'top-left' })).toEqual({ causal: 'aligned' });
    expect(featuresOf({ ...withShapes(base, { Sk: 3, Sq: 1 }), causal: 'top-left', blocks: { Br: 1, Bc: 3 } })).toEqual(
      { causal: 'top-left' },
    );
    expect(featuresOf({ ...base, keyLengths: [2], paddingSide: 'left' })).toEqual({});
    expect(featuresOf({ ...base, keyLengths: [1], paddingSide: 'left' })).toEqual({ padding: 'left' });
    expect(featuresOf({ ...withShapes(base, { Hq: 2 }), precision: 'bfloat16', layout: 'BSHD' })).toEqual({
      gqa: 'yes',
      dtype: 'bfloat16',
      layout: 'BSHD',
    });
  });
  it('tile: a partial last tile of the tiles the kernel runs, and only of a kernel known to tile', () => {
    const c = { ...base, blocks: { Br: 2, Bc: 3 } }; // Sq = Sk = 2: a partial key block of 3
    expect(featuresOf(c, 'case')).toEqual({ tile: 'partial' }); // built-in flash runs the case's blocks
    expect(featuresOf(c)).toEqual({}); // sdpa, eager, a module that declares nothing: the blocks mean nothing
    expect(featuresOf(c, { Br: 64, Bc: 64 })).toEqual({ tile: 'partial' });
    expect(featuresOf(c, { Br: 1, Bc: 2 })).toEqual({});
    const sdpa = signatureOf(c, 'sdpa', { kind: 'verdict', verdict: mismatch('dv', 'backward') });
    expect(signatureHash(sdpa)).toBe(
      signatureHash(signatureOf(base, 'sdpa', { kind: 'verdict', verdict: mismatch('dv', 'backward') })),
    );
  });
  it('empty rows: a query row that sees no key', () => {
    expect(featuresOf({ ...base, keyLengths: [0] })).toMatchObject({ 'empty-rows': 'yes', padding: 'right' });
    expect(
      featuresOf({ ...withShapes(base, { Sq: 3 }), causal: 'bottom-right', blocks: { Br: 3, Bc: 2 } }),
    ).toMatchObject({ 'empty-rows': 'yes', causal: 'bottom-right' });
  });
});

describe('signatures', () => {
  const sig = signatureOf({ ...base, causal: 'top-left' }, 'flash', {
    kind: 'verdict',
    verdict: mismatch('dq', 'backward'),
  });
  it('name the kernel, suite, verdict kind, tensor, pass and features, in one line', () => {
    expect(sig).toEqual({
      kernel: 'flash',
      suite: 'attention',
      kind: 'mismatch',
      tensor: 'dq',
      pass: 'backward',
      features: { causal: 'aligned' },
    });
    expect(signatureText(sig)).toBe('flash attention mismatch dq backward [causal=aligned]');
  });
  it('hash to 16 hex digits that do not depend on key order', () => {
    const reordered: Signature = {
      features: { b: '1', a: 'yes' },
      pass: 'forward',
      tensor: 'out',
      kind: 'mismatch',
      suite: 'attention',
      kernel: 'x',
    };
    const ordered: Signature = {
      kernel: 'x',
      suite: 'attention',
      kind: 'mismatch',
      tensor: 'out',
      pass: 'forward',
      features: { a: 'yes', b: '1' },
    };
    expect(signatureHash(reordered)).toBe(signatureHash(ordered));
    expect(signatureHash(ordered)).toMatch(/^[0-9a-f]{16}$/);
    expect(signatureHash({ ...ordered, tensor: 'dq' })).not.toBe(signatureHash(ordered));
  });
  it('timeouts and crashes carry no features (they are never shrunk); a thrown message is kept in shape only', () => {
    expect(signatureOf({ ...base, causal: 'top-left' }, 'k', { kind: 'timeout', ms: 5 }).features).toEqual({});
    expect(messageShape(`Error: shapes [2,3] and 'q' differ at 17.5e-3\nstack`)).toBe(
      "Error: shapes [N,N] and '…' differ at N",
    );
  });
  it('cover a raw failure when all but the features agree and the raw case has every known feature', () => {
    const raw = signatureOf({ ...withShapes(base, { Hq: 2 }), causal: 'top-left', precision: 'float16' }, 'flash', {
      kind: 'verdict',
      verdict: mismatch('dq', 'backward'),
    });
    expect(covers(sig, raw)).toBe(true);
    expect(covers(raw, sig)).toBe(false);
    expect(covers(sig, { ...raw, tensor: 'dk' })).toBe(false);
    expect(covers(sig, { ...raw, kernel: 'eager' })).toBe(false);
  });
});

describe('signatures of files saved without one', () => {
  const saved = (verdict: string, over: Partial<SavedCase> = {}): SavedCase => ({
    format: CASE_FORMAT,
    version: 2,
    kind: 'attention',
    case: base,
    kernel: { builtin: 'flash' },
    expect: { kind: 'pass' },
    found: { verdict },
    ...over,
  });
  it('read the kind, tensor and pass from the verdict line', () => {
    expect(signatureOfSaved(saved('dq MISMATCH maxAbs=1e-2 allowed=1e-6'))).toMatchObject({
      kernel: 'flash',
      kind: 'mismatch',
      tensor: 'dq',
      pass: 'backward',
    });
    expect(signatureOfSaved(saved('wasm: out NONFINITE got NaN'))).toMatchObject({
      kind: 'nonfinite',
      tensor: 'out',
      pass: 'forward',
      backend: 'wasm',
    });
    expect(signatureOfSaved(saved('THREW in backward: shapes [2,3] differ'))).toMatchObject({
      kind: 'threw',
      pass: 'backward',
      detail: 'shapes [N,N] differ',
    });
    expect(signatureOfSaved(saved('cpu vs wasm: dv DISAGREE max|a-b|=1'))).toMatchObject({
      kind: 'disagree',
      tensor: 'dv',
    });
  });
  it('take a known failure from its expectation, and keep a signature they carry', () => {
    expect(signatureOfSaved(saved('', { expect: { kind: 'mismatch', tensor: 'dk' }, reason: 'tfjs#1' }))).toMatchObject(
      { kind: 'mismatch', tensor: 'dk', pass: 'backward' },
    );
    const signature: Signature = { kernel: 'm.ts', suite: 'attention', kind: 'leak', features: {} };
    expect(signatureOfSaved(saved('x', { signature }))).toBe(signature);
  });
});
