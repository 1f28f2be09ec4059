/**
 * `attnfuzz check` finds each deliberately broken kernel (fixtures/broken-kernels) within 60 s,
 * with the very search the command uses, and hands back a case that is locally minimal: it fails,
 * and none of its simpler neighbours (the structural pass's list) does. What each test asserts is
 * what the bug guarantees for ANY seed: the verdict's kind (and tensor where only one can be
 * wrong), and the features of the case without which the bug cannot show (a second key block, an
 * odd length, Sq != Sk, ...), never the exact shape one seed happened to shrink to.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase } from '../src/case/index.js';
import { visible } from '../src/contract/index.js';
import { replayFile, saveCase, savedCaseOf } from '../src/corpus/index.js';
import { materialiseAttention } from '../src/data/index.js';
import { isFailure, summarizeVerdict, type Verdict } from '../src/oracle/index.js';
import { attentionNeighbours, checkCase, type KernelUnderTest, resolveKernel, search } from '../src/runner/index.js';

const constraints = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 4 };
const fixture = (name: string) => resolveKernel(`fixtures/broken-kernels/${name}.ts`);
const VALUES = ['mismatch', 'nonfinite'];

/** True iff some query row of the case sees no key at all. */
function hasEmptyRow(c: AttentionCase): boolean {
  const { shapes: s, options } = materialiseAttention(c);
  for (let b = 0; b < s.B; b++)
    for (let h = 0; h < s.Hq; h++)
      for (let i = 0; i < s.Sq; i++)
        if (![...Array(s.Sk).keys()].some((j) => visible(options, s, b, h, i, j))) return true;
  return false;
}

/** What each bug guarantees about the verdict and the case it shrinks to. */
const BROKEN: ReadonlyArray<{ name: string; verdict: (v: Verdict) => void; needs: (c: AttentionCase) => void }> = [
  {
    name: 'causal-ignored-without-mask',
    verdict: (v) => expect(VALUES).toContain(v.status),
    needs: (c) => expect([c.causal === 'none', c.mask === null]).toEqual([false, true]),
  },
  {
    name: 'top-left-causal',
    verdict: (v) => expect(VALUES).toContain(v.status),
    needs: (c) => expect([c.causal, c.shapes.Sq === c.shapes.Sk]).toEqual(['bottom-right', false]),
  },
  {
    name: 'gqa-repeat',
    verdict: (v) => expect(VALUES).toContain(v.status),
    needs: (c) => expect(c.shapes.Hkv >= 2 && c.shapes.Hq > c.shapes.Hkv).toBe(true),
  },
  // The tiled fixtures run key blocks of Bc = 2.
  {
    name: 'online-softmax-no-rescale',
    verdict: (v) => expect(VALUES).toContain(v.status),
    needs: (c) => expect(c.shapes.Sk).toBeGreaterThan(2),
  },
  {
    name: 'last-partial-block-dropped',
    verdict: (v) => expect(VALUES).toContain(v.status),
    needs: (c) => expect(c.shapes.Sk % 2).toBe(1),
  },
  {
    name: 'nan-on-empty-rows',
    verdict: (v) => expect(v.status).toBe('nonfinite'),
    needs: (c) => expect(hasEmptyRow(c)).toBe(true),
  },
  {
    name: 'value-grad-detached',
    verdict: (v) => expect(v).toMatchObject({ status: 'mismatch', failing: { tensor: 'dv' } }),
    needs: () => {},
  },
];

/** The simpler neighbours of a case that still fail (none, for a locally minimal case). */
async function failingNeighbours(c: AttentionCase, k: KernelUnderTest): Promise<string[]> {
  const out: string[] = [];
  for (const n of attentionNeighbours(c)) {
    const v = (await checkCase(n.case, k)).verdict;
    if (isFailure(v)) out.push(`${n.step}: ${summarizeVerdict(v)}`);
  }
  return out;
}

describe.each(BROKEN)('attnfuzz check finds $name', ({ name, verdict, needs }) => {
  it(
    'within 60 s, shrunk to a locally minimal case with the reason the bug guarantees, replaying to the ' +
      'same verdict',
    async () => {
      const kernel = await fixture(name);
      const r = await search({
        suite: 'attention',
        kernel,
        seed: SEED,
        timeMs: 60_000,
        shrinkTimeMs: 30_000,
        constraints,
      });
      expect(r.status, `${name}: not found in ${r.cases} cases`).toBe('failed');
      if (r.status !== 'failed') return;
      const c = r.shrunk.case as AttentionCase;
      verdict(r.shrunk.verdict);
      needs(c);
      expect(r.locallyMinimal).toBe(true);
      expect(await failingNeighbours(c, kernel)).toEqual([]);

      // Saved and replayed: the same verdict, line for line.
      const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-broken-'));
      const saved = saveCase(savedCaseOf(r.shrunk, kernel.ref, { seed: r.seed, path: r.path }), dir);
      const replay = await replayFile(saved.json);
      expect(replay.status).toBe('failing'); // expect pass, and the kernel is still broken
      if (replay.status === 'invalid') return;
      expect(replay.summary).toBe(summarizeVerdict(r.shrunk.verdict));
    },
  );
});

describe('a correct kernel', () => {
  it('the tiled baseline of the fixtures passes: their failures are the bugs, not the baseline', async () => {
    // It declines dropout and low precisions (supports): ask only for what it runs, so no case is wasted.
    const r = await search({
      suite: 'attention',
      kernel: await fixture('correct-tiled'),
      seed: SEED,
      numRuns: 100,
      constraints: { ...constraints, precisions: ['float32'], allowDropout: false },
    });
    expect(r).toMatchObject({ status: 'clean', cases: 100, unsupported: 0 });
  });
});

describe('the search', () => {
  it('same seed, same sequence of cases', async () => {
    const kernel = await resolveKernel('flash');
    const seen = async (seed: number) => {
      const cases: string[] = [];
      await search({
        suite: 'attention',
        kernel,
        seed,
        numRuns: 15,
        constraints,
        onCase: (ch) => cases.push(JSON.stringify(ch.case)),
      });
      return cases;
    };
    const a = await seen(7);
    expect(a).toHaveLength(15);
    expect(await seen(7)).toEqual(a);
    expect(await seen(8)).not.toEqual(a);
  });
});
