/**
 * Both sides of the comparison on real kernels: a known-broken kernel (top-left causal where the
 * contract says bottom-right) is killed by `attnfuzz check` and by the grid, with the case that
 * killed it; the correct eager kernel survives both; a kernel that hangs is a timeout (a kill, as
 * Stryker counts it) under the CPU limit.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Budget, isKill, outcomeOf, runSide, type SideOptions } from './checks.js';
import type { Finished } from './spawnLimited.js';
import type { CheckSpec } from './targets.js';

const ROOT = join(import.meta.dirname, '..');
const budget: Budget = { seed: 1, runs: 30, backend: 'cpu' };
const options = (cpuSeconds = 120): SideOptions => ({
  cwd: ROOT,
  env: process.env,
  budget,
  reaches: () => true,
  limits: () => ({ cpuSeconds, wallMs: 600_000 }),
});
const attention = (kernel: string): CheckSpec => ({ suite: 'attention', kernel, grid: 'attention' });
const BROKEN = 'fixtures/broken-kernels/top-left-causal.ts';

describe('a mutant through attnfuzz check and through the grid', () => {
  it('a known-broken kernel is killed by both, each naming the case count', async () => {
    const a = await runSide('attnfuzz', [attention(BROKEN)], options());
    const g = await runSide('grid', [attention(BROKEN)], options());
    expect(a.outcome).toBe('killed');
    expect(g.outcome).toBe('killed');
    expect(a.casesToKill).toBeGreaterThanOrEqual(1);
    expect(a.casesToKill).toBeLessThanOrEqual(budget.runs);
    expect(g.casesToKill).toBeGreaterThanOrEqual(1);
    expect(g.checks[0]!.detail).toMatch(/mismatch|nonfinite/i);
  });

  it('the correct kernel survives both', async () => {
    const a = await runSide('attnfuzz', [attention('eager')], options());
    const g = await runSide('grid', [{ ...attention('eager') }], { ...options(), budget: { ...budget, runs: 5 } });
    expect(a).toMatchObject({ outcome: 'survived', checks: [{ check: 'attention/eager', outcome: 'survived' }] });
    expect(g.outcome).toBe('survived');
  });

  it('a check that reaches nothing is not run; the next one is', async () => {
    const o = { ...options(), reaches: (_: unknown, c: CheckSpec) => c.kernel === BROKEN };
    const r = await runSide('attnfuzz', [attention('eager'), attention(BROKEN)], o);
    expect(r.checks.map((c) => c.check)).toEqual([`attention/${BROKEN}`]);
    expect(await runSide('attnfuzz', [attention('eager')], { ...o, reaches: () => false })).toEqual({
      outcome: 'not-reached',
      checks: [],
    });
  });

  it('a kernel that loops is a timeout under the CPU limit, and a timeout kills', async () => {
    const hang = attention('fixtures/broken-kernels/infinite-loop.ts');
    const r = await runSide('attnfuzz', [hang], options(3));
    expect(r.outcome).toBe('timeout');
    expect(isKill(r.outcome)).toBe(true);
  });
});

describe('outcomeOf', () => {
  const f = (o: Partial<Finished>): Finished => ({
    code: 0,
    signal: null,
    timedOut: false,
    stdout: '',
    stderr: '',
    ms: 1,
    ...o,
  });
  it('reads attnfuzz check --json: clean, failed at the first segment of the replay path, errors', () => {
    expect(outcomeOf('attnfuzz', 'c', f({ stdout: '{"status":"clean"}\n' })).outcome).toBe('survived');
    const failed = '{"status":"failed","path":"6:0:1","verdict":{"status":"mismatch","failing":{"tensor":"dq"}}}';
    expect(outcomeOf('attnfuzz', 'c', f({ code: 1, stdout: `repro\n${failed}\n` }))).toMatchObject({
      outcome: 'killed',
      casesToKill: 7,
      detail: 'mismatch dq',
    });
    expect(outcomeOf('attnfuzz', 'c', f({ code: 2, stderr: 'check: nothing was checked' }))).toMatchObject({
      outcome: 'error',
      detail: 'exit 2: check: nothing was checked',
    });
    expect(outcomeOf('attnfuzz', 'c', f({ code: 1, stderr: 'TypeError: x' })).outcome).toBe('error');
    expect(outcomeOf('grid', 'c', f({ timedOut: true })).outcome).toBe('timeout');
    const grid = '{"status":"failed","casesToKill":3,"verdict":"mismatch out"}';
    expect(outcomeOf('grid', 'c', f({ code: 1, stdout: grid }))).toMatchObject({
      casesToKill: 3,
      detail: 'mismatch out',
    });
  });
});
