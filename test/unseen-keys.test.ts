/**
 * Junk at keys no query may see, as a user's kernel meets it. A textbook kernel (masked softmax, then
 * P·V over every key, as PyTorch's math SDPA and transformers' eager) reads those keys with weight 0:
 * by default the junk is finite and it passes; asked for NaN junk (`check --junk nan`), it is found,
 * and the verdict says why: it reads keys it must not see (0·NaN), naming one.
 */
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase } from '../src/case/index.js';
import { invisibleKeys, materialiseAttention } from '../src/data/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

const READS_UNSEEN =
  String.raw`reads keys it must not see \(0·NaN\): ` +
  String.raw`NaN at key (\d+) \(b=(\d+), kv head (\d+)\), which no query may see, `;

const TEXTBOOK = 'fixtures/broken-kernels/textbook.ts';

describe('a textbook kernel', () => {
  it('passes on the default cases (finite junk: 0 · x = 0)', async () => {
    // About a quarter of the cases are judged (the kernel declines empty rows and low precision):
    // 300 cases give ~75 judged, so more than 30 holds for every seed (150 gave exactly 30 at seed 3).
    const r = await search({ suite: 'attention', kernel: await resolveKernel(TEXTBOOK), seed: SEED, numRuns: 300 });
    expect(r.status).toBe('clean');
    expect(r.cases - r.unsupported).toBeGreaterThan(30);
  });

  it(
    'with NaN junk asked for, is found reading a key no query of its kv group may see, named in ' + 'the verdict',
    async () => {
      const r = await search({
        suite: 'attention',
        kernel: await resolveKernel(TEXTBOOK),
        seed: SEED,
        numRuns: 300,
        constraints: { junk: ['none', 'huge', 'nan'] },
      });
      expect(r.status).toBe('failed');
      if (r.status !== 'failed') return;
      const c = r.shrunk.case as AttentionCase;
      expect(c.junk).toBe('nan');
      expect(r.shrunk.verdict.status).toBe('nonfinite');
      const cause = r.shrunk.verdict.cause ?? '';
      const m = new RegExp(`^${READS_UNSEEN}reaches (out|dq|dk|dv) @ `).exec(cause);
      expect(m, cause).not.toBeNull();
      const [j, b, g] = [Number(m![1]), Number(m![2]), Number(m![3])];
      const { options, shapes } = materialiseAttention(c);
      expect(invisibleKeys(options, shapes)[(b * shapes.Hkv + g) * shapes.Sk + j]).toBe(1);
    },
  );
});
