/**
 * `attnfuzz check --backends cpu,wasm` finds a kernel that is right on cpu and wrong on wasm, which
 * single-backend fuzzing on cpu cannot see, shrinks it and names the backend; a correct kernel runs
 * clean on both; the search is deterministic; the saved file replays on its backends (whatever
 * the active one) to the same verdict; flag errors exit 2 with one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../fixtures/cli.js';
import { SEED } from '../fixtures/profile.js';
import { prepareBackends, useBackend } from '../src/backend/index.js';
import { replayFile } from '../src/corpus/index.js';
import { resolveKernel, search } from '../src/runner/index.js';

const constraints = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 4 };
const FIXTURE = 'fixtures/broken-kernels/backend-dependent.ts';

describe('check --backends cpu,wasm', () => {
  it('finds a kernel broken on wasm only, locally minimal, naming wasm', async () => {
    const kernel = await resolveKernel(FIXTURE);
    await useBackend('cpu');
    // On cpu alone the kernel is flash: nothing to find.
    expect((await search({ suite: 'attention', kernel, seed: SEED, numRuns: 40, constraints })).status).toBe('clean');
    await prepareBackends(['cpu', 'wasm']);
    const r = await search({
      suite: 'attention',
      kernel,
      backends: ['cpu', 'wasm'],
      seed: SEED,
      numRuns: 300,
      shrinkTimeMs: 10_000,
      constraints,
    });
    expect(r.status, `not found in ${r.cases} cases`).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.shrunk.verdict).toMatchObject({ backend: 'wasm' });
    expect(r.shrunk.runs.map((x) => [x.backend, x.verdict.status === 'pass'])).toEqual([
      ['cpu', true],
      ['wasm', false],
    ]);
    // The wasm path drops the unpaired last key: only an odd Sk > 1 shows it.
    const s = (r.shrunk.case as { shapes: { Sk: number } }).shapes;
    expect(s.Sk % 2 === 1 && s.Sk > 1).toBe(true);
    expect(r.locallyMinimal).toBe(true);
  });

  it(
    'the command prints the repro naming wasm, saves it with its backends, and it replays on ' + 'them from cpu',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-cross-'));
      const { code, out, err } = await cli(
        'check',
        '--kernel',
        FIXTURE,
        '--backends',
        'cpu,wasm',
        '--runs',
        '300',
        '--seed',
        String(SEED),
        '--corpus',
        dir,
      );
      expect(err).toMatch(
        new RegExp(`^check: ${FIXTURE} \\(attention suite, forward and backward\\) on cpu vs wasm, seed ${SEED}`),
      );
      expect(code).toBe(1);
      expect(out).toMatch(/\[cpu vs wasm\]: FAILED \(\w+ on wasm\)/);
      expect(out).toMatch(/^verdict on wasm:/m);
      expect(out).toMatch(/^ {2}cpu vs wasm: \w+ (DISAGREE|agree) max\|a-b\|=/m);
      const file = /^saved: (.+\.json)$/m.exec(out)![1]!;
      const saved = JSON.parse(readFileSync(file, 'utf8'));
      expect(saved).toMatchObject({
        version: 2,
        kind: 'attention',
        backends: ['cpu', 'wasm'],
        found: { backend: 'cpu,wasm' },
      });

      await useBackend('cpu');
      const o = await replayFile(file);
      expect(o.status).toBe('failing');
      if (o.status === 'invalid') return;
      expect(o.check.runs.map((x) => x.backend)).toEqual(['cpu', 'wasm']);
      expect(o.summary).toBe(saved.found.verdict);

      // Without `backends` the same file is a single-backend case on the active one (cpu), which passes.
      const plain = join(dir, 'plain.json');
      writeFileSync(plain, JSON.stringify({ ...saved, backends: undefined }));
      expect((await replayFile(plain)).status).toBe('ok');
    },
  );

  it('a correct kernel (flash) runs clean on cpu and wasm', async () => {
    await prepareBackends(['cpu', 'wasm']);
    const r = await search({
      suite: 'attention',
      kernel: await resolveKernel('flash'),
      backends: ['cpu', 'wasm'],
      seed: SEED,
      numRuns: 30,
      constraints,
    });
    expect(r).toMatchObject({ status: 'clean', cases: 30 });
  });

  it('same seed, same sequence of cases', async () => {
    const kernel = await resolveKernel('flash');
    await prepareBackends(['cpu', 'wasm']);
    const seen = async (seed: number) => {
      const cases: string[] = [];
      await search({
        suite: 'attention',
        kernel,
        backends: ['cpu', 'wasm'],
        seed,
        numRuns: 10,
        constraints,
        onCase: (x) => cases.push(JSON.stringify(x.case)),
      });
      return cases;
    };
    const a = await seen(7);
    expect(a).toHaveLength(10);
    expect(await seen(7)).toEqual(a);
    expect(await seen(8)).not.toEqual(a);
  });
});

describe('check --backends flag errors (exit 2, nothing on stdout)', () => {
  it.each([
    [
      ['--backends', 'cpu,wasm', '--backend', 'cpu'],
      /option '--backends <list>' cannot be used with option '--backend <name>'/,
    ],
    [['--backends', 'cpu'], /--backends <list>' argument 'cpu' is invalid\. needs at least two different backends/],
    [['--backends', 'cpu,cpu'], /needs at least two different backends/],
    [['--backends', 'cpu,gpu'], /unknown backend 'gpu'; expected some of cpu, wasm, tensorflow/],
    [
      ['--backends', 'cpu,tensorflow'],
      /^check: --backends tensorflow: backend 'tensorflow' needs .*npm install @tensorflow\/tfjs-node/,
    ],
  ])('%o', async (flags, message) => {
    const { code, out, err } = await cli('check', '--kernel', 'flash', '--runs', '1', ...flags);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });
});
