/**
 * `runCampaign`: the one path (generate -> check -> judge -> shrink -> save) in workers, over many
 * kernels and suites, with signatures deciding what is new. The main thread never runs a kernel:
 * it hands out case indices of its shard (stream.ts), triages failures (triage.ts), writes
 * (store.ts) and counts (stats.ts), so it stays responsive to timers and signals.
 *
 * The parts, each with its own state:
 *   workerPool.ts   the workers and the jobs each holds: feeding, per-job timeouts, replacing a
 *                   worker that timed out or died
 *   scheduler.ts    which job a worker gets next: a waiting shrink, a job handed out again, a case
 *   budget.ts       --runs, --time and the stop signal: whether cases are accepted, whether a new
 *                   failure may be shrunk, and why the campaign ended
 *   failures.ts     what becomes of a failure: counted, shrunk, saved as found, or waiting
 * and this file, which wires them and ends the campaign:
 *   done              no case accepted any more, nothing to hand out again, no failure waiting, no
 *                     job held, no shrink waiting (a --runs campaign shrinks everything it found)
 *   deadline (--time) running shrinks finish, waiting ones are saved unshrunk, and cases still
 *                     running or queued are dropped (their workers ended), so a campaign ends on time
 *   stop signal       no new work, workers terminated, failures still being shrunk saved as found
 */
import { isPageBackend } from '../backend/index.js';
import { formatTemp, scanCorpus, signaturesOfCorpus } from '../corpus/index.js';
import { type KernelUnderTest, resolveKernel } from '../runner/index.js';
import { Budget } from './budget.js';
import { Failures } from './failures.js';
import type { CampaignOptions } from './options.js';
import { type Job, targetOptionsOf, type WorkerMessage, type WorkerSetup } from './protocol.js';
import { type CampaignResult, campaignReport } from './result.js';
import { Scheduler } from './scheduler.js';
import { spawnThread } from './spawn.js';
import { CampaignStats } from './stats.js';
import { CampaignStore } from './store.js';
import { type Shard, shardCases, targetOf, WHOLE } from './stream.js';
import { Triage } from './triage.js';
import { WorkerPool } from './workerPool.js';

export { MAX_TIMEOUTS } from './failures.js';

const HITS_EVERY_MS = 5000;

/** The campaign could not start (a worker could not set up its backend or kernels). */
export class CampaignSetupError extends Error {}

/**
 * What every worker is given. A target's worker process that hangs is killed, and a page that hangs
 * is given up on, at half the case timeout: its case fails naming it, before the campaign's own timeout.
 */
function workerSetupOf(o: CampaignOptions): WorkerSetup {
  const half = Math.max(1_000, o.caseTimeoutMs / 2);
  const pages = isPageBackend(o.backend) ? { pages: { ...o.pages, timeoutMs: half } } : {};
  const targetOptions = { timeoutMs: o.caseTimeoutMs / 2, ...o.targetOptions };
  return { targets: o.targets, seed: o.seed, backend: o.backend, cwd: o.cwd ?? process.cwd(), targetOptions, ...pages };
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const setup = workerSetupOf(o);
  const started = new Date();
  const t0 = performance.now();
  // The kernels, to draw a case that never reported (a timeout, a crash) as its worker drew it.
  const kernels: KernelUnderTest[] = [];
  try {
    const main = targetOptionsOf({ ...setup, worker: 0 });
    for (const t of o.targets) kernels.push(await resolveKernel(t.kernel, t.suite, setup.cwd, '--kernels', main));
  } catch (e) {
    throw new CampaignSetupError((e as Error).message.split('\n')[0]!);
  }
  return new Promise<CampaignResult>((resolve, reject) =>
    new Campaign(o, setup, kernels, started, t0, { resolve, reject }).start(),
  );
}

/**
 * One running campaign: its parts, and the state of its end (`finished`: it resolved or rejected,
 * nothing runs any more; `intervals`: the periodic timers, cleared then).
 */
class Campaign {
  private readonly shard: Shard;
  private readonly log: (line: string) => void;
  private readonly scan: ReturnType<typeof scanCorpus>;
  private readonly known: ReturnType<typeof signaturesOfCorpus>;
  private readonly triage: Triage;
  private readonly stats: CampaignStats;
  private readonly store: CampaignStore;
  private readonly budget: Budget;
  private readonly scheduler: Scheduler;
  private readonly failures: Failures;
  private readonly pool: WorkerPool;
  private readonly intervals: NodeJS.Timeout[] = [];
  private finished = false;

  constructor(
    private readonly o: CampaignOptions,
    setup: WorkerSetup,
    kernels: readonly KernelUnderTest[],
    private readonly started: Date,
    private readonly t0: number,
    private readonly settle: { resolve(r: CampaignResult): void; reject(e: Error): void },
  ) {
    const T = o.targets.length;
    this.shard = o.shard ?? WHOLE;
    this.log = o.log ?? (() => {});
    this.scan = scanCorpus(o.corpus);
    this.known = signaturesOfCorpus(this.scan.entries);
    this.triage = new Triage(this.known);
    const stats = new CampaignStats(o.targets);
    this.stats = stats;
    const run = `s${o.seed}-${this.shard.index}of${this.shard.count}-${started.getTime()}-${process.pid}`;
    this.store = new CampaignStore(o.corpus, run, o.backend, o.adapter);
    this.budget = new Budget(shardCases(this.shard, T, o.runs ?? Infinity, (t) => stats.isStopped(t)));
    this.scheduler = new Scheduler(this.budget, (job) => stats.isStopped(targetOf(job.i, T)));
    this.failures = new Failures({
      targets: o.targets,
      kernels,
      seed: o.seed,
      caseTimeoutMs: o.caseTimeoutMs,
      shrinkTimeMs: o.shrinkTimeMs,
      triage: this.triage,
      stats,
      store: this.store,
      scheduler: this.scheduler,
      budget: this.budget,
      log: this.log,
      now: () => this.now(),
    });
    this.pool = new WorkerPool(o.workers, o.spawn ?? spawnThread, setup, o.caseTimeoutMs, {
      next: (idle) => this.scheduler.next(idle),
      answered: (job, m) => this.answered(job, m),
      requeue: (jobs) => this.scheduler.requeue(jobs),
      lost: (job, why, detail) => this.failures.lost(job, why, detail),
      fed: () => this.maybeFinish(),
      failed: (message) => this.fail(new CampaignSetupError(message)),
    });
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  start(): void {
    const o = this.o;
    if (o.signal?.aborted) {
      this.stop();
      return;
    }
    o.signal?.addEventListener('abort', () => this.stop(), { once: true });
    this.budget.armDeadline(o.timeMs, () => this.deadline());
    this.every(1000, () => this.stats.sample(this.now() / 1000));
    this.every(HITS_EVERY_MS, () => {
      if (!this.failures.takeHitsDirty()) return;
      try {
        this.store.writeHits([...this.triage.distinct.values()], this.started, new Date());
      } catch {
        // reported once at the end
      }
    });
    if (o.onProgress)
      this.every(o.progressMs ?? 1000, () =>
        o.onProgress!({
          elapsedMs: this.now(),
          cases: this.stats.cases,
          failed: this.stats.failed,
          distinct: this.stats.distinct,
          perTarget: this.stats.brief(),
        }),
      );
    for (const line of this.temps()) this.log(`corpus: ${line}`);
    for (const p of this.scan.problems) this.log(`corpus: skipped ${p}`);
    this.pool.start();
  }

  private every(ms: number, f: () => void): void {
    this.intervals.push(setInterval(f, ms));
  }

  /** Temp files of earlier runs found in the corpus folder, and what was done with them. */
  private temps(): string[] {
    return this.scan.temps.filter((t) => t.action !== 'in-progress').map(formatTemp);
  }

  private answered(job: Job, m: Extract<WorkerMessage, { type: 'ran' | 'shrunk' }>): void {
    if (m.type === 'ran') {
      this.stats.ran(m.report);
      this.failures.ran(m.report);
    } else if (job.type === 'shrink') this.failures.shrunk(job.raw, m.report);
  }

  /** The deadline (--time): see the header. */
  private deadline(): void {
    this.budget.expire();
    for (const j of this.scheduler.takeShrinks()) this.failures.saveUnshrunk(j.raw, j.i);
    // Cases still running or queued are not waited for (a training case can take seconds, a
    // hung one its whole timeout): a worker holding only cases is ended now and they are not
    // counted; a worker shrinking a failure finishes it.
    this.scheduler.dropRetries();
    this.pool.endCaseOnly();
    this.pool.feedAll();
    this.maybeFinish();
  }

  /** A stop signal: see the header. */
  private stop(): void {
    if (this.finished) return;
    this.budget.stop();
    this.pool.endAll((j) => this.failures.saveUnshrunk(j.raw, j.i));
    for (const j of this.scheduler.takeShrinks()) this.failures.saveUnshrunk(j.raw, j.i);
    this.scheduler.dropRetries();
    this.finish();
  }

  private maybeFinish(): void {
    if (this.finished || this.budget.accepting || this.scheduler.hasRetries || this.failures.hasWaiting) return;
    if (this.pool.busy) return;
    if (this.scheduler.hasShrinks) return; // a --runs campaign shrinks everything it found
    this.finish();
  }

  private end(): void {
    this.finished = true;
    for (const t of this.intervals) clearInterval(t);
    this.budget.dispose();
    this.pool.close();
  }

  private finish(): void {
    if (this.finished) return;
    this.end();
    this.stats.sample(this.now() / 1000);
    const distinct = [...this.triage.distinct.values()];
    try {
      this.store.writeHits(distinct, this.started, new Date());
    } catch (e) {
      this.log(`could not write the hit counts: ${(e as Error).message.split('\n')[0]}`);
    }
    this.settle.resolve(
      campaignReport({
        o: this.o,
        shard: this.shard,
        started: this.started,
        elapsedMs: this.now(),
        ended: this.budget.ended,
        stats: this.stats,
        triage: this.triage,
        scan: { known: this.known.length, temps: this.temps(), problems: this.scan.problems },
      }),
    );
  }

  private fail(e: Error): void {
    if (this.finished) return;
    this.end();
    this.settle.reject(e);
  }
}
