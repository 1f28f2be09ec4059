/**
 * The worker protocol does not depend on Python: a worker in plain Node (examples/workers, no
 * attnfuzz import) through `--kernel 'exec:<command>'`. The seed bug (adapters#721: no mask passed,
 * so causal is dropped too) is found and shrunk to one sequence of two tokens; the correct worker
 * passes. A worker that dies (SIGKILL), hangs or prints garbage mid-case costs that case, named in
 * its verdict, and the campaign goes on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import { runCampaign } from '../src/campaign/index.js';
import type { AttentionCase } from '../src/case/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

const node = JSON.stringify(process.execPath);
const exec = (script: string, args = '') => `exec:${node} ${script}${args ? ` ${args}` : ''}`;
const constraints = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 4 };

describe('a plain-Node worker through exec:', () => {
  it('the seed bug is found within 60 s and shrunk to one sequence of two tokens, causal, no mask', async () => {
    const kernel = await resolveKernel(exec('examples/workers/forgot-is-causal.mjs'));
    try {
      const r = await search({
        suite: 'attention',
        kernel,
        seed: SEED,
        timeMs: 60_000,
        shrinkTimeMs: 30_000,
        constraints,
      });
      expect(r.status).toBe('failed');
      if (r.status !== 'failed') return;
      const c = r.shrunk.case as AttentionCase;
      // What the bug guarantees for any seed: one sequence, one head, two tokens (two keys for one query, or
      // two queries of which one sees no key), some causal alignment, no mask.
      expect([c.shapes.B, c.shapes.Hq, Math.max(c.shapes.Sq, c.shapes.Sk), c.causal !== 'none', c.mask]).toEqual([
        1,
        1,
        2,
        true,
        null,
      ]);
      expect(['mismatch', 'nonfinite']).toContain(r.shrunk.verdict.status);
    } finally {
      await kernel.close?.();
    }
  });

  it('the correct worker passes, in every precision, with lse judged too', async () => {
    const kernel = await resolveKernel(exec('examples/workers/correct.mjs'));
    try {
      const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 150 });
      expect(r).toMatchObject({ status: 'clean', cases: 150, unsupported: 0 });
    } finally {
      await kernel.close?.();
    }
  });

  it('a worker that is killed (SIGKILL), hangs or prints garbage mid-case costs that case, named in its verdict; ' +
    'the campaign runs every case', async () => {
    const kernel = exec('test/fixtures/workers/misbehaving.mjs', '--die-at-sq 3 --hang-at-sq 5 --garbage-at-sq 7');
    const corpus = mkdtempSync(join(tmpdir(), 'attnfuzz-worker-campaign-'));
    const r = await runCampaign({
      targets: [
        {
          kernel,
          suite: 'attention',
          constraints: { maxBatch: 1, maxHeads: 1, maxSeq: 7, maxHeadDim: 2, precisions: ['float32'] },
        },
      ],
      seed: SEED,
      backend: 'cpu',
      workers: 1,
      runs: 24,
      corpus,
      // The worker's own timeout is half: 1.5 s, generous for a healthy case (about a millisecond) on a
      // loaded machine; each hung case costs it, and the generator draws Sq = 5 often.
      caseTimeoutMs: 3000,
      shrinkTimeMs: 1500,
    });
    expect(r.report.totals.cases).toBe(24);
    const summaries = r.report.failures.map((f) => f.summary).join('\n');
    expect(summaries).toMatch(/worker exited with signal SIGKILL during the attention run/);
    expect(summaries).toMatch(/no answer in 1.5 s to the attention run \(worker killed\)/);
    expect(summaries).toMatch(/garbage on stdout: "hello from a stray print\\n"/);
    expect(summaries).not.toMatch(/NONDETERMINISTIC/); // the same case fails the same way after a restart
    expect(r.report.totals.pass).toBeGreaterThan(0);
  }, 180_000);
});
