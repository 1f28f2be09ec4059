/**
 * Kernels with fixed tiles (fixtures/broken-kernels/tiled.ts) declare them; the generator then
 * aims lengths at their edges, and a bug past the first tile is found and shrunk to just past it.
 * The representative here is deterministic, so it holds for any seed: 64 x 64 tiles skipped by the
 * top-left rule under bottom-right causal lose every visible key of the second key tile whenever
 * Sq <= 64 < Sk. The other two, a forgotten online-softmax rescale in 64 x 64 tiles and a dropped
 * final partial tile past one 128-key tile, are found within a case budget by the search `check`
 * runs (the most any seed from -1 to 15 needed: 211 and 122 cases), and what is asserted is what
 * the bug guarantees: a wrong forward output, on a case with the tile the bug needs.
 */
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase } from '../src/case/index.js';
import { isFailure, summarizeVerdict } from '../src/oracle/index.js';
import { attentionNeighbours, checkCase, type KernelUnderTest, resolveKernel, search } from '../src/runner/index.js';

const fixture = (name: string) => resolveKernel(`fixtures/broken-kernels/${name}.ts`);
// The fixtures decline dropout and low precisions: ask only for what they run.
const constraints = { causals: ['bottom-right'], precisions: ['float32'], allowDropout: false } as const;

async function failingNeighbours(c: AttentionCase, k: KernelUnderTest): Promise<string[]> {
  const out: string[] = [];
  for (const n of attentionNeighbours(c)) {
    const v = (await checkCase(n.case, k)).verdict;
    if (isFailure(v)) out.push(`${n.step}: ${summarizeVerdict(v)}`);
  }
  return out;
}

describe('a kernel with fixed tiles', () => {
  it(
    'block skipping by the top-left rule under bottom-right causal is found and shrunk to one query and 65 ' +
      'keys, just past one tile',
    async () => {
      const kernel = await fixture('block-skip-top-left');
      const r = await search({
        suite: 'attention',
        kernel,
        seed: SEED,
        numRuns: 400,
        shrinkTimeMs: 30_000,
        constraints,
      });
      expect(r.status).toBe('failed');
      if (r.status !== 'failed') return;
      const c = r.shrunk.case as AttentionCase;
      expect(r.shrunk.verdict.status).toBe('mismatch');
      expect([c.causal, c.shapes.Sq, c.shapes.Sk]).toEqual(['bottom-right', 1, 65]);
      expect(r.locallyMinimal).toBe(true);
      expect(await failingNeighbours(c, kernel)).toEqual([]);
    },
  );

  it('the same tiles with the aligned rule pass on the cases aimed at their edges', async () => {
    const r = await search({
      suite: 'attention',
      kernel: await fixture('correct-tiles64'),
      seed: SEED,
      numRuns: 120,
      constraints,
    });
    expect(r).toMatchObject({ status: 'clean', unsupported: 0 });
  });

  // One batch row, up to two heads, head dims up to 8: the bugs need keys, not width (half the time).
  const narrow = { precisions: ['float32'], allowDropout: false, maxBatch: 1, maxHeads: 2, maxHeadDim: 8 } as const;

  it.each([
    ['64 x 64 tiles that forget the online-softmax rescale', 'tiles64-no-rescale', (Sk: number) => Sk > 64],
    [
      '128-key tiles that drop the final partial tile past one tile',
      'tiles128-partial-dropped',
      (Sk: number) => Sk > 128 && Sk % 128 !== 0,
    ],
  ] as const)('%s are found within 500 cases: a wrong forward output, past one key tile', async (_, name, needs) => {
    const r = await search({
      suite: 'attention',
      kernel: await fixture(name),
      seed: SEED,
      numRuns: 500,
      shrinkTimeMs: 2000,
      constraints: narrow,
    });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.shrunk.verdict).toMatchObject({ status: 'mismatch', failing: { tensor: 'out', pass: 'forward' } });
    for (const c of [r.original, r.shrunk.case] as AttentionCase[])
      expect(needs(c.shapes.Sk), `Sk = ${c.shapes.Sk}`).toBe(true);
  });
});
