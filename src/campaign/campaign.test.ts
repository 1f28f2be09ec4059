/**
 * The campaign's scheduling with workers that answer in this thread (test/support/workers.ts):
 * shards run exactly the cases of the unsharded campaign (real cases, real checks), a worker that
 * never answers costs one timeout and is replaced, a worker that dies is a crash and is replaced,
 * a target that hangs on every case is stopped, a stop signal still saves what was found.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../fixtures/profile.js';
import { inProcessWorkers, scriptedWorkers } from '../../test/support/workers.js';
import { readSavedCase } from '../corpus/index.js';
import { runCampaign } from './campaign.js';
import { CaseRunner } from './caseRunner.js';
import type { CampaignOptions } from './options.js';
import type { Job, WorkerMessage } from './protocol.js';
import type { SpawnWorker } from './spawn.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'attnfuzz-campaign-'));
const LORA = [
  { kernel: 'lora', suite: 'lora' as const },
  { kernel: 'lora-merged', suite: 'lora' as const },
];
const base = (o: Partial<CampaignOptions>): CampaignOptions => ({
  targets: LORA,
  seed: SEED,
  backend: 'cpu',
  workers: 2,
  corpus: tmp(),
  caseTimeoutMs: 60_000,
  shrinkTimeMs: 1000,
  ...o,
});

/** In-process workers that record which case each index was. */
function recording(seen: Map<number, string>): SpawnWorker {
  const real = inProcessWorkers();
  return (setup, events) => {
    const runner = CaseRunner.create(setup);
    const h = real(setup, events);
    return {
      post: (job: Job) => {
        void runner.then((r) => seen.set(job.i, JSON.stringify(r.caseOf(job.i))));
        h.post(job);
      },
      terminate: () => h.terminate(),
    };
  };
}

const pass = (i: number): WorkerMessage => ({
  type: 'ran',
  report: { i, target: i % 2, ms: 1, outcome: 'pass', coverage: ['lora.N=1'] },
});

describe('runCampaign', () => {
  it('shards 0..n-1 together run exactly the cases of the unsharded campaign', async () => {
    const whole = new Map<number, string>();
    const r = await runCampaign(base({ runs: 45, spawn: recording(whole) }));
    expect(r.report.totals.cases).toBe(45);
    const parts = new Map<number, string>();
    for (let k = 0; k < 4; k++) {
      const mine = new Map<number, string>();
      const s = await runCampaign(base({ runs: 45, shard: { index: k, count: 4 }, spawn: recording(mine) }));
      expect(s.report.totals.cases).toBe(mine.size);
      for (const [i, c] of mine) {
        expect(parts.has(i), `case ${i} ran in two shards`).toBe(false);
        parts.set(i, c);
      }
    }
    await new Promise((r) => setImmediate(r));
    expect([...parts].sort((a, b) => a[0] - b[0])).toEqual([...whole].sort((a, b) => a[0] - b[0]));
  });

  it(
    'a worker that never answers costs one timeout: it is replaced, the case recorded, every other case ' +
      'still runs',
    async () => {
      let spawned = 0;
      let terminated = 0;
      const workers: SpawnWorker = (setup, events) => {
        spawned++;
        const inner = scriptedWorkers((job) => (job.i === 7 ? 'hang' : pass(job.i)))(setup, events);
        return {
          post: (job) => inner.post(job),
          terminate: () => {
            terminated++;
            inner.terminate();
          },
        };
      };
      const r = await runCampaign(base({ runs: 30, caseTimeoutMs: 150, spawn: workers }));
      expect(r.report.totals).toMatchObject({ cases: 30, failed: 1, distinct: 1 });
      expect(r.report.targets[1]).toMatchObject({ timeouts: 1, failed: 1 });
      expect(r.report.failures[0]).toMatchObject({ kind: 'timeout', hits: 1, shrunk: false, firstCase: 7 });
      expect(readSavedCase(r.report.failures[0]!.file!).found?.verdict).toMatch(/^TIMEOUT/);
      expect(spawned).toBe(3);
      expect(terminated).toBeGreaterThanOrEqual(1);
    },
  );

  it(
    'a time budget ends it on time: cases still running at the deadline (here: hung, 60 s from their ' +
      'timeout) are dropped, not waited for',
    async () => {
      let terminated = 0;
      const workers: SpawnWorker = (setup, events) => {
        const inner = scriptedWorkers((job) => (job.i >= 10 ? 'hang' : pass(job.i)))(setup, events);
        return {
          post: (job) => inner.post(job),
          terminate: () => {
            terminated++;
            inner.terminate();
          },
        };
      };
      const t0 = performance.now();
      const r = await runCampaign(base({ timeMs: 300, caseTimeoutMs: 60_000, spawn: workers }));
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.report.ended).toBe('time');
      expect(r.report.totals).toMatchObject({ cases: 10, failed: 0 });
      expect(r.report.targets.every((t) => t.timeouts === 0)).toBe(true);
      expect(terminated).toBe(2);
    },
  );

  it(
    `a worker that dies is a crash and is replaced; a target that hangs on every case stops after 3 ` +
      `timeouts in a row`,
    async () => {
      const workers = scriptedWorkers((job) =>
        job.i === 4 ? { exit: 'ERR_WORKER_OUT_OF_MEMORY' } : job.i % 2 === 1 ? 'hang' : pass(job.i),
      );
      const r = await runCampaign(base({ runs: 40, caseTimeoutMs: 100, spawn: workers }));
      const [even, odd] = r.report.targets;
      expect(even).toMatchObject({ crashes: 1, cases: 20 });
      // Another worker may be running a case of it when it stops: at most one more timeout per worker.
      expect(odd).toMatchObject({ stopped: 'stopped after 3 timeouts in a row' });
      expect(odd!.timeouts).toBeGreaterThanOrEqual(3);
      expect(odd!.timeouts).toBeLessThanOrEqual(3 + 2 - 1);
      expect(odd!.cases).toBeLessThan(20);
      expect(r.report.failures.map((f) => f.kind).sort()).toEqual(['crash', 'timeout']);
    },
  );

  it(
    'a stop signal ends it at once; a failure still waiting to be shrunk is saved as found, and ' + 'nothing is lost',
    async () => {
      const ctl = new AbortController();
      const workers = scriptedWorkers((job) => {
        if (job.type === 'shrink') {
          setImmediate(() => ctl.abort());
          return pass(job.i); // never read: the campaign stops first
        }
        return pass(job.i);
      });
      // One real failure: the lora-merged "kernel" is asked for a case that its scripted worker fails.
      const failing: SpawnWorker = (setup, events) => {
        const w = workers(setup, {
          ...events,
          message: (m) =>
            events.message(
              m.type === 'ran' && m.report.i === 3
                ? {
                    type: 'ran',
                    report: {
                      ...m.report,
                      outcome: 'failed',
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
                          seed: 0,
                        },
                        finding: { kind: 'leak', tensors: 1 },
                        summary: 'LEAK 1 tensor',
                        signature: { kernel: 'lora-merged', suite: 'lora', kind: 'leak', features: {} },
                      },
                    },
                  }
                : m,
            ),
        });
        return { post: (job) => (job.type === 'shrink' ? ctl.abort() : w.post(job)), terminate: () => w.terminate() };
      };
      const corpus = tmp();
      const r = await runCampaign(base({ runs: 100_000, corpus, signal: ctl.signal, spawn: failing }));
      expect(r.report.ended).toBe('signal');
      expect(r.report.failures).toMatchObject([{ kind: 'leak', shrunk: false, hits: 1 }]);
      expect(readdirSync(corpus).filter((f) => f.endsWith('.json'))).toHaveLength(1);
      expect(readdirSync(join(corpus, 'hits'))).toHaveLength(1);
    },
  );
});
