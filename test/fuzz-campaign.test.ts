/**
 * A campaign end to end, in real worker threads, over kernels that fail every way a kernel can:
 * a correct one (sdpa) has nothing; a broken one (dV detached) has its distinct failures found,
 * shrunk, saved once each; one that hangs on one shape costs one timeout per such case, not the
 * campaign; one that leaks a tensor per call, one that throws and one that returns NaN are each
 * recorded with their signature; a corrupt file in the corpus folder is named and left alone; the
 * report's three files are written and the page renders in a real browser without console errors.
 * What is asserted is what every seed guarantees: which kernels fail and how, never one seed's shapes.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../properties/support/profile.js';
import { caseAddress, caseAt, runCampaign, writeReport, type CampaignResult, type ReportFiles, type Target } from '../src/campaign/index.js';
import type { AttentionCase } from '../src/case/index.js';
import { readSavedCase } from '../src/corpus/index.js';
import { attentionSuite } from '../src/runner/index.js';
import { CHROMIUM, render } from './support/chromium.js';

const small = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 6 };
const at = (kernel: string): Target => ({ kernel, suite: 'attention', constraints: small });
const fixture = (name: string) => `test/fixtures/campaign-kernels/${name}.ts`;
const TARGETS: Target[] = [
  at('sdpa'),
  at('test/fixtures/broken-kernels/value-grad-detached.ts'),
  at(fixture('hangs')),
  at('properties/broken/leaks-a-tensor.ts'),
  at(fixture('throws')),
  at(fixture('nan')),
];
const T = TARGETS.length;
const RUNS = 8 * T;
const shapeOf = (c: AttentionCase) => [c.shapes.B, c.shapes.Hq, c.shapes.Hkv, c.shapes.Sq, c.shapes.Sk, c.shapes.D, c.shapes.Dv].join(',');

/** The rarest shape among the hanging kernel's cases of this campaign, and how many cases have it. */
function hangShape(): { shape: string; cases: number } {
  const counts = new Map<string, number>();
  for (let i = 2; i < RUNS; i += T) {
    const s = shapeOf(caseAt(attentionSuite.arbitrary(small), caseAddress(SEED, i, T)) as AttentionCase);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const [shape, cases] = [...counts].sort((a, b) => a[1] - b[1])[0]!;
  return { shape, cases };
}

let result: CampaignResult;
let files: ReportFiles;
let corpus: string;
let hang: { shape: string; cases: number };

beforeAll(async () => {
  corpus = mkdtempSync(join(tmpdir(), 'attnfuzz-e2e-corpus-'));
  writeFileSync(join(corpus, 'corrupt.json'), '{"format": "attnfuzz-case", "version": 2, "kind": "atte');
  hang = hangShape();
  process.env.ATTNFUZZ_TEST_HANG_SHAPE = hang.shape;
  try {
    result = await runCampaign({ targets: TARGETS, seed: SEED, backend: 'cpu', workers: 2, runs: RUNS, corpus, caseTimeoutMs: 2000, shrinkTimeMs: 6000 });
  } finally {
    delete process.env.ATTNFUZZ_TEST_HANG_SHAPE;
  }
  files = writeReport(mkdtempSync(join(tmpdir(), 'attnfuzz-e2e-report-')), result.report);
}, 300_000);

const target = (kernel: string) => result.report.targets.find((t) => t.kernel === kernel)!;
const failuresOf = (kernel: string) => result.report.failures.filter((f) => f.kernel === kernel);

describe('a fuzz campaign in worker threads', () => {
  it('runs every case of the campaign, and finds nothing on the correct kernel', () => {
    expect(result.report.totals.cases).toBe(RUNS);
    expect(target('sdpa')).toMatchObject({ cases: RUNS / T, failed: 0, timeouts: 0 });
    expect(failuresOf('sdpa')).toEqual([]);
  });

  it("finds the broken kernel's distinct failures: dV wrong, shrunk, one saved file per signature", () => {
    const mine = failuresOf('test/fixtures/broken-kernels/value-grad-detached.ts');
    expect(mine.length).toBeGreaterThan(0);
    for (const f of mine) {
      expect(f).toMatchObject({ kind: 'mismatch', shrunk: true, known: false });
      expect(f.signature).toMatch(/ mismatch dv backward /);
      const saved = readSavedCase(f.file!);
      expect(saved.signature?.tensor).toBe('dv');
      expect(f.replay).toBe(`npx attnfuzz replay ${f.file}`);
    }
    expect(new Set(mine.map((f) => f.file)).size).toBe(mine.length);
    expect(mine.reduce((a, f) => a + f.hits, 0)).toBe(target('test/fixtures/broken-kernels/value-grad-detached.ts').failed);
  });

  it('a kernel with an infinite loop in forward costs one timeout per hanging case, not the campaign', () => {
    expect(target(fixture('hangs'))).toMatchObject({ cases: RUNS / T, timeouts: hang.cases, failed: hang.cases });
    expect(failuresOf(fixture('hangs'))).toMatchObject([{ kind: 'timeout', hits: hang.cases, shrunk: false }]);
    expect(readSavedCase(failuresOf(fixture('hangs'))[0]!.file!).found?.verdict).toMatch(/^TIMEOUT the case did not finish in 2 s/);
  });

  it('a kernel that leaks a tensor per call, one that throws and one that returns NaN are each recorded with their signature', () => {
    expect(failuresOf('properties/broken/leaks-a-tensor.ts').map((f) => f.kind)).toContain('leak');
    expect(target('properties/broken/leaks-a-tensor.ts').leaks).toBeGreaterThan(0);
    expect(failuresOf(fixture('throws'))).toMatchObject([{ kind: 'threw', summary: expect.stringMatching(/^THREW in forward: only decode is implemented, got Sq=\d+/) }]);
    expect(failuresOf(fixture('nan')).map((f) => f.kind)).toEqual(['nonfinite']);
  });

  it('names a corrupt corpus file and leaves it where it is', () => {
    expect(result.report.corpus.problems).toEqual([expect.stringMatching(/corrupt\.json: corrupt JSON/)]);
    expect(existsSync(join(corpus, 'corrupt.json'))).toBe(true);
  });

  it("writes the report's three files: report.json, junit.xml with one test case per kernel x suite, index.html", () => {
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({ format: 'attnfuzz-campaign-report', totals: { cases: RUNS } });
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(T);
    expect(junit.match(/<failure /g)).toHaveLength(T - 1);
    expect(junit).toContain('replay: npx attnfuzz replay ');
    expect(readFileSync(files.html, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it.skipIf(CHROMIUM === null)(`the page renders in headless chromium with no console errors${CHROMIUM === null ? ' (skipped: no chromium; apt-get install chromium)' : ''}`, () => {
    const page = render(files.html);
    expect(page.console).toEqual([]);
    expect(page.dom).toContain('attnfuzz campaign');
    expect(page.dom.match(/<svg/g)!.length).toBeGreaterThan(4);
    expect(page.screenshotBytes).toBeGreaterThan(10_000);
  });
});
