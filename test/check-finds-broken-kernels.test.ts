/**
 * `attnfuzz check` finds each deliberately broken kernel (test/fixtures/broken-kernels) within
 * 60 s, with the very function the command uses (`searchFailure`), and shrinks it to a case a
 * person reads at a glance: B = 1, few heads, lengths near the smallest that trigger the bug.
 * Then: the shrunk case still fails and none of its one-step-simpler neighbours does; the saved
 * file replays to the same verdict; the same seed searches the same cases.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttentionCase } from '../src/case/index.js';
import { replayFile, saveFailure } from '../src/corpus/index.js';
import { isFailure, summarizeVerdict } from '../src/oracle/index.js';
import { checkCase, resolveKernel, searchFailure, type KernelUnderTest } from '../src/runner/index.js';
import { simplerNeighbours } from './support/neighbours.js';
import { SEED as PROFILE_SEED } from '../properties/support/profile.js';

// The run's seed (ATTNFUZZ_SEED): shrinking plus the structural pass (src/runner/simplify.ts) must
// reach a case read at a glance from any search, not just from a seed picked to look good.
const SEED = PROFILE_SEED;
const constraints = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 4 };
const fixture = (name: string) => resolveKernel(`test/fixtures/broken-kernels/${name}.ts`);

/** What "read at a glance" means per bug: the shrunk case's expected shape. */
const BROKEN: ReadonlyArray<{ name: string; expectCase: (c: AttentionCase) => void }> = [
  {
    name: 'causal-ignored-without-mask',
    expectCase: (c) => {
      expect(c.causal).not.toBe('none');
      expect(c.mask).toBeNull();
      expect(c.shapes.Sq + c.shapes.Sk).toBeLessThanOrEqual(4);
    },
  },
  {
    name: 'top-left-causal',
    expectCase: (c) => {
      expect(c.causal).toBe('bottom-right');
      expect(c.shapes.Sq).not.toBe(c.shapes.Sk); // identical to top-left when Sq = Sk
      expect(c.shapes.Sq + c.shapes.Sk).toBeLessThanOrEqual(4);
    },
  },
  {
    name: 'gqa-repeat',
    expectCase: (c) => {
      // the smallest GQA where repeat != repeat_interleave: 2 kv heads, 2 queries each
      expect([c.shapes.Hq, c.shapes.Hkv]).toEqual([4, 2]);
      expect(c.shapes.Sk).toBeLessThanOrEqual(2);
    },
  },
  {
    name: 'online-softmax-no-rescale',
    expectCase: (c) => {
      expect(c.shapes.Sk).toBeGreaterThan(2); // needs a second key block (Bc = 2)
      expect(c.shapes.Sk).toBeLessThanOrEqual(5);
      expect(c.shapes.Sq).toBeLessThanOrEqual(3); // the failing row's data depends on Sq: not always 1
    },
  },
  {
    name: 'last-partial-block-dropped',
    expectCase: (c) => {
      expect(c.shapes.Sk % 2).toBe(1); // a partial block of Bc = 2
      expect(c.shapes.Sk).toBeLessThanOrEqual(3);
    },
  },
  {
    name: 'nan-on-empty-rows',
    expectCase: (c) => {
      expect(c.shapes.Sq * c.shapes.Sk).toBeLessThanOrEqual(2);
    },
  },
  {
    name: 'value-grad-detached',
    expectCase: (c) => {
      expect([c.shapes.Sq, c.shapes.Sk, c.shapes.Dv]).toEqual([1, 1, 1]);
    },
  },
];

/** The one-step-simpler neighbours of a case that can be run (a valid case the kernel supports). */
function failingNeighbours(c: AttentionCase, k: KernelUnderTest): string[] {
  const failing: string[] = [];
  for (const { label, value } of simplerNeighbours(c)) {
    const r = checkCase(value, k);
    if (isFailure(r.verdict)) failing.push(`${label}: ${summarizeVerdict(r.verdict)}`);
  }
  return failing;
}

describe.each(BROKEN)('attnfuzz check finds $name', ({ name, expectCase }) => {
  it('within 60 s, shrunk to a case read at a glance, locally minimal, replaying to the same verdict', async () => {
    const kernel = await fixture(name);
    const t0 = performance.now();
    const r = searchFailure({ kernel, seed: SEED, timeMs: 60_000, shrinkTimeMs: 30_000, constraints });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.status, `${name}: not found in ${r.cases} cases`).toBe('failed');
    if (r.status !== 'failed') return;
    expect(seconds).toBeLessThan(60);
    const c = r.shrunk.case;
    expect(isFailure(r.shrunk.verdict)).toBe(true);
    expect(c.shapes.B).toBe(1);
    expect(c.shapes.Hq).toBeLessThanOrEqual(4);
    expect(c.shapes.D).toBeLessThanOrEqual(2);
    expectCase(c);
    expect(failingNeighbours(c, kernel)).toEqual([]);

    // Saved and replayed: the same verdict, line for line.
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-broken-'));
    const saved = saveFailure(
      { case: c, kernel: kernel.ref, expect: 'pass', verdict: { status: r.shrunk.verdict.status, summary: summarizeVerdict(r.shrunk.verdict) }, seed: r.seed, path: r.path, backend: 'cpu' },
      dir,
    );
    const replay = await replayFile(saved.json);
    expect(replay.status).toBe('failing'); // expect "pass" and the kernel is still broken
    if (replay.status === 'invalid' || replay.kind !== 'attention') return;
    expect(replay.reproduces).toBe(true);
    expect(summarizeVerdict(replay.verdict)).toBe(summarizeVerdict(r.shrunk.verdict));
  });
});

describe('a correct kernel', () => {
  it('the tiled baseline of the fixtures passes: their failures are the bugs, not the baseline', async () => {
    const r = searchFailure({ kernel: await fixture('correct-tiled'), seed: SEED, numRuns: 150, constraints });
    expect(r.status).toBe('clean');
  });
});

describe('the search', () => {
  it('same seed, same sequence of cases', async () => {
    const kernel = await resolveKernel('flash');
    const seen = (seed: number) => {
      const cases: string[] = [];
      searchFailure({ kernel, seed, numRuns: 15, constraints, onCase: (ch) => cases.push(JSON.stringify(ch.case)) });
      return cases;
    };
    const a = seen(7);
    expect(a).toHaveLength(15);
    expect(seen(7)).toEqual(a);
    expect(seen(8)).not.toEqual(a);
  });
});

describe('saved failures', () => {
  it('a corrupt or unknown-version file is reported by name and never deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-corrupt-'));
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"format": "attnfuzz-failure", ');
    const future = join(dir, 'future.json');
    writeFileSync(future, JSON.stringify({ format: 'attnfuzz-failure', version: 99 }));
    const a = await replayFile(corrupt);
    const b = await replayFile(future);
    expect(a).toMatchObject({ status: 'invalid' });
    expect(a.status === 'invalid' && a.message).toMatch(/corrupt\.json: corrupt JSON/);
    expect(b.status === 'invalid' && b.message).toMatch(/future\.json: version: unknown version 99/);
    expect(readFileSync(corrupt, 'utf8')).toBe('{"format": "attnfuzz-failure", ');
  });
});
