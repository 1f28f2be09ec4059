/**
 * `attnfuzz fuzz` as a user meets it: the seed and shard are printed before anything runs; the
 * exit code says clean (0), failed (1) or unusable (2, with the flag or variable named); --shard
 * and the job-array variables pick the shard; --json prints one line; the report is written.
 * Workers answer in this thread (test/support/workers.ts): worker threads are covered end to end
 * by test/fuzz-campaign.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED } from '../../../fixtures/profile.js';
import { inProcessWorkers, scriptedWorkers } from '../../../test/support/workers.js';
import { parseShard, shardFrom } from '../../campaign/index.js';
import { readSavedCase } from '../../corpus/index.js';
import type { Io } from '../io.js';
import { main } from '../main.js';
import { type FuzzFlags, runFuzz } from './fuzz.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-fuzz-${name}-`));
const capture = () => {
  const io = { out: '', err: '' };
  const sink: Io = { out: (s) => void (io.out += s), err: (s) => void (io.err += s), errIsTTY: false };
  return { io, sink };
};
const flags = (over: Partial<FuzzFlags>): FuzzFlags => ({
  workers: 2,
  profile: 'default',
  corpus: tmp('corpus'),
  report: tmp('report'),
  timeout: 60,
  shrinkTime: 5,
  ...over,
});
/** Runs `attnfuzz <argv> --corpus <tmp> --report <tmp>` (never the repository's folders). */
async function cli(...argv: string[]) {
  const { io, sink } = capture();
  const code = await main([...argv, '--corpus', tmp('c'), '--report', tmp('r')], sink);
  return { code, ...io };
}

afterEach(() => {
  delete process.env.JOB_COMPLETION_INDEX;
  delete process.env.ATTNFUZZ_SHARD_COUNT;
});

describe('attnfuzz fuzz', () => {
  it('prints the seed and shard first, exits 0 when nothing fails, writes the report', async () => {
    const { io, sink } = capture();
    const f = flags({ kernels: ['lora', 'lora-merged'], suites: ['lora'], runs: 20, seed: 77 });
    const code = await runFuzz(f, sink, { spawn: inProcessWorkers() });
    expect(code, io.err).toBe(0);
    expect(io.err.split('\n')[0]).toBe('fuzz: seed 77, shard 0/1, 2 workers on cpu, profile default, budget 20 cases');
    expect(io.out).toMatch(
      /^fuzz: 20 cases in .* seed 77, shard 0\/1, ended by runs: 0 failed, 0 distinct failures \(0 new\)$/m,
    );
    for (const name of ['report.json', 'junit.xml', 'index.html']) expect(existsSync(join(f.report, name))).toBe(true);
    expect(JSON.parse(readFileSync(join(f.report, 'report.json'), 'utf8')).command).toBe(
      'attnfuzz fuzz --kernels lora,lora-merged --suites lora --runs 20 --seed 77 --workers 2',
    );
  });

  it('exits 1 on a failure, lists it with its replay line, and --json prints one line', async () => {
    const { io, sink } = capture();
    const leak = scriptedWorkers((job) =>
      job.type === 'run'
        ? {
            type: 'ran',
            report: {
              i: job.i,
              target: 0,
              ms: 1,
              outcome: 'failed',
              coverage: [],
              failure: {
                case: {
                  version: 1,
                  kind: 'lora',
                  rank: 1,
                  alpha: 1,
                  rslora: false,
                  dropout: null,
                  N: 1,
                  in: 1,
                  out: 1,
                  precision: 'float32',
                  seed: job.i,
                },
                finding: { kind: 'crash', message: 'x' },
                summary: 'CRASH harness: x',
                signature: { kernel: 'lora', suite: 'lora', kind: 'crash', features: {} },
              },
            },
          }
        : 'hang',
    );
    const code = await runFuzz(flags({ kernels: ['lora'], suites: ['lora'], runs: 3, seed: 1, json: true }), sink, {
      spawn: leak,
    });
    expect(code).toBe(1);
    const out = JSON.parse(io.out) as {
      cases: number;
      failed: number;
      failures: Array<{ signature: string; hits: number; file: string }>;
    };
    expect(out).toMatchObject({ cases: 3, failed: 3, failures: [{ signature: 'lora lora crash []', hits: 3 }] });
    expect(existsSync(out.failures[0]!.file)).toBe(true);
  });

  it(
    '--suites decode: flash decode has nothing, a paged decode reading padding lanes is one distinct ' +
      'failure, shrunk and saved with its signature',
    async () => {
      const { io, sink } = capture();
      const broken = 'fixtures/broken-kernels/decode-reads-page-padding.ts';
      const f = flags({ kernels: ['flash', broken], suites: ['decode'], runs: 60, seed: SEED, json: true });
      expect(await runFuzz(f, sink, { spawn: inProcessWorkers() })).toBe(1);
      const out = JSON.parse(io.out) as { failures: Array<{ kernel: string; signature: string; file: string }> };
      expect(out.failures.map((x) => x.signature)).toEqual([
        `${broken} decode nonfinite out forward [cache=paged page=partial]`,
      ]);
      expect(readSavedCase(out.failures[0]!.file)).toMatchObject({
        kind: 'decode',
        case: { shapes: { B: 1 }, cache: { kind: 'paged' } },
      });
      const report = JSON.parse(readFileSync(join(f.report, 'report.json'), 'utf8')) as {
        targets: Array<{ kernel: string; suite: string; cases: number; failed: number }>;
        coverage: Record<string, unknown>;
      };
      expect(report.targets).toMatchObject([
        { kernel: 'flash', suite: 'decode', cases: 30, failed: 0 },
        { kernel: broken, suite: 'decode', cases: 30 },
      ]);
      expect(Object.keys(report.coverage)).toEqual(expect.arrayContaining(['decode.cache', 'decode.pageDivides']));
    },
  );

  it(
    "--profile reaches the attention targets' constraints as check's does; other suites keep " + 'their defaults',
    async () => {
      const seen: unknown[] = [];
      const spy = scriptedWorkers((job, setup) => {
        seen.push(...setup.targets.map((t) => t.constraints));
        return { type: 'ran', report: { i: job.i, target: job.i % 2, ms: 1, outcome: 'pass', coverage: [] } };
      });
      const { sink } = capture();
      expect(
        await runFuzz(
          flags({ kernels: ['flash', 'lora'], suites: ['attention', 'lora'], runs: 2, seed: 1, profile: 'deep' }),
          sink,
          { spawn: spy },
        ),
      ).toBe(0);
      expect(seen.slice(0, 2)).toEqual([{ maxCache: 4096 }, undefined]);
    },
  );

  it("--precision pins the dtype of every target's cases, beside the profile", async () => {
    const seen: unknown[] = [];
    const spy = scriptedWorkers((job, setup) => {
      seen.push(...setup.targets.map((t) => t.constraints));
      return { type: 'ran', report: { i: job.i, target: job.i % 2, ms: 1, outcome: 'pass', coverage: [] } };
    });
    const { io, sink } = capture();
    expect(
      await runFuzz(
        flags({
          kernels: ['flash', 'lora'],
          suites: ['attention', 'lora'],
          runs: 2,
          seed: 1,
          profile: 'deep',
          precision: 'float16',
        }),
        sink,
        { spawn: spy },
      ),
    ).toBe(0);
    expect(seen.slice(0, 2)).toEqual([{ maxCache: 4096, precisions: ['float16'] }, { precisions: ['float16'] }]);
    expect(io.err.split('\n')[0]).toBe(
      'fuzz: seed 1, shard 0/1, 2 workers on cpu, profile deep, float16, budget 2 cases',
    );
  });

  it('usage and load errors exit 2 and name the flag or variable', async () => {
    expect(await cli('fuzz', '--shard', '3/3')).toMatchObject({
      code: 2,
      err: 'fuzz: --shard: shard index 3 is not below the count 3 (indices are 0-based)\n',
    });
    expect(await cli('fuzz', '--suites', 'attention,nope')).toMatchObject({ code: 2 });
    expect((await cli('fuzz', '--time', '10 minutes')).err).toMatch(
      /--time <duration>' argument '10 minutes' is invalid. must be a positive duration/,
    );
    expect((await cli('fuzz', '--kernels', 'no/such/kernel.ts', '--runs', '1')).err).toMatch(
      /^fuzz: --kernels no\/such\/kernel\.ts: no such file/m,
    );
    expect((await cli('fuzz', '--kernels', 'lora', '--suites', 'attention', '--runs', '1')).err).toMatch(
      /^fuzz: --kernels lora: none runs in the suites asked for \(attention\)/m,
    );
    process.env.JOB_COMPLETION_INDEX = '2';
    expect((await cli('fuzz', '--runs', '1')).err).toBe(
      'fuzz: JOB_COMPLETION_INDEX=2 is set, but not the number of shards: set ATTNFUZZ_SHARD_COUNT to the ' +
        "Job's completions, or pass --shard 2/<completions>\n",
    );
  });

  it('a file in the corpus folder that does not load is named and left alone', async () => {
    const { io, sink } = capture();
    const f = flags({ kernels: ['lora'], suites: ['lora'], runs: 4, seed: 3 });
    writeFileSync(join(f.corpus, 'broken.json'), 'not json');
    expect(await runFuzz(f, sink, { spawn: inProcessWorkers() })).toBe(0);
    expect(io.err).toMatch(new RegExp(`fuzz: corpus: skipped ${join(f.corpus, 'broken.json')}: corrupt JSON`));
    expect(readFileSync(join(f.corpus, 'broken.json'), 'utf8')).toBe('not json');
  });
});

describe('shards', () => {
  it('come from --shard, else a Kubernetes Indexed Job, else a Slurm array, else 0/1', () => {
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    expect(() => parseShard('8/8')).toThrow(/--shard: shard index 8 is not below the count 8/);
    expect(() => parseShard('1-8')).toThrow(/--shard: expected i\/n/);
    expect(shardFrom('1/2', { JOB_COMPLETION_INDEX: '5', ATTNFUZZ_SHARD_COUNT: '8' })).toEqual({
      shard: { index: 1, count: 2 },
      source: '--shard',
    });
    expect(shardFrom(undefined, { JOB_COMPLETION_INDEX: '5', ATTNFUZZ_SHARD_COUNT: '8' })).toEqual({
      shard: { index: 5, count: 8 },
      source: 'JOB_COMPLETION_INDEX',
    });
    expect(
      shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }),
    ).toEqual({ shard: { index: 2, count: 4 }, source: 'SLURM_ARRAY_TASK_ID' });
    expect(shardFrom(undefined, {})).toEqual({ shard: { index: 0, count: 1 }, source: null });
    expect(() => shardFrom(undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(
      /SLURM_ARRAY_TASK_ID: shard index 4 is not below the count 4/,
    );
  });
});
