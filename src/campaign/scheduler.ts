/**
 * Which job a worker gets next. A worker that holds nothing gets a waiting shrink first; while a
 * shrink waits, no worker is given anything else (a shrink is the expensive, rare job, and a
 * worker with cases queued would make it wait behind them). Then jobs handed out again after their
 * worker was replaced, in the order they were queued (a job of a target stopped meanwhile is
 * dropped), then the shard's next case while the budget accepts cases.
 *
 * State:
 *   shrinks   failures whose signature is new, waiting for a worker with nothing queued
 *   retry     jobs queued behind a case that timed out or crashed its worker, to hand out again
 */
import type { Budget } from './budget.js';
import type { Job } from './protocol.js';

export type ShrinkJob = Extract<Job, { type: 'shrink' }>;

export class Scheduler {
  private readonly shrinks: ShrinkJob[] = [];
  private readonly retry: Job[] = [];

  /** `isStopped`: whether a job's target no longer runs (stopped after repeated timeouts). */
  constructor(
    private readonly budget: Budget,
    private readonly isStopped: (job: Job) => boolean,
  ) {}

  /** The next job for a worker (`idle`: it holds no job), or null: nothing for it now. */
  next(idle: boolean): Job | null {
    if (this.shrinks.length > 0) return idle ? this.shrinks.shift()! : null;
    while (this.retry.length > 0) {
      const job = this.retry.shift()!;
      if (!this.isStopped(job)) return job;
    }
    const i = this.budget.nextCase();
    return i === null ? null : { type: 'run', i };
  }

  /** Queues the shrink of a new failure. */
  shrink(job: ShrinkJob): void {
    this.shrinks.push(job);
  }

  /** Jobs a replaced worker held behind its lost one: handed out again before anything else but shrinks. */
  requeue(jobs: readonly Job[]): void {
    this.retry.unshift(...jobs);
  }

  /** The waiting shrinks, taken out (to be saved as found: the deadline passed or a signal came). */
  takeShrinks(): ShrinkJob[] {
    return this.shrinks.splice(0);
  }

  /** Forgets the jobs to hand out again (the deadline passed or a signal came: they are not counted). */
  dropRetries(): void {
    this.retry.length = 0;
  }

  get hasShrinks(): boolean {
    return this.shrinks.length > 0;
  }

  get hasRetries(): boolean {
    return this.retry.length > 0;
  }
}
