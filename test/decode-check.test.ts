/**
 * `attnfuzz check --suite decode` finds the upstream KV-cache bugs (fixtures/broken-kernels)
 * with the very search the command uses, within its default 60 s, and shrinks each to a case that
 * shows the bug; built-in flash decode is clean; a decode failure saves and replays. Asserted is
 * what each bug guarantees for ANY seed: the verdict (a NaN in out where the reference is finite,
 * named as a read of an unread slot) and the feature without which it cannot show.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { DecodeCase } from '../src/case/index.js';
import { type DecodeKernel, defineDecodeKernel } from '../src/contract/index.js';
import { readSavedCase, replayFile, saveCase, savedCaseOf } from '../src/corpus/index.js';
import type { Verdict } from '../src/oracle/index.js';
import {
  builtinKernel,
  checkCase,
  fixedKernel,
  resolveKernel,
  type SearchResult,
  search,
} from '../src/runner/index.js';

const fixture = (name: string) => `fixtures/broken-kernels/${name}.ts`;
const find = async (name: string): Promise<Extract<SearchResult, { status: 'failed' }>> => {
  const r = await search({
    suite: 'decode',
    kernel: await resolveKernel(fixture(name), 'decode'),
    seed: SEED,
    timeMs: 60_000,
    shrinkTimeMs: 20_000,
  });
  expect(r.status, `${name}: not found in ${r.cases} cases`).toBe('failed');
  return r as Extract<SearchResult, { status: 'failed' }>;
};
const readsUnread = (v: Verdict) =>
  expect(v).toMatchObject({
    status: 'nonfinite',
    failing: { tensor: 'out', pass: 'forward' },
    cause: expect.stringMatching(/^reads cache slots no query may read/),
  });

describe('attnfuzz check --suite decode', () => {
  it(
    'finds a paged decode that reads the padding lanes of a last page (flashinfer#3716), shrunk to a paged ' +
      'cache with a length that is not a multiple of pageSize',
    async () => {
      const r = await find('decode-reads-page-padding');
      readsUnread(r.shrunk.verdict);
      const c = r.shrunk.case as DecodeCase;
      expect(c.cache.kind).toBe('paged');
      const P = c.cache.kind === 'paged' ? c.cache.pageSize : 0;
      expect(c.cacheSeqlens.some((len) => len % P !== 0)).toBe(true);
      expect(c.shapes.B).toBe(1);
    },
  );

  it(
    'finds a contiguous decode that attends past cacheSeqlens (Dao-AILab/flash-attention#1417), shrunk to a ' +
      'contiguous cache with a row shorter than it',
    async () => {
      const r = await find('decode-reads-past-seqlens');
      readsUnread(r.shrunk.verdict);
      const c = r.shrunk.case as DecodeCase;
      expect(c.cache.kind).toBe('contiguous');
      const Smax = Math.max(1, ...c.cacheSeqlens) + (c.cache.kind === 'contiguous' ? c.cache.extraSlots : 0);
      expect(c.cacheSeqlens.some((len) => len < Smax)).toBe(true);
    },
  );

  it(
    'finds nothing in built-in flash decode (every precision, paged and contiguous, causal, GQA, ' + 'empty rows)',
    async () => {
      const r = await search({ suite: 'decode', kernel: builtinKernel('flash'), seed: SEED, numRuns: 300 });
      expect(r).toMatchObject({ status: 'clean', cases: 300, unsupported: 0 });
    },
  );

  it('a decode that returns no tensor fails as thrown, saying what it returned', async () => {
    const wrapped = defineDecodeKernel({
      name: 'wrapped',
      decode: (q, cache, lens, opts, tf) =>
        ({ out: (builtinKernel('flash').decode as DecodeKernel).decode(q, cache, lens, opts, tf) }) as never,
    });
    const r = await search({ suite: 'decode', kernel: fixedKernel(wrapped, 'decode'), seed: SEED, numRuns: 5 });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.shrunk.verdict).toMatchObject({
      status: 'threw',
      phase: 'forward',
      message: 'wrapped.decode returned an object with keys [out], expected a tfjs Tensor out [B, Hq, Sq, Dv]',
    });
  });

  it(
    'saves a decode failure as an attnfuzz-case file that replays: the fixture still fails the same way, ' +
      'flash passes the same case',
    async () => {
      const kernel = await resolveKernel(fixture('decode-reads-page-padding'), 'decode');
      const r = await search({ suite: 'decode', kernel, seed: SEED, numRuns: 200, shrinkTimeMs: 5_000 });
      expect(r.status).toBe('failed');
      if (r.status !== 'failed') return;
      const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-decode-'));
      const saved = saveCase(savedCaseOf(r.shrunk, kernel.ref, { seed: r.seed, path: r.path }), dir);
      expect(readSavedCase(saved.json)).toMatchObject({
        kind: 'decode',
        case: r.shrunk.case,
        kernel: { module: fixture('decode-reads-page-padding') },
        expect: { kind: 'pass' },
        found: { verdict: expect.stringMatching(/NONFINITE/) },
      });
      const again = await replayFile(saved.json);
      expect(again.status).toBe('failing');
      if (again.status === 'failing') readsUnread(again.check.verdict);
      const flash = saveCase(
        savedCaseOf(await checkCase(r.shrunk.case, builtinKernel('flash')), { builtin: 'flash' }),
        dir,
      );
      expect(await replayFile(flash.json)).toMatchObject({ status: 'ok', summary: 'pass' });
    },
  );
});
