/**
 * A kernel that dies of a WebAssembly trap (tfjs-wasm's XNNPACK packing cache did: docs/mutation.md)
 * leaves its module corrupt, so every later call traps whatever its case. The search must not shrink
 * through that: it hands back the case that trapped, says it trapped, and check prints why the case
 * was not shrunk. Without this, the search "shrank" to B = Sq = Sk = D = 1, a case that passes alone.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { reset, trapsAlone } from '../fixtures/broken-kernels/wasm-trap-corrupts.js';
import { cli } from '../fixtures/cli.js';
import { SIZE_PROFILES } from '../src/case/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

describe('a WebAssembly trap in a kernel', () => {
  beforeEach(() => reset());

  it('ends the search at the case that trapped, which traps by itself, and names the trap', async () => {
    const kernel = await resolveKernel('fixtures/broken-kernels/wasm-trap-corrupts.ts');
    for (const seed of [1, 2, 3]) {
      reset();
      const r = await search({
        suite: 'attention',
        kernel,
        seed,
        numRuns: 2000,
        constraints: SIZE_PROFILES.default,
      });
      expect(r.status, `seed ${seed}`).toBe('failed');
      if (r.status !== 'failed' || r.shrunk.case.kind !== 'attention') continue;
      expect(r.trapped).toBe('RuntimeError: unreachable');
      expect(r.shrunk.verdict).toMatchObject({ status: 'threw', message: 'RuntimeError: unreachable' });
      expect(trapsAlone(r.shrunk.case.shapes), JSON.stringify(r.shrunk.case.shapes)).toBe(true);
      expect(r.simplified).toEqual([]);
    }
  }, 120_000);

  it('check says the case was not shrunk and why, in text and in --json', async () => {
    const args = ['check', '--kernel', 'fixtures/broken-kernels/wasm-trap-corrupts.ts', '--seed', '1'];
    const text = await cli(...args, '--runs', '2000', '--corpus', 'tmp/wasm-trap-corpus');
    expect(text.code).toBe(1);
    expect(text.err).toContain('check: the kernel died of a WebAssembly trap (RuntimeError: unreachable)');
    expect(text.err).toContain('was not shrunk');
    reset();
    const json = await cli(...args, '--runs', '2000', '--corpus', 'tmp/wasm-trap-corpus', '--json');
    const report = JSON.parse(json.out) as { trapped?: string; case: { shapes: { Sq: number; D: number } } };
    expect(report.trapped).toBe('RuntimeError: unreachable');
    expect(trapsAlone(report.case.shapes)).toBe(true);
  }, 120_000);
});
