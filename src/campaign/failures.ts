/**
 * What becomes of a campaign's failures. Triage (triage.ts) decides each one:
 *
 *   hit      counted against its distinct failure
 *   wait     the same raw signature is being shrunk: decided again when any shrink or save ends
 *   shrink   queued for a worker (scheduler.ts), unless its finding cannot be shrunk (a timeout, a
 *            crash) or the budget no longer allows shrinking: then saved as found
 *
 * A new distinct failure is saved to the corpus folder (store.ts) and logged. A job whose worker
 * timed out or died is a failure too: its case is drawn again here as the worker drew it (case i is
 * a pure function of the seed and i, stream.ts) and recorded as a timeout or a crash; after
 * MAX_TIMEOUTS timeouts in a row a target stops (it hangs on every case).
 *
 * State:
 *   waiting    failures decided 'wait', in the order they came
 *   streaks    per target, its cases that timed out in a row (0 again when one of its cases answers)
 *   hitsDirty  a hit was counted since the hits file was last written
 */
import { signatureOf } from '../corpus/index.js';
import type { KernelUnderTest } from '../runner/index.js';
import type { Budget } from './budget.js';
import type { CaseReport, Job, RawFailure, ShrinkReport } from './protocol.js';
import type { Scheduler } from './scheduler.js';
import type { CampaignStats } from './stats.js';
import type { CampaignStore } from './store.js';
import { caseAddress, caseAt, type Target, targetOf } from './stream.js';
import { arbitraryOf } from './targetArbitrary.js';
import type { Distinct, Triage } from './triage.js';

export const MAX_TIMEOUTS = 3;

/** What the failures of a campaign go through and where they go. */
export interface FailureDesk {
  readonly targets: readonly Target[];
  /** The targets' kernels, to draw a case that never reported. */
  readonly kernels: readonly KernelUnderTest[];
  readonly seed: number;
  readonly caseTimeoutMs: number;
  readonly shrinkTimeMs: number;
  readonly triage: Triage;
  readonly stats: CampaignStats;
  readonly store: CampaignStore;
  readonly scheduler: Scheduler;
  readonly budget: Budget;
  readonly log: (line: string) => void;
  /** Milliseconds since the campaign started. */
  readonly now: () => number;
}

export class Failures {
  private readonly waiting: Array<{ raw: RawFailure; i: number }> = [];
  private readonly streaks: number[];
  private hitsDirty = false;

  constructor(private readonly d: FailureDesk) {
    this.streaks = d.targets.map(() => 0);
  }

  /** Whether a failure waits for a shrink of its signature to end. */
  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Whether a hit was counted since the last call. */
  takeHitsDirty(): boolean {
    const dirty = this.hitsDirty;
    this.hitsDirty = false;
    return dirty;
  }

  /** A case answered: its target's timeout streak ends, and its failure (if any) is decided. */
  ran(r: CaseReport): void {
    this.streaks[r.target] = 0;
    if (r.failure) this.failure(r.failure, r.i);
  }

  /** A failure of case i: a hit, a wait, a shrink queued, or saved as found. */
  failure(raw: RawFailure, i: number): void {
    const d = this.d.triage.decide(raw, i, this.d.now());
    const shrinkable = raw.finding.kind === 'verdict' || raw.finding.kind === 'leak';
    if (d.kind === 'hit') this.record(d.distinct, targetOf(i, this.T), false, () => ({ file: '', existed: true }));
    else if (d.kind === 'wait') this.waiting.push({ raw, i });
    else if (!shrinkable || !this.d.budget.shrinking) this.saveUnshrunk(raw, i);
    else this.d.scheduler.shrink({ type: 'shrink', i, budgetMs: this.d.shrinkTimeMs, raw });
  }

  /** A failure saved as found (not shrinkable, shrinking over, or its shrink cut short). */
  saveUnshrunk(raw: RawFailure, i: number): void {
    const t = targetOf(i, this.T);
    const { distinct, isNew } = this.d.triage.unshrunk(raw, i, this.d.now());
    this.record(distinct, t, isNew, () =>
      this.d.store.saveRaw(raw, this.d.targets[t]!, caseAddress(this.d.seed, i, this.T)),
    );
    this.redecideWaiting();
  }

  /** A shrink ended. */
  shrunk(raw: RawFailure, r: ShrinkReport): void {
    const { distinct, isNew } = this.d.triage.shrunk(raw, r, this.d.now());
    this.record(distinct, r.target, isNew, () => this.d.store.saveShrunk(r));
    this.redecideWaiting();
  }

  /** A job that will never be answered: its worker timed out or died. */
  lost(job: Job, why: 'timeout' | 'crash', detail: string): void {
    const { targets, stats, log } = this.d;
    const t = targetOf(job.i, this.T);
    if (job.type === 'shrink') {
      log(
        `shrinking case ${job.i} ${why === 'timeout' ? 'timed out' : `crashed its worker (${detail})`}: ` +
          `saved as found`,
      );
      this.saveUnshrunk(job.raw, job.i);
      return;
    }
    stats.lost(t, why);
    const c = caseAt(arbitraryOf(targets[t]!, this.d.kernels[t]!), caseAddress(this.d.seed, job.i, this.T));
    const finding =
      why === 'timeout'
        ? ({ kind: 'timeout', ms: this.d.caseTimeoutMs } as const)
        : ({ kind: 'crash', message: detail } as const);
    const summary =
      why === 'timeout'
        ? `TIMEOUT the case did not finish in ${this.d.caseTimeoutMs / 1000} s`
        : `CRASH the worker died: ${detail}`;
    log(`case ${job.i} of ${targets[t]!.kernel} (${targets[t]!.suite}): ${summary}`);
    const signature = signatureOf(c, targets[t]!.kernel, finding, this.d.kernels[t]!.tiles);
    this.failure({ case: c, finding, summary, signature }, job.i);
    if (why === 'timeout' && ++this.streaks[t]! >= MAX_TIMEOUTS && !stats.isStopped(t)) {
      stats.stop(t, `stopped after ${MAX_TIMEOUTS} timeouts in a row`);
      log(`${targets[t]!.kernel} (${targets[t]!.suite}): stopped after ${MAX_TIMEOUTS} timeouts in a row`);
    }
  }

  private get T(): number {
    return this.d.targets.length;
  }

  private record(d: Distinct, target: number, isNew: boolean, save: () => { file: string; existed: boolean }): void {
    this.d.stats.hit(target, d.hash);
    this.hitsDirty = true;
    if (!isNew) return;
    try {
      const s = save();
      d.file = s.file;
      this.d.log(
        `${s.existed ? 'failure (already saved by another run)' : 'new failure'}: ${d.text}: ${d.summary}; ${s.file}`,
      );
    } catch (e) {
      this.d.log(`could not save a new failure (${(e as Error).message.split('\n')[0]}): ${d.text}: ${d.summary}`);
    }
  }

  private redecideWaiting(): void {
    for (const w of this.waiting.splice(0)) this.failure(w.raw, w.i);
  }
}
