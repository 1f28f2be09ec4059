import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inShard } from './runner.js';
import { mutantsOf, sampleKeys } from './sample.js';
import { appendRecord, fingerprintOf, harnessOf, type MutantRecord, mutantKey, readStore } from './store.js';
import { caseMedians, type MutantRow, median, rowsOf, type StrykerReport, score, summarize } from './summary.js';
import { checksOfFiles, targetOfFile } from './targets.js';

const ROOT = join(import.meta.dirname, '..');
const place = { start: { line: 40, column: 9 }, end: { line: 40, column: 23 } };
const identity = {
  file: 'kernels/flash/forward.ts',
  location: place,
  mutatorName: 'EqualityOperator',
  replacement: 'i <= n',
};

describe('mutant keys, the store and the fingerprint', () => {
  it('a key names file, 1-based place, mutator and replacement', () => {
    expect(mutantKey(identity)).toBe('kernels/flash/forward.ts:41:10-41:24 EqualityOperator i <= n');
    expect(mutantKey({ ...identity, replacement: 'a\n  + b' })).toMatch(/ a \+ b$/);
  });

  it('reads back what was appended, skips a line cut short, keys by fingerprint', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mutation-store-')), 'store.jsonl');
    const side = { outcome: 'killed' as const, casesToKill: 2, checks: [] };
    const r: MutantRecord = {
      ...identity,
      key: mutantKey(identity),
      fingerprint: 'f1',
      harness: 'h',
      attnfuzz: side,
      grid: side,
      at: '',
      ms: 1,
    };
    appendRecord(file, r);
    appendFileSync(file, '{"key": "cut sh');
    appendRecord(file, { ...r, fingerprint: 'f2' });
    const s = readStore(file);
    expect([...s.keys()]).toEqual([`f1 ${r.key}`, `f2 ${r.key}`]);
  });

  it('the fingerprint changes with the mutated file, the budget and the grid; the harness hash with src/', () => {
    const root = mkdtempSync(join(tmpdir(), 'mutation-fp-'));
    for (const d of ['src', 'kernels', 'bin']) mkdirSync(join(root, d));
    writeFileSync(join(root, 'src', 'a.ts'), 'a');
    writeFileSync(join(root, 'kernels', 'k.ts'), 'k');
    writeFileSync(join(root, 'kernels', 'other.ts'), 'o');
    const budget = { seed: 1, runs: 10, backend: 'cpu' };
    const before = fingerprintOf(root, 'kernels/k.ts', budget, 'g');
    expect(fingerprintOf(root, 'kernels/k.ts', budget, 'g')).toBe(before);
    expect(fingerprintOf(root, 'kernels/k.ts', { ...budget, runs: 11 }, 'g')).not.toBe(before);
    expect(fingerprintOf(root, 'kernels/k.ts', budget, 'g2')).not.toBe(before);
    const harness = harnessOf(root);
    writeFileSync(join(root, 'src', 'a.ts'), 'b');
    writeFileSync(join(root, 'kernels', 'other.ts'), 'o2');
    expect(fingerprintOf(root, 'kernels/k.ts', budget, 'g')).toBe(before);
    expect(harnessOf(root)).not.toBe(harness);
    writeFileSync(join(root, 'kernels', 'k.ts'), 'k2');
    expect(fingerprintOf(root, 'kernels/k.ts', budget, 'g')).not.toBe(before);
  });
});

describe('the sample and the shards', () => {
  const files = ['kernels/eager/visibilityMask.ts', 'kernels/common/round.ts'];

  it('picks the same k mutants per file for a seed, others for another seed', async () => {
    const a = await sampleKeys(ROOT, files, 3, 1);
    expect(await sampleKeys(ROOT, files, 3, 1)).toEqual(a);
    expect(a).toHaveLength(6);
    expect(await sampleKeys(ROOT, files, 3, 2)).not.toEqual(a);
    const all = new Set((await mutantsOf(ROOT, files[0]!)).map(mutantKey));
    expect(a.slice(0, 3).every((k) => all.has(k))).toBe(true);
    // one file's sample does not depend on which other files are sampled with it
    expect(await sampleKeys(ROOT, [files[1]!], 3, 1)).toEqual(a.slice(3));
  });

  it('puts every mutant in exactly one shard', async () => {
    const keys = (await mutantsOf(ROOT, files[0]!)).map(mutantKey);
    const counts = keys.map((k) => [0, 1, 2].filter((i) => inShard(k, { index: i, count: 3 })).length);
    expect(counts.every((c) => c === 1)).toBe(true);
    expect(keys.every((k) => inShard(k, null))).toBe(true);
  });

  it('maps kernel files to the checks that test them', () => {
    expect(targetOfFile('/x/.attnfuzz-cache/stryker-tmp/sandbox-1/kernels/flash/kvcache.ts').name).toBe('flash');
    expect(checksOfFiles(['kernels/lora.ts']).map((c) => c.kernel)).toEqual(['lora', 'lora-merged']);
    expect(
      checksOfFiles(['kernels/eager/eager.ts', 'kernels/common/round.ts']).map((c) => `${c.suite}/${c.kernel}`),
    ).toEqual(['attention/eager', 'training/eager', 'attention/flash', 'attention/sdpa', 'decode/flash']);
  });
});

describe('the summary', () => {
  const loc = (line: number) => ({ start: { line, column: 1 }, end: { line, column: 5 } });
  const report: StrykerReport = {
    files: {
      'kernels/a.ts': {
        mutants: [
          { id: '0', mutatorName: 'M', replacement: 'x', location: loc(1), status: 'Killed' },
          { id: '1', mutatorName: 'M', replacement: 'y', location: loc(2), status: 'Survived' },
          { id: '2', mutatorName: 'M', replacement: 'z', location: loc(3), status: 'NoCoverage' },
          { id: '3', mutatorName: 'M', replacement: 'w', location: loc(4), status: 'RuntimeError' },
        ],
      },
    },
  };
  const keyOf = (line: number, r: string) => `kernels/a.ts:${line}:1-${line}:5 M ${r}`;
  const rec = (line: number, r: string, a: number | null, g: number | null): MutantRecord => {
    const side = (n: number | null) =>
      n === null
        ? { outcome: 'survived' as const, checks: [] }
        : { outcome: 'killed' as const, casesToKill: n, checks: [] };
    const location = { start: { line: line - 1, column: 0 }, end: { line: line - 1, column: 4 } };
    return {
      file: 'kernels/a.ts',
      location,
      mutatorName: 'M',
      replacement: r,
      key: keyOf(line, r),
      fingerprint: 'f',
      harness: 'h',
      attnfuzz: side(a),
      grid: side(g),
      at: '',
      ms: 0,
    };
  };
  const records = new Map([rec(1, 'x', 3, 1), rec(2, 'y', null, null)].map((r) => [r.key, r]));

  it('joins the report with the store; NoCoverage survives both sides; outside the sample is left out', () => {
    const equivalent = keyOf(2, 'y');
    const { rows, missing } = rowsOf(
      report,
      records,
      (k) => (k === equivalent ? { kind: 'equivalent', why: 'same' } : null),
      (p) => p,
    );
    expect(missing).toEqual([]);
    expect(rows.map((r: MutantRow) => [r.key, r.attnfuzz, r.grid])).toEqual([
      [keyOf(1, 'x'), 'killed', 'killed'],
      [keyOf(2, 'y'), 'survived', 'survived'],
      [keyOf(3, 'z'), 'not-reached', 'not-reached'],
    ]);
    const [s] = summarize(rows);
    expect(s).toEqual({
      file: 'kernels/a.ts',
      mutants: 3,
      equivalent: 1,
      unreachable: 0,
      attnfuzzKilled: 1,
      gridKilled: 1,
    });
    expect(score(s!.attnfuzzKilled, s!)).toBe('50.0%');
    expect(caseMedians(rows)).toMatchObject({ attnfuzz: 3, grid: 1, bothKilled: 1 });
  });

  it('leaves unreachable mutants out of the score over reachable ones, and counts them in the score over all', () => {
    const { rows } = rowsOf(
      report,
      records,
      (k) => (k === keyOf(3, 'z') ? { kind: 'unreachable', why: 'no built-in calls it' } : null),
      (p) => p,
    );
    const [s] = summarize(rows);
    expect([s!.equivalent, s!.unreachable]).toEqual([0, 1]);
    expect(score(s!.attnfuzzKilled, s!)).toBe('50.0%');
    expect(score(s!.attnfuzzKilled, s!, 'all')).toBe('33.3%');
  });

  it('median', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
