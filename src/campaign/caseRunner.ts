/**
 * What a worker does (worker.ts is only its message loop, so this runs in-process in tests): case
 * i of the stream through the one check, and the shrinking of a failure whose signature is new.
 *
 *   run(i)      generate case i (stream.ts) -> checkCase -> tensors left alive? -> CaseReport
 *   shrink(job) a verdict: the one search from case i's address (fast-check, then the structural
 *               pass), the shrunk case checked once more (a different verdict: nondeterministic)
 *               a leak: the structural pass with "still leaks" as the predicate
 *
 * Leaks: tf.memory().numTensors around the check. A first call may allocate for good (a cache, a
 * constant); a leak is a count that grows on a second run of the same case too.
 */
import { isPageBackend, tf, useBackend } from '../backend/index.js';
import { type Finding, type SavedCase, type Signature, savedCaseOf, signatureOf } from '../corpus/index.js';
import { expectationOf, formatVerdict, isFailure, summarizeVerdict, type Verdict } from '../oracle/index.js';
import { formatRepro, heatmapOf } from '../report/index.js';
import {
  type AnyCase,
  adaptersOf,
  type CaseCheck,
  type CheckOptions,
  checkCase,
  type KernelUnderTest,
  messageOf,
  resolveKernel,
  SUITE_OF,
  search,
  simplifyFailure,
  type WithPages,
  withPages,
} from '../runner/index.js';
import { coverageOf } from './coverage.js';
import {
  type CaseReport,
  type Job,
  type RawFailure,
  type ShrinkReport,
  targetOptionsOf,
  type WorkerSetup,
} from './protocol.js';
import { caseAddress, caseAt, targetOf } from './stream.js';
import { arbitraryOf } from './targetArbitrary.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Two verdicts a saved case's expectation cannot tell apart (same kind, tensor, message). */
const sameExpectation = (a: Verdict, b: Verdict) =>
  JSON.stringify(expectationOf(a)) === JSON.stringify(expectationOf(b));

/** The shrink report of a shrunk case: its signature, check and summary, and how it was reached. */
type Done = (
  signature: Signature,
  check: CaseCheck,
  summary: string,
  extra: { seed?: number; path?: string; steps?: readonly string[]; repro?: readonly string[] },
) => ShrinkReport;

export class CaseRunner {
  /** What checkCase is told: the page backend, when the kernels run in pages; else the active tfjs backend. */
  private readonly on: CheckOptions;

  private constructor(
    private readonly setup: WorkerSetup,
    private readonly kernels: readonly WithPages[],
  ) {
    this.on = isPageBackend(setup.backend) ? { backends: [setup.backend] } : {};
  }

  /**
   * Makes the backend active and loads every target's kernel (a module is loaded in each worker); on a
   * page backend, each kernel's page is opened here, once per worker.
   */
  static async create(setup: WorkerSetup): Promise<CaseRunner> {
    if (!isPageBackend(setup.backend)) await useBackend(setup.backend);
    const kernels: WithPages[] = [];
    const o = targetOptionsOf(setup);
    try {
      for (const t of setup.targets) {
        const k = await resolveKernel(t.kernel, t.suite, setup.cwd, '--kernels', o);
        kernels.push(await withPages(k, [setup.backend], { ...setup.pages, cwd: setup.cwd }));
      }
    } catch (e) {
      await Promise.all(kernels.map((k) => k.close?.()));
      throw e;
    }
    return new CaseRunner(setup, kernels);
  }

  /** Case i of the campaign, as generated. */
  caseOf(i: number): AnyCase {
    const T = this.setup.targets.length;
    const t = targetOf(i, T);
    return caseAt(arbitraryOf(this.setup.targets[t]!, this.kernels[t]!), caseAddress(this.setup.seed, i, T));
  }

  /** The check of `c`, and how many tensors a second run of it left alive (0 when the first left none). */
  private async checked(c: AnyCase, k: KernelUnderTest): Promise<{ check: CaseCheck; leaked: number }> {
    const count = () => tf.memory().numTensors;
    const n0 = count();
    const check = await checkCase(c, k, this.on);
    if (count() <= n0) return { check, leaked: 0 };
    const n1 = count();
    await checkCase(c, k, this.on);
    return { check, leaked: Math.max(0, count() - n1) };
  }

  private raw(c: AnyCase, k: KernelUnderTest, finding: Finding, summary: string): RawFailure {
    return { case: c, finding, summary, signature: signatureOf(c, k.label, finding, k.tiles) };
  }

  async run(i: number): Promise<CaseReport> {
    const t0 = performance.now();
    const target = targetOf(i, this.setup.targets.length);
    const k = this.kernels[target]!;
    const c = this.caseOf(i);
    const coverage = coverageOf(c);
    let failure: RawFailure | undefined;
    let outcome: CaseReport['outcome'];
    try {
      const { check, leaked } = await this.checked(c, k);
      const v = check.verdict;
      if (isFailure(v)) failure = this.raw(c, k, { kind: 'verdict', verdict: v }, summarizeVerdict(v));
      else if (leaked > 0)
        failure = this.raw(
          c,
          k,
          { kind: 'leak', tensors: leaked },
          `LEAK ${plural(leaked, 'tensor')} left alive per call`,
        );
      outcome = failure ? 'failed' : v.status === 'unsupported' ? 'unsupported' : 'pass';
    } catch (e) {
      // The harness itself failed on this case (the kernel's faults are verdicts): recorded, never fatal.
      failure = this.raw(
        c,
        k,
        { kind: 'crash', message: `harness: ${messageOf(e)}` },
        `CRASH harness: ${messageOf(e)}`,
      );
      outcome = 'failed';
    }
    return { i, target, ms: performance.now() - t0, outcome, coverage, ...(failure ? { failure } : {}) };
  }

  /** Releases what the kernels hold (worker processes, pages, sessions): the worker is about to end. */
  async close(): Promise<void> {
    await Promise.all(this.kernels.map((k) => k.close?.()));
  }

  /** Shrinks a failure whose signature is new (see the header), and reports it ready to save. */
  async shrink(job: Extract<Job, { type: 'shrink' }>): Promise<ShrinkReport> {
    const t0 = performance.now();
    const target = targetOf(job.i, this.setup.targets.length);
    const k = this.kernels[target]!;
    const at = new Date().toISOString();
    const done: Done = (signature, check, summary, extra) => {
      const base = savedCaseOf(check, k.ref, {
        seed: extra.seed ?? null,
        path: extra.path ?? null,
        ...(this.on.backends ? { backends: this.on.backends, adapters: adaptersOf(k) } : {}),
      });
      const saved: SavedCase = { ...base, found: { ...base.found, verdict: summary, at }, signature };
      const svg = heatmapOf(check);
      return {
        i: job.i,
        target,
        ms: performance.now() - t0,
        signature,
        summary,
        saved,
        ...(svg !== undefined ? { svg } : {}),
        repro: extra.repro ?? [],
        verdict: formatVerdict(check.verdict),
        steps: extra.steps ?? [],
      };
    };
    return job.raw.finding.kind === 'leak' ? this.shrinkLeak(job, k, done) : this.shrinkVerdict(job, k, done);
  }

  /** A leak: the structural pass with "still leaks" as the predicate. */
  private async shrinkLeak(
    job: Extract<Job, { type: 'shrink' }>,
    k: KernelUnderTest,
    done: Done,
  ): Promise<ShrinkReport> {
    const { suite: suiteName, constraints } = this.setup.targets[targetOf(job.i, this.setup.targets.length)]!;
    const suite = SUITE_OF[suiteName];
    const simple = await simplifyFailure(
      job.raw.case,
      async (c: AnyCase) => (await this.checked(c, k)).leaked > 0,
      suite.neighbours,
      (c: AnyCase) => suite.admits(constraints, c),
      job.budgetMs,
    );
    const { check, leaked } = await this.checked(simple.case, k);
    const finding: Finding = { kind: 'leak', tensors: leaked };
    return done(
      signatureOf(simple.case, k.label, finding, k.tiles),
      check,
      `LEAK ${plural(leaked, 'tensor')} left alive per call`,
      { steps: simple.steps },
    );
  }

  /** A verdict: the one search from case i's address, the shrunk case checked once more. */
  private async shrinkVerdict(
    job: Extract<Job, { type: 'shrink' }>,
    k: KernelUnderTest,
    done: Done,
  ): Promise<ShrinkReport> {
    const T = this.setup.targets.length;
    const { suite: suiteName, constraints } = this.setup.targets[targetOf(job.i, T)]!;
    const address = caseAddress(this.setup.seed, job.i, T);
    const third = Math.max(1, Math.floor(job.budgetMs / 3));
    const r = await search({
      suite: suiteName,
      kernel: k,
      ...this.on,
      constraints,
      seed: address.seed,
      path: address.path,
      numRuns: 1,
      timeMs: third,
      shrinkTimeMs: third,
    });
    if (r.status === 'clean') {
      const again = await checkCase(job.raw.case, k, { ...this.on, explain: true });
      // The search ran out of its budget before the case ended (a hang costs the whole timeout): if
      // the case fails again the same way it is reproducible, reported unshrunk, not nondeterministic.
      const first = job.raw.finding.kind === 'verdict' ? job.raw.finding.verdict : null;
      if (first !== null && isFailure(again.verdict) && sameExpectation(first, again.verdict))
        return done(
          signatureOf(job.raw.case, k.label, { kind: 'verdict', verdict: again.verdict }, k.tiles),
          again,
          summarizeVerdict(again.verdict),
          { seed: address.seed, path: address.path },
        );
      const finding: Finding = {
        kind: 'nondeterministic',
        first: job.raw.summary,
        again: summarizeVerdict(again.verdict),
      };
      return done(
        signatureOf(job.raw.case, k.label, finding, k.tiles),
        again,
        `NONDETERMINISTIC first ${job.raw.summary}; then ${finding.again}`,
        { seed: address.seed, path: address.path },
      );
    }
    const again = await checkCase(r.shrunk.case, k, this.on);
    const same = sameExpectation(again.verdict, r.shrunk.verdict);
    const summary = summarizeVerdict(r.shrunk.verdict);
    const finding: Finding = same
      ? { kind: 'verdict', verdict: r.shrunk.verdict }
      : { kind: 'nondeterministic', first: summary, again: summarizeVerdict(again.verdict) };
    const repro = formatRepro({
      check: r.shrunk,
      saved: null,
      seed: r.seed,
      path: r.path,
      cases: 1,
      numShrinks: r.numShrinks,
      simplified: r.simplified,
    });
    return done(
      signatureOf(r.shrunk.case, k.label, finding, k.tiles),
      r.shrunk,
      same ? summary : `NONDETERMINISTIC first ${summary}; then ${summarizeVerdict(again.verdict)}`,
      { seed: r.seed, path: r.path, steps: r.simplified, repro },
    );
  }
}
