import { describe, expect, it } from 'vitest';
import { campaignDisplay } from './campaignProgress.js';
import type { Io } from './io.js';
import { progressDisplay } from './progress.js';

function pipe(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: () => {}, err: (s) => void lines.push(s), errIsTTY: false };
}

describe('progress in CI logs and pipes', () => {
  it('check writes one plain line per 10 s of its clock, none in between', () => {
    const io = pipe();
    const d = progressDisplay('check', { timeMs: 60_000 }, io);
    for (let ms = 0; ms <= 35_000; ms += 500)
      d.onProgress({ phase: 'search', cases: ms / 100, casesPerSecond: 10, unsupported: 0, elapsedMs: ms } as never);
    expect(io.lines).toEqual([
      'check: 100 cases, 10.0 cases/s, 0 unsupported, 10 s\n',
      'check: 200 cases, 10.0 cases/s, 0 unsupported, 20 s\n',
      'check: 300 cases, 10.0 cases/s, 0 unsupported, 30 s\n',
    ]);
  });
  it('fuzz writes the same cadence, with failures and each kernel', () => {
    const io = pipe();
    const d = campaignDisplay({ timeMs: 60_000 }, io);
    const perTarget = [{ target: { kernel: 'sdpa', suite: 'attention' }, cases: 7, failed: 1, distinct: 1 }];
    for (const ms of [3000, 9999, 10_000, 15_000, 20_500])
      d.onProgress({ elapsedMs: ms, cases: 7, failed: 1, distinct: 1, perTarget } as never);
    expect(io.lines).toHaveLength(2);
    expect(io.lines[0]).toBe(
      'fuzz: 10 s / 60 s, 7 cases, 0.7 cases/s, 1 failed, 1 distinct; sdpa: 7 cases, 1 failed, 1 distinct\n',
    );
  });
});
