/**
 * The campaign's counts, kept by the main thread as reports arrive: per target (kernel x suite),
 * a timeline sampled about once a second (thinned to at most MAX_POINTS for the report), and the
 * coverage histograms of the cases drawn.
 */
import type { TargetStats, TimelinePoint } from '../report/index.js';
import { addCoverage, type Coverage } from './coverage.js';
import type { CaseReport } from './protocol.js';
import type { Target } from './stream.js';

const MAX_POINTS = 400;

interface Counts {
  cases: number;
  pass: number;
  unsupported: number;
  failed: number;
  timeouts: number;
  crashes: number;
  leaks: number;
  ms: number;
  distinct: Set<string>;
  stopped?: string;
}

export class CampaignStats {
  private readonly counts: Counts[];
  readonly coverage: Coverage = {};
  private readonly points: TimelinePoint[] = [{ seconds: 0, cases: 0, failed: 0, distinct: 0 }];
  private distinctAll = new Set<string>();

  constructor(private readonly targets: readonly Target[]) {
    this.counts = targets.map(() => ({
      cases: 0,
      pass: 0,
      unsupported: 0,
      failed: 0,
      timeouts: 0,
      crashes: 0,
      leaks: 0,
      ms: 0,
      distinct: new Set(),
    }));
  }

  ran(r: CaseReport): void {
    const c = this.counts[r.target]!;
    c.cases++;
    c.ms += r.ms;
    c[r.outcome]++;
    if (r.failure?.finding.kind === 'leak') c.leaks++;
    if (r.failure?.finding.kind === 'crash') c.crashes++;
    addCoverage(this.coverage, r.coverage);
  }

  /** A case that never reported: it timed out, or its worker died under it. */
  lost(target: number, why: 'timeout' | 'crash'): void {
    const c = this.counts[target]!;
    c.cases++;
    c.failed++;
    if (why === 'timeout') c.timeouts++;
    else c.crashes++;
  }

  hit(target: number, hash: string): void {
    this.counts[target]!.distinct.add(hash);
    this.distinctAll.add(hash);
  }

  stop(target: number, why: string): void {
    this.counts[target]!.stopped = why;
  }

  isStopped(target: number): boolean {
    return this.counts[target]!.stopped !== undefined;
  }

  get cases(): number {
    return this.counts.reduce((a, c) => a + c.cases, 0);
  }

  get failed(): number {
    return this.counts.reduce((a, c) => a + c.failed, 0);
  }

  get distinct(): number {
    return this.distinctAll.size;
  }

  /** Adds a timeline point (the caller calls this about once a second and at the end). */
  sample(seconds: number): void {
    this.points.push({ seconds, cases: this.cases, failed: this.failed, distinct: this.distinct });
  }

  timeline(): TimelinePoint[] {
    if (this.points.length <= MAX_POINTS) return [...this.points];
    const step = (this.points.length - 1) / (MAX_POINTS - 1);
    return Array.from({ length: MAX_POINTS }, (_, n) => this.points[Math.round(n * step)]!);
  }

  perTarget(): TargetStats[] {
    return this.targets.map((t, n) => {
      const { distinct, ...c } = this.counts[n]!;
      return { kernel: t.kernel, suite: t.suite, ...c, ms: Math.round(c.ms), distinct: distinct.size };
    });
  }

  /** Per target, for the progress display. */
  brief(): Array<{ target: Target; cases: number; failed: number; distinct: number; stopped?: string }> {
    return this.targets.map((target, n) => {
      const c = this.counts[n]!;
      return {
        target,
        cases: c.cases,
        failed: c.failed,
        distinct: c.distinct.size,
        ...(c.stopped ? { stopped: c.stopped } : {}),
      };
    });
  }
}
