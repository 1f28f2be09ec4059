/**
 * The attention suite with the kernel under test: what its declarations change (the generator's aim,
 * forward-only verdicts), and what the run stage finds out on its own (a NaN from reading unseen keys,
 * the mask of a kernel that draws its own dropout).
 */
import { describe, expect, it } from 'vitest';
import einsum from '../../../fixtures/broken-kernels/einsum-attention.js';
import nanOnEmptyRows from '../../../fixtures/broken-kernels/nan-on-empty-rows.js';
import textbook from '../../../fixtures/broken-kernels/textbook.js';
import { type AttentionCase, parseCase } from '../../case/index.js';
import type { AttentionKernel } from '../../contract/index.js';
import { hostTensor } from '../../contract/index.js';
import { materialiseAttention } from '../../data/index.js';
import { checkCase, FORWARD_ONLY } from '../check.js';
import { fixedKernel } from '../kernelUnderTest.js';
import { KEEP_RATE_TENSOR, ownDropout } from '../ownDropout.js';
import { aimAttention } from './attentionKernel.js';

const READS_UNSEEN =
  String.raw`reads keys it must not see \(0·NaN\): ` +
  String.raw`NaN at key (\d+) \(b=(\d+), kv head (\d+)\), which no query may see, `;

const CASE: AttentionCase = parseCase({
  version: 1,
  kind: 'attention',
  shapes: { B: 1, Hq: 2, Hkv: 1, Sq: 2, Sk: 4, D: 3, Dv: 2 },
  scale: null,
  causal: 'top-left',
  window: null,
  keyLengths: null,
  paddingSide: 'right',
  mask: null,
  dropout: null,
  precision: 'float32',
  layout: 'BHSD',
  values: 'normal',
  junk: 'nan',
  blocks: { Br: 2, Bc: 2 },
  seed: 3,
});

describe('aimAttention', () => {
  const plain: AttentionKernel = { name: 'plain', forward: (q) => q };
  it("fills in the kernel's tiles and, when it never reads unseen keys, NaN junk", async () => {
    expect(aimAttention(undefined, fixedKernel({ ...plain, tiles: { Br: 64, Bc: 128 } }))).toEqual({
      tiles: { Br: 64, Bc: 128 },
    });
    expect(aimAttention(undefined, fixedKernel({ ...plain, guarantees: { unseenKeysUnread: true } }))).toEqual({
      junk: ['none', 'huge', 'nan'],
    });
    expect(aimAttention(undefined, fixedKernel(plain))).toEqual({});
  });
  it('leaves what the user asked for alone', async () => {
    const k = fixedKernel({ ...plain, tiles: { Br: 64, Bc: 64 }, guarantees: { unseenKeysUnread: true } });
    expect(aimAttention({ tiles: null, junk: ['none'], maxSeq: 8 }, k)).toEqual({
      tiles: null,
      junk: ['none'],
      maxSeq: 8,
    });
  });
});

describe('a NaN from keys no query may see', () => {
  it('is reported as a read of such a key, naming a key that no query of its kv group sees', async () => {
    const r = await checkCase(CASE, fixedKernel(textbook));
    expect(r.verdict).toMatchObject({ status: 'nonfinite', failing: { tensor: 'out' } });
    const cause = r.verdict.cause!;
    const m = new RegExp(String.raw`^${READS_UNSEEN}reaches out @ b=\d+ h=\d+ query=\d+ dim=\d+$`).exec(cause);
    expect(m, cause).not.toBeNull();
    // Top-left causal, Sq = 2: keys 2 and 3 are seen by no query.
    expect(Number(m![1])).toBeGreaterThanOrEqual(2);
  });
  it('is not blamed on unseen keys when the kernel gives NaN without any NaN junk (an empty row here)', async () => {
    const emptyRow = { ...CASE, causal: 'none' as const, keyLengths: [0] };
    const r = await checkCase(emptyRow, fixedKernel(nanOnEmptyRows));
    expect(r.verdict.status).toBe('nonfinite');
    expect(r.verdict.cause).toBeUndefined();
  });
  it('is not looked for without NaN junk', async () => {
    expect((await checkCase({ ...CASE, junk: 'huge' }, fixedKernel(textbook))).verdict.status).toBe('pass');
  });
});

describe('a kernel without a backward', () => {
  const einsumCase = { ...CASE, junk: 'none' as const };
  it('declaring backward: false is judged forward only, its gradients skipped with the reason', async () => {
    const r = await checkCase(einsumCase, fixedKernel({ ...einsum, backward: false }));
    expect(r.verdict.status).toBe('pass');
    if (r.verdict.status !== 'pass') return;
    expect(r.verdict.tensors.map((t) => [t.tensor, t.status, t.status === 'skipped' ? t.reason : ''])).toEqual([
      ['out', 'pass', ''],
      ['dq', 'skipped', FORWARD_ONLY],
      ['dk', 'skipped', FORWARD_ONLY],
      ['dv', 'skipped', FORWARD_ONLY],
    ]);
  });
  it('without declaring it, throws in the backward (tfjs has no Einsum gradient): a threw verdict', async () => {
    expect((await checkCase(einsumCase, fixedKernel(einsum))).verdict).toMatchObject({
      status: 'threw',
      phase: 'backward',
      message: expect.stringMatching(/gradient function not found for Einsum/),
    });
  });
});

describe('ownDropout', () => {
  const m = materialiseAttention({ ...CASE, junk: 'none', causal: 'none', dropout: { p: 0.5, seed: 1 } });
  const n = 1 * 2 * 2 * 4;
  it('replays the returned mask and measures the keep rate over visible elements', async () => {
    const keep = hostTensor(
      [1, 2, 2, 4],
      Array.from({ length: n }, (_, e) => (e % 4 === 0 ? 0 : 1)),
    );
    const own = ownDropout(keep, m);
    if (typeof own === 'string') throw new Error(own);
    expect(Array.from(own.replay.options.dropout!.keep!.data)).toEqual(Array.from(keep.data));
    expect(own.rate!.spec.name).toBe(KEEP_RATE_TENSOR);
    expect(own.rate!.observed.data[0]).toBe(0.75);
    expect(own.rate!.spec.expected.data[0]).toBe(0.5);
  });
  it('says what is wrong with a mask that cannot be one', async () => {
    expect(ownDropout(hostTensor([3], [1, 1, 1]), m)).toBe(
      'forwardWithKeep: keep has 3 values (shape [3]), expected B·Hq·Sq·Sk = 16 ([1,2,2,4])',
    );
  });
});
