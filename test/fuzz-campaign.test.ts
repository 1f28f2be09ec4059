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
import { SEED } from '../fixtures/profile.js';
import {
  arbitraryOf,
  type CampaignResult,
  caseAddress,
  caseAt,
  type ReportFiles,
  runCampaign,
  spawnProcess,
  type Target,
  writeReport,
} from '../src/campaign/index.js';
import type { AttentionCase } from '../src/case/index.js';
import { readSavedCase } from '../src/corpus/index.js';
import { materialiseAttention } from '../src/data/index.js';
import { resolveKernel } from '../src/runner/index.js';
import { CHROMIUM, render } from './support/chromium.js';
import { environmentOf, processes } from './support/processes.js';

const small = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 6 };
const at = (kernel: string): Target => ({ kernel, suite: 'attention', constraints: small });
const fixture = (name: string) => `fixtures/broken-kernels/${name}.ts`;
const TARGETS: Target[] = [
  at('sdpa'),
  at('fixtures/broken-kernels/value-grad-detached.ts'),
  at(fixture('hangs')),
  at('fixtures/broken-kernels/leaks-a-tensor.ts'),
  at(fixture('throws')),
  at(fixture('nan')),
];
const T = TARGETS.length;
const RUNS = 8 * T;
/** What the hanging fixture recognises a case by: its shapes and its q values. */
function fingerprint(c: AttentionCase): string {
  const s = c.shapes;
  const q = materialiseAttention(c).inputs.q.data;
  return `${[s.B, s.Hq, s.Hkv, s.Sq, s.Sk, s.D, s.Dv].join(',')}|${Array.from(q).join(',')}`;
}

/** The rarest input among the cases of target t of a campaign, and how many cases have it (1 but for a coincidence). */
async function hangOn(t = 2, targets = T, runs = RUNS): Promise<{ input: string; cases: number }> {
  const arb = arbitraryOf(TARGETS[2]!, await resolveKernel(fixture('hangs')));
  const counts = new Map<string, number>();
  for (let i = t; i < runs; i += targets) {
    const f = fingerprint(caseAt(arb, caseAddress(SEED, i, targets)) as AttentionCase);
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  const [input, cases] = [...counts].sort((a, b) => a[1] - b[1])[0]!;
  return { input, cases };
}

let result: CampaignResult;
let files: ReportFiles;
let corpus: string;
let hang: { input: string; cases: number };

beforeAll(async () => {
  corpus = mkdtempSync(join(tmpdir(), 'attnfuzz-e2e-corpus-'));
  writeFileSync(join(corpus, 'corrupt.json'), '{"format": "attnfuzz-case", "version": 2, "kind": "atte');
  hang = await hangOn();
  process.env.ATTNFUZZ_TEST_HANG = hang.input;
  try {
    result = await runCampaign({
      targets: TARGETS,
      seed: SEED,
      backend: 'cpu',
      workers: 2,
      runs: RUNS,
      corpus,
      caseTimeoutMs: 2000,
      shrinkTimeMs: 6000,
    });
  } finally {
    delete process.env.ATTNFUZZ_TEST_HANG;
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
    const mine = failuresOf('fixtures/broken-kernels/value-grad-detached.ts');
    expect(mine.length).toBeGreaterThan(0);
    for (const f of mine) {
      expect(f).toMatchObject({ kind: 'mismatch', shrunk: true, known: false });
      expect(f.signature).toMatch(/ mismatch dv backward /);
      const saved = readSavedCase(f.file!);
      expect(saved.signature?.tensor).toBe('dv');
      expect(f.replay).toBe(`npx attnfuzz replay ${f.file}`);
    }
    expect(new Set(mine.map((f) => f.file)).size).toBe(mine.length);
    expect(mine.reduce((a, f) => a + f.hits, 0)).toBe(target('fixtures/broken-kernels/value-grad-detached.ts').failed);
  });

  it('a kernel with an infinite loop in forward costs one timeout per hanging case, not the campaign', () => {
    expect(target(fixture('hangs'))).toMatchObject({ cases: RUNS / T, timeouts: hang.cases, failed: hang.cases });
    expect(failuresOf(fixture('hangs'))).toMatchObject([{ kind: 'timeout', hits: hang.cases, shrunk: false }]);
    expect(readSavedCase(failuresOf(fixture('hangs'))[0]!.file!).found?.verdict).toMatch(
      /^TIMEOUT the case did not finish in 2 s/,
    );
  });

  it(
    'a kernel that leaks a tensor per call, one that throws and one that returns NaN are each recorded with ' +
      'their signature',
    () => {
      expect(failuresOf('fixtures/broken-kernels/leaks-a-tensor.ts').map((f) => f.kind)).toContain('leak');
      expect(target('fixtures/broken-kernels/leaks-a-tensor.ts').leaks).toBeGreaterThan(0);
      // How many distinct signatures each has depends on how far shrinking got in its budget; their kind does not.
      const threw = failuresOf(fixture('throws'));
      expect(threw.length).toBeGreaterThan(0);
      for (const f of threw)
        expect(f).toMatchObject({
          kind: 'threw',
          summary: expect.stringMatching(/^THREW in forward: only decode is implemented, got Sq=\d+/),
        });
      expect(failuresOf(fixture('nan')).length).toBeGreaterThan(0);
      expect(new Set(failuresOf(fixture('nan')).map((f) => f.kind))).toEqual(new Set(['nonfinite']));
    },
  );

  it('names a corrupt corpus file and leaves it where it is', () => {
    expect(result.report.corpus.problems).toEqual([expect.stringMatching(/corrupt\.json: corrupt JSON/)]);
    expect(existsSync(join(corpus, 'corrupt.json'))).toBe(true);
  });

  it(
    "writes the report's three files: report.json, junit.xml with one test case per kernel x suite, " + 'index.html',
    () => {
      expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({
        format: 'attnfuzz-campaign-report',
        totals: { cases: RUNS },
      });
      const junit = readFileSync(files.junit, 'utf8');
      expect(junit.match(/<testcase /g)).toHaveLength(T);
      expect(junit.match(/<failure /g)).toHaveLength(T - 1);
      expect(junit).toContain('replay: npx attnfuzz replay ');
      expect(readFileSync(files.html, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    },
  );

  it.skipIf(CHROMIUM === null)(
    `the page renders in headless chromium with no console ` +
      `errors${CHROMIUM === null ? ' (skipped: no chromium; apt-get install chromium)' : ''}`,
    () => {
      const page = render(files.html);
      expect(page.console).toEqual([]);
      expect(page.dom).toContain('attnfuzz campaign');
      expect(page.dom.match(/<svg/g)!.length).toBeGreaterThan(4);
      expect(page.screenshotBytes).toBeGreaterThan(10_000);
    },
  );

  it('as processes (the isolation the tensorflow backend needs), a hung worker is killed and replaced, and ' +
    'none outlives the campaign', async () => {
    const targets = [TARGETS[0]!, TARGETS[2]!];
    const h = await hangOn(1, 2, 8);
    process.env.ATTNFUZZ_TEST_HANG = h.input;
    let r: CampaignResult;
    try {
      r = await runCampaign({
        targets,
        seed: SEED,
        backend: 'cpu',
        workers: 2,
        runs: 8,
        corpus: mkdtempSync(join(tmpdir(), 'attnfuzz-e2e-proc-')),
        caseTimeoutMs: 2000,
        shrinkTimeMs: 2000,
        spawn: spawnProcess,
      });
    } finally {
      delete process.env.ATTNFUZZ_TEST_HANG;
    }
    expect(r.report.totals.cases).toBe(8);
    expect(r.report.targets[1]).toMatchObject({ timeouts: h.cases, failed: h.cases });
    expect(r.report.targets[0]).toMatchObject({ cases: 4, failed: 0 });
    // This campaign's workers only (spawn.ts gives each ATTNFUZZ_CAMPAIGN_PID): other tests start workers too.
    const workers = () =>
      processes()
        .filter(
          (p) =>
            p.cmd.includes('campaign/worker.ts') && environmentOf(p.pid).ATTNFUZZ_CAMPAIGN_PID === String(process.pid),
        )
        .map((p) => p.pid);
    if (process.platform !== 'linux') return;
    for (let n = 0; n < 30 && workers().length > 0; n++) await new Promise((res) => setTimeout(res, 100));
    expect(workers()).toEqual([]);
  }, 120_000);
});
