/**
 * Kernels that answer asynchronously, checked end to end: host kernels over typed arrays
 * (src/contract/hostKernel.ts) judged like tfjs kernels, a tfjs forward that returns a Promise, and
 * a host kernel whose answer never comes (the per-case timeout ends it).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import asyncForward from '../fixtures/broken-kernels/async-forward.js';
import { cli } from '../fixtures/cli.js';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase } from '../src/case/index.js';
import { fixedKernel, resolveKernel, search } from '../src/runner/index.js';

const ROOT = join(import.meta.dirname, '..');
const HOST = 'fixtures/host-kernels';

describe('a host kernel', () => {
  it('that is correct passes check, score options included (its features are drawn for it)', async () => {
    const r = await cli('check', '--kernel', `${HOST}/reference.ts`, '--runs', '40', '--seed', String(SEED), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'clean', cases: 40 });
  });

  it('with the seed bug (causal dropped when no mask is passed) is found, shrunk to one short sequence', async () => {
    const kernel = await resolveKernel(`${HOST}/causal-ignored-without-mask.ts`);
    const r = await search({ suite: 'attention', kernel, seed: SEED, timeMs: 30_000, shrinkTimeMs: 15_000 });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    const c = r.shrunk.case as AttentionCase;
    expect(r.shrunk.verdict).toMatchObject({ status: 'mismatch' });
    expect(c.causal).not.toBe('none');
    expect([c.mask, c.keyLengths, c.window]).toEqual([null, null, null]);
    expect(c.shapes.B).toBe(1);
    expect(c.shapes.Sq).toBeLessThanOrEqual(2);
  });

  it('whose answer never comes is ended by check --timeout, naming the case', async () => {
    const p = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'attnfuzz.mjs'), 'check', '--kernel', `${HOST}/never-answers.ts`, '--timeout', '4'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const code = await new Promise<number | null>((resolve) =>
      p.on('exit', (c, signal) => resolve(signal === 'SIGKILL' ? 128 + 9 : c)),
    );
    expect(code).toBe(128 + 9);
    expect(err).toMatch(/^check: case 1 did not finish in 4 s: the kernel hangs/m);
  });
});

describe('a tfjs forward that returns a Promise', () => {
  it('is awaited in a forward-only check', async () => {
    const r = await cli(
      'check',
      '--kernel',
      'fixtures/broken-kernels/async-forward.ts',
      '--runs',
      '20',
      '--seed',
      String(SEED),
    );
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.err.split('\n')[0]).toMatch(/\(attention suite, forward only\)/);
  });

  it('with a backward is a THREW saying why (tfjs autodiff needs a synchronous forward)', async () => {
    const kernel = fixedKernel({ ...asyncForward, name: 'async-with-backward', backward: true });
    const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 5, shrinkTimeMs: 1000 });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.shrunk.verdict).toMatchObject({
      status: 'threw',
      phase: 'forward',
      message: expect.stringContaining('tfjs autodiff needs a synchronous forward'),
    });
  });
});

describe('a kernel that masks additively (a finite -1e9, as tfjs-layers MultiHeadAttention)', () => {
  it('fails on the default junk with a why: line naming the key, its logit and the likely cause', async () => {
    const kernel = await resolveKernel('fixtures/broken-kernels/additive-mask-1e9.ts');
    const r = await search({ suite: 'attention', kernel, seed: SEED, timeMs: 60_000, shrinkTimeMs: 20_000 });
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect((r.shrunk.case as AttentionCase).junk).toBe('huge');
    expect(r.shrunk.verdict.status === 'mismatch' || r.shrunk.verdict.status === 'nonfinite').toBe(true);
    const cause = (r.shrunk.verdict as { cause?: string }).cause ?? '';
    expect(cause).toMatch(
      new RegExp(
        String.raw`^a key no query may see reaches the output with its finite junk: key \d+ \(b=\d+, kv head \d+\), ` +
          String.raw`logit scale·q·k up to -?\d\.\d\de\+\d+; likely a finite additive mask`,
      ),
    );
    expect(cause).toContain('--junk none');
  });

  it('passes with --junk none (the rest of the kernel is right)', async () => {
    const kernel = await resolveKernel('fixtures/broken-kernels/additive-mask-1e9.ts');
    const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 150, constraints: { junk: ['none'] } });
    expect(r).toMatchObject({ status: 'clean', cases: 150 });
  });
});
