/**
 * Dropout in a user's kernel, both routes of the contract (src/contract/kernel.ts):
 *
 *   1. the keep mask handed over: `opts.dropout.keep`, a boolean tensor; the kernel imports nothing
 *      from attnfuzz and drops what the reference drops (the textbook fixture; the built-in eager and
 *      sdpa take theirs this way too)
 *   2. its own RNG, the mask returned with the output (`forwardWithKeep`): the reference replays the
 *      returned mask, so a kernel that applies another mask than it returns is caught; the keep rate
 *      is tested (exact binomial, alpha 1e-6), so one that keeps with probability p instead of 1 - p
 *      is caught even though it returns its mask honestly
 *
 * Route 2 rests on the float64 reference replaying `options.dropout.keep` (`keeps`, src/contract),
 * tested first.
 */
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase, AttentionCaseConstraints } from '../src/case/index.js';
import { ATTENTION_TENSORS, type AttentionShapes, defaultOptions, hostTensor } from '../src/contract/index.js';
import { summarizeVerdict } from '../src/oracle/index.js';
import { referenceAttention } from '../src/reference/index.js';
import { checkCase, KEEP_RATE_TENSOR, resolveKernel, search } from '../src/runner/index.js';

const fixture = (name: string) => resolveKernel(`fixtures/broken-kernels/${name}.ts`);
const withDropout = (p: number): AttentionCaseConstraints => ({
  fixed: { dropout: { p, seed: 11 } },
  precisions: ['float32'],
});

/** The reference's output on a one-query, two-key case under a replayed keep mask (v = 1 at key 0, 2 at key 1). */
function referenceOutWithKeep(keep: number[]): number {
  const shapes: AttentionShapes = { B: 1, Hq: 1, Hkv: 1, Sq: 1, Sk: 2, D: 1, Dv: 1 };
  const t = (data: number[], shape: number[]) => hostTensor(shape, data);
  const inputs = {
    q: t([0], [1, 1, 1, 1]),
    k: t([0, 0], [1, 1, 2, 1]),
    v: t([1, 2], [1, 1, 2, 1]),
    dOut: t([1], [1, 1, 1, 1]),
  };
  return referenceAttention(inputs, {
    ...defaultOptions(shapes),
    dropout: { p: 0.5, seed: 0, keep: { shape: [1, 1, 1, 2], data: Uint8Array.from(keep) } },
  }).out.data[0]!;
}

describe('the float64 reference', () => {
  it(
    'drops exactly what a replayed keep mask says, whatever the hash would (equal logits: P = 1/2 each, kept ' +
      'weights x 2)',
    async () => {
      expect([
        referenceOutWithKeep([1, 0]),
        referenceOutWithKeep([0, 1]),
        referenceOutWithKeep([1, 1]),
        referenceOutWithKeep([0, 0]),
      ]).toEqual([1, 2, 3, 0]);
    },
  );
});

describe('route 1: the keep mask handed over in opts.dropout.keep', () => {
  it('a kernel that multiplies by it (and imports nothing from attnfuzz) passes', async () => {
    const r = await search({
      suite: 'attention',
      kernel: await fixture('textbook'),
      seed: SEED,
      numRuns: 60,
      constraints: withDropout(0.5),
    });
    expect(r.status).toBe('clean');
    expect(r.cases - r.unsupported).toBeGreaterThan(10);
  });
});

describe('route 1 in a training step: the dispatch hands a user kernel the keep mask the float64 tape drops', () => {
  it('a kernel that multiplies by it passes a LoRA training step with attention dropout', async () => {
    const constraints = {
      attentionDropouts: [0.1],
      layouts: ['unpadded', 'right-padded'],
      precisions: ['float32'],
      maxSteps: 2,
    } as const;
    const r = await search({
      suite: 'training',
      kernel: await fixture('textbook'),
      seed: SEED,
      numRuns: 6,
      constraints,
    });
    expect(r.status, r.status === 'failed' ? summarizeVerdict(r.shrunk.verdict) : '').toBe('clean');
    expect(r.cases - r.unsupported).toBe(6);
  });
});

describe('route 2: a kernel that draws its own dropout and returns its mask', () => {
  it('passes: the reference replays its mask and its keep rate is 1 - p', async () => {
    for (const p of [0.1, 0.5])
      expect(
        (
          await search({
            suite: 'attention',
            kernel: await fixture('own-dropout'),
            seed: SEED,
            numRuns: 40,
            constraints: withDropout(p),
          })
        ).status,
      ).toBe('clean');
  });
  it('is caught when the mask it returns is not the one it applied', async () => {
    const kernel = await fixture('own-dropout-mask-mismatch');
    const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 100, constraints: withDropout(0.5) });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    // Its tensors follow the mask it applied, the reference the mask it returned: an attention tensor
    // is wrong (out, or dv where V cancels), not the keep rate; and without dropout the same case passes.
    const v = r.shrunk.verdict;
    expect(v.status).toBe('mismatch');
    if (v.status === 'mismatch') expect(ATTENTION_TENSORS).toContain(v.failing.tensor);
    const c = r.shrunk.case as AttentionCase;
    expect((await checkCase({ ...c, dropout: null }, kernel)).verdict.status).toBe('pass');
  });
  it('is caught by the keep rate when it keeps with probability p instead of 1 - p', async () => {
    const r = await search({
      suite: 'attention',
      kernel: await fixture('own-dropout-keeps-p'),
      seed: SEED,
      numRuns: 100,
      constraints: withDropout(0.1),
    });
    expect(r.status).toBe('failed');
    if (r.status === 'failed')
      expect(r.shrunk.verdict).toMatchObject({ status: 'mismatch', failing: { tensor: KEEP_RATE_TENSOR } });
  });
});
