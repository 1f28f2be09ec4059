/**
 * `runCampaign`: the one path (generate -> check -> judge -> shrink -> save) in workers, over many
 * kernels and suites, with signatures deciding what is new. The main thread never runs a kernel:
 * it hands out case indices of its shard (stream.ts), triages failures (triage.ts), writes
 * (store.ts) and counts (stats.ts), so it stays responsive to timers and signals.
 *
 * Scheduling: each worker holds at most DEPTH jobs (so it never waits for the next index); a
 * shrink goes to a worker with nothing queued, and while one waits no worker is refilled.
 * Robustness:
 *   per-case timeout  the job at the head of a worker's queue has caseTimeoutMs (a shrink: its
 *                     budget plus that); past it the worker is terminated and replaced, the case
 *                     recorded as a timeout, the jobs queued behind it handed out again; after
 *                     MAX_TIMEOUTS timeouts in a row a target stops (it hangs on every case)
 *   worker death      (an uncaught error, out of memory) the same, recorded as a crash
 *   stop signal       no new work, workers terminated, failures still being shrunk saved as found
 * Budget: --runs counts the whole campaign's cases (a shard runs its share, stream.ts), --time is
 * this shard's; at the deadline running shrinks finish, waiting ones are saved unshrunk, and cases
 * still running or queued are dropped (their workers ended), so a campaign ends on time.
 */
import { isPageBackend } from '../backend/index.js';
import { formatTemp, scanCorpus, signatureOf, signaturesOfCorpus } from '../corpus/index.js';
import { type KernelUnderTest, resolveKernel } from '../runner/index.js';
import type { CampaignOptions } from './options.js';
import type { Job, RawFailure, ShrinkReport, WorkerMessage, WorkerSetup } from './protocol.js';
import { type CampaignResult, campaignReport } from './result.js';
import { type SpawnWorker, spawnThread, type WorkerHandle } from './spawn.js';
import { CampaignStats } from './stats.js';
import { CampaignStore } from './store.js';
import { caseAddress, caseAt, shardCases, targetOf, WHOLE } from './stream.js';
import { arbitraryOf } from './targetArbitrary.js';
import { type Distinct, Triage } from './triage.js';

const DEPTH = 2;
export const MAX_TIMEOUTS = 3;
const HITS_EVERY_MS = 5000;

/** The campaign could not start (a worker could not set up its backend or kernels). */
export class CampaignSetupError extends Error {}

interface Slot {
  handle: WorkerHandle | null;
  ready: boolean;
  queue: Job[];
  timer: NodeJS.Timeout | null;
}

/** What every worker is given; on a page backend, a page that hangs is given up on well before its worker is. */
function workerSetupOf(o: CampaignOptions): WorkerSetup {
  const pages = isPageBackend(o.backend)
    ? { pages: { ...o.pages, timeoutMs: Math.max(1_000, o.caseTimeoutMs / 2) } }
    : {};
  return { targets: o.targets, seed: o.seed, backend: o.backend, cwd: o.cwd ?? process.cwd(), ...pages };
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const targets = o.targets;
  const T = targets.length;
  const shard = o.shard ?? WHOLE;
  const spawn = o.spawn ?? spawnThread;
  const log = o.log ?? (() => {});
  const setup = workerSetupOf(o);
  const started = new Date();
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  // The kernels, to draw a case that never reported (a timeout, a crash) as its worker drew it.
  const kernels: KernelUnderTest[] = [];
  try {
    for (const t of targets) kernels.push(await resolveKernel(t.kernel, t.suite, setup.cwd));
  } catch (e) {
    throw new CampaignSetupError((e as Error).message.split('\n')[0]!);
  }
  const scan = scanCorpus(o.corpus);
  const known = signaturesOfCorpus(scan.entries);
  const triage = new Triage(known);
  const stats = new CampaignStats(targets);
  const store = new CampaignStore(
    o.corpus,
    `s${o.seed}-${shard.index}of${shard.count}-${started.getTime()}-${process.pid}`,
    o.backend,
    o.adapter,
  );
  const timeouts = targets.map(() => 0);
  const cases = shardCases(shard, T, o.runs ?? Infinity, (t) => stats.isStopped(t));
  const retry: Job[] = [];
  const shrinks: Array<Extract<Job, { type: 'shrink' }>> = [];
  const waiting: Array<{ raw: RawFailure; i: number }> = [];
  const slots: Slot[] = Array.from({ length: Math.max(1, o.workers) }, () => ({
    handle: null,
    ready: false,
    queue: [],
    timer: null,
  }));
  let accepting = true;
  /** false once the deadline passed or a signal came: failures not shrunk yet are saved as found. */
  let shrinking = true;
  let ended: 'time' | 'runs' | 'signal' = 'runs';
  let finished = false;
  let setupDeaths = 0;
  let hitsDirty = false;

  return new Promise<CampaignResult>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const everyMs = (ms: number, f: () => void) => timers.push(setInterval(f, ms));

    const record = (d: Distinct, target: number, isNew: boolean, save: () => { file: string; existed: boolean }) => {
      stats.hit(target, d.hash);
      hitsDirty = true;
      if (!isNew) return;
      try {
        const s = save();
        d.file = s.file;
        log(
          `${s.existed ? 'failure (already saved by another run)' : 'new failure'}: ${d.text}: ${d.summary}; ${s.file}`,
        );
      } catch (e) {
        log(`could not save a new failure (${(e as Error).message.split('\n')[0]}): ${d.text}: ${d.summary}`);
      }
    };
    const saveUnshrunk = (raw: RawFailure, i: number) => {
      const t = targetOf(i, T);
      const { distinct, isNew } = triage.unshrunk(raw, i, now());
      record(distinct, t, isNew, () => store.saveRaw(raw, targets[t]!, caseAddress(o.seed, i, T)));
      redecideWaiting();
    };
    const failure = (raw: RawFailure, i: number) => {
      const d = triage.decide(raw, i, now());
      if (d.kind === 'hit') return record(d.distinct, targetOf(i, T), false, () => ({ file: '', existed: true }));
      if (d.kind === 'wait') return void waiting.push({ raw, i });
      const shrinkable = raw.finding.kind === 'verdict' || raw.finding.kind === 'leak';
      if (!shrinkable || !shrinking) return saveUnshrunk(raw, i);
      shrinks.push({ type: 'shrink', i, budgetMs: o.shrinkTimeMs, raw });
    };
    const redecideWaiting = () => {
      for (const w of waiting.splice(0)) failure(w.raw, w.i);
    };
    const shrunk = (raw: RawFailure, r: ShrinkReport) => {
      const { distinct, isNew } = triage.shrunk(raw, r, now());
      record(distinct, r.target, isNew, () => store.saveShrunk(r));
      redecideWaiting();
    };
    /** A job that will never be answered: its worker timed out or died. */
    const lost = (job: Job, why: 'timeout' | 'crash', detail: string) => {
      const t = targetOf(job.i, T);
      if (job.type === 'shrink') {
        log(
          `shrinking case ${job.i} ${why === 'timeout' ? 'timed out' : `crashed its worker (${detail})`}: ` +
            `saved as found`,
        );
        return saveUnshrunk(job.raw, job.i);
      }
      stats.lost(t, why);
      const c = caseAt(arbitraryOf(targets[t]!, kernels[t]!), caseAddress(o.seed, job.i, T));
      const finding =
        why === 'timeout'
          ? ({ kind: 'timeout', ms: o.caseTimeoutMs } as const)
          : ({ kind: 'crash', message: detail } as const);
      const summary =
        why === 'timeout'
          ? `TIMEOUT the case did not finish in ${o.caseTimeoutMs / 1000} s`
          : `CRASH the worker died: ${detail}`;
      log(`case ${job.i} of ${targets[t]!.kernel} (${targets[t]!.suite}): ${summary}`);
      failure(
        { case: c, finding, summary, signature: signatureOf(c, targets[t]!.kernel, finding, kernels[t]!.tiles) },
        job.i,
      );
      if (why === 'timeout' && ++timeouts[t]! >= MAX_TIMEOUTS && !stats.isStopped(t)) {
        stats.stop(t, `stopped after ${MAX_TIMEOUTS} timeouts in a row`);
        log(`${targets[t]!.kernel} (${targets[t]!.suite}): stopped after ${MAX_TIMEOUTS} timeouts in a row`);
      }
    };

    const arm = (slot: Slot) => {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      const head = slot.queue[0];
      if (!head) return;
      const ms = head.type === 'run' ? o.caseTimeoutMs : head.budgetMs + o.caseTimeoutMs;
      slot.timer = setTimeout(() => replace(slot, 'timeout', `no answer in ${ms} ms`), ms);
    };
    const nextJob = (slot: Slot): Job | null => {
      if (shrinks.length > 0) return slot.queue.length === 0 ? shrinks.shift()! : null;
      while (retry.length > 0) {
        const job = retry.shift()!;
        if (!stats.isStopped(targetOf(job.i, T))) return job;
      }
      if (!accepting) return null;
      const n = cases.next();
      if (n.done) {
        accepting = false;
        ended = 'runs';
        return null;
      }
      return { type: 'run', i: n.value };
    };
    const feed = (slot: Slot) => {
      if (finished || !slot.ready || !slot.handle) return;
      for (let job = nextJob(slot); job !== null; job = slot.queue.length < DEPTH ? nextJob(slot) : null) {
        slot.queue.push(job);
        slot.handle.post(job);
        if (slot.queue.length === 1) arm(slot);
      }
      maybeFinish();
    };
    const feedAll = () => slots.forEach(feed);
    const onMessage = (slot: Slot, m: WorkerMessage) => {
      if (m.type === 'setup-failed') return fail(new CampaignSetupError(`a worker could not start: ${m.message}`));
      if (m.type === 'ready') {
        slot.ready = true;
        return feedAll();
      }
      // Workers answer in order; a report for a job this slot no longer holds (handed out again) is dropped.
      const at = slot.queue.findIndex((j) => j.i === m.report.i && (j.type === 'run') === (m.type === 'ran'));
      if (at < 0) return;
      const [job] = slot.queue.splice(at, 1);
      if (at === 0) arm(slot);
      if (m.type === 'ran') {
        stats.ran(m.report);
        timeouts[m.report.target] = 0;
        if (m.report.failure) failure(m.report.failure, m.report.i);
      } else if (job?.type === 'shrink') shrunk(job.raw, m.report);
      feedAll();
    };
    const start = (slot: Slot) => {
      slot.ready = false;
      slot.queue = [];
      slot.handle = spawn(setup, {
        message: (m) => onMessage(slot, m),
        exit: (err) => replace(slot, 'crash', err ?? 'the worker exited'),
      });
    };
    /** Ends a slot's worker (timed out or died) and starts another in its place. */
    const replace = (slot: Slot, why: 'timeout' | 'crash', detail: string) => {
      if (finished) return;
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.handle?.terminate();
      slot.handle = null;
      if (!slot.ready && ++setupDeaths > 3)
        return fail(new CampaignSetupError(`workers keep dying before they are ready: ${detail}`));
      const [head, ...rest] = slot.queue;
      retry.unshift(...rest);
      if (head) lost(head, why, detail);
      start(slot);
      feedAll();
    };
    /** Ends a slot's worker now: no answer, no timer, nothing queued. */
    const end = (s: Slot) => {
      if (s.timer) clearTimeout(s.timer);
      s.handle?.terminate();
      [s.timer, s.handle, s.queue] = [null, null, []];
    };
    const maybeFinish = () => {
      if (finished || accepting || retry.length > 0 || waiting.length > 0) return;
      if (slots.some((s) => s.queue.length > 0)) return;
      if (shrinks.length > 0) return; // a --runs campaign shrinks everything it found
      finish();
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      timers.forEach(clearInterval);
      slots.forEach(end);
      stats.sample(now() / 1000);
      const distinct = [...triage.distinct.values()];
      try {
        store.writeHits(distinct, started, new Date());
      } catch (e) {
        log(`could not write the hit counts: ${(e as Error).message.split('\n')[0]}`);
      }
      resolve(
        campaignReport({
          o,
          shard,
          started,
          elapsedMs: now(),
          ended,
          stats,
          triage,
          scan: {
            known: known.length,
            temps: scan.temps.filter((t) => t.action !== 'in-progress').map(formatTemp),
            problems: scan.problems,
          },
        }),
      );
    };
    const fail = (e: Error) => {
      if (finished) return;
      finished = true;
      timers.forEach(clearInterval);
      for (const s of slots) s.handle?.terminate();
      reject(e);
    };

    const stop = () => {
      if (finished) return;
      [accepting, shrinking, ended] = [false, false, 'signal'];
      for (const s of slots) {
        for (const j of s.queue) if (j.type === 'shrink') saveUnshrunk(j.raw, j.i);
        end(s);
      }
      for (const j of shrinks.splice(0)) saveUnshrunk(j.raw, j.i);
      retry.length = 0;
      finish();
    };
    if (o.signal?.aborted) return stop();
    o.signal?.addEventListener('abort', stop, { once: true });
    if (o.timeMs !== undefined)
      timers.push(
        setTimeout(() => {
          if (accepting) [accepting, ended] = [false, 'time'];
          shrinking = false;
          for (const j of shrinks.splice(0)) saveUnshrunk(j.raw, j.i);
          // Cases still running or queued are not waited for (a training case can take seconds, a
          // hung one its whole timeout): a worker holding only cases is ended now and they are not
          // counted; a worker shrinking a failure finishes it.
          retry.length = 0;
          for (const s of slots) if (s.queue.length > 0 && s.queue.every((j) => j.type === 'run')) end(s);
          feedAll();
          maybeFinish();
        }, o.timeMs),
      );
    everyMs(1000, () => stats.sample(now() / 1000));
    everyMs(HITS_EVERY_MS, () => {
      if (!hitsDirty) return;
      hitsDirty = false;
      try {
        store.writeHits([...triage.distinct.values()], started, new Date());
      } catch {
        // reported once at the end
      }
    });
    if (o.onProgress)
      everyMs(o.progressMs ?? 1000, () =>
        o.onProgress!({
          elapsedMs: now(),
          cases: stats.cases,
          failed: stats.failed,
          distinct: stats.distinct,
          perTarget: stats.brief(),
        }),
      );
    for (const line of scan.temps.filter((t) => t.action !== 'in-progress').map(formatTemp)) log(`corpus: ${line}`);
    for (const p of scan.problems) log(`corpus: skipped ${p}`);
    slots.forEach(start);
  });
}
