/**
 * The campaign's workers: a fixed number of slots, each a worker (thread or process, spawn.ts) and
 * the jobs posted to it. A worker answers its jobs in order, one message each.
 *
 *   feeding           a ready slot is topped up to DEPTH jobs (so its worker never waits for the
 *                     next index), from the campaign's `next` (scheduler.ts)
 *   per-job timeout   the job at the head of a slot's queue has caseTimeoutMs (a shrink: its
 *                     budget plus that); past it the worker is terminated and replaced, the head
 *                     job reported `lost` as a timeout, the jobs behind it given back (`requeue`)
 *   worker death      (an uncaught error, out of memory) the same, reported as a crash; more than
 *                     three deaths before a worker is ready fail the campaign (`failed`)
 *
 * State, per slot:
 *   handle   the worker; null once ended (a slot ended by the deadline or a signal stays empty)
 *   ready    its worker answered 'ready' (set up its backend and kernels)
 *   queue    jobs posted and not answered yet, oldest first (at most DEPTH)
 *   timer    the timeout of the job at the head of the queue
 * and for the pool: `setupDeaths` (workers that died before they were ready) and `closed` (the
 * campaign ended: nothing is fed or replaced any more).
 */
import type { Job, WorkerMessage, WorkerSetup } from './protocol.js';
import type { SpawnWorker, WorkerHandle } from './spawn.js';

/** Jobs a worker holds at most. */
const DEPTH = 2;
/** Workers that may die before they are ready before the campaign gives up. */
const MAX_SETUP_DEATHS = 3;

type Answer = Extract<WorkerMessage, { type: 'ran' | 'shrunk' }>;

/** What the pool asks of and tells the campaign. */
export interface PoolEvents {
  /** The next job for a slot (`idle`: the slot holds no job), or null. */
  next(idle: boolean): Job | null;
  /** A job's answer; `job` is the job it answers, no longer held by the pool. */
  answered(job: Job, m: Answer): void;
  /** Jobs queued behind a lost job, to hand out again (called before `lost`). */
  requeue(jobs: readonly Job[]): void;
  /** The job at the head of a worker that timed out or died will never be answered. */
  lost(job: Job, why: 'timeout' | 'crash', detail: string): void;
  /** A ready slot was fed (the campaign may be done). */
  fed(): void;
  /** The campaign cannot run: a worker could not set up, or workers keep dying before they are ready. */
  failed(message: string): void;
}

interface Slot {
  handle: WorkerHandle | null;
  ready: boolean;
  queue: Job[];
  timer: NodeJS.Timeout | null;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private setupDeaths = 0;
  private closed = false;

  constructor(
    size: number,
    private readonly spawn: SpawnWorker,
    private readonly setup: WorkerSetup,
    private readonly caseTimeoutMs: number,
    private readonly events: PoolEvents,
  ) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({
      handle: null,
      ready: false,
      queue: [],
      timer: null,
    }));
  }

  /** Starts every slot's worker; each is fed once it says it is ready. */
  start(): void {
    for (const s of this.slots) this.startSlot(s);
  }

  /** Tops up every ready slot. */
  feedAll(): void {
    for (const s of this.slots) this.feed(s);
  }

  /** Whether some worker holds a job. */
  get busy(): boolean {
    return this.slots.some((s) => s.queue.length > 0);
  }

  /** Ends the workers that hold only cases (the deadline: they are not waited for nor counted). */
  endCaseOnly(): void {
    for (const s of this.slots) if (s.queue.length > 0 && s.queue.every((j) => j.type === 'run')) this.end(s);
  }

  /** Ends every worker now, first handing each shrink they held to `unfinished` (a stop signal). */
  endAll(unfinished: (job: Extract<Job, { type: 'shrink' }>) => void): void {
    for (const s of this.slots) {
      for (const j of s.queue) if (j.type === 'shrink') unfinished(j);
      this.end(s);
    }
  }

  /** The campaign ended: every worker ended, nothing fed or replaced any more. */
  close(): void {
    this.closed = true;
    for (const s of this.slots) this.end(s);
  }

  private startSlot(slot: Slot): void {
    slot.ready = false;
    slot.queue = [];
    slot.handle = this.spawn(
      { ...this.setup, worker: this.slots.indexOf(slot) },
      {
        message: (m) => this.onMessage(slot, m),
        exit: (err) => this.replace(slot, 'crash', err ?? 'the worker exited'),
      },
    );
  }

  private feed(slot: Slot): void {
    if (this.closed || !slot.ready || !slot.handle) return;
    const next = () => this.events.next(slot.queue.length === 0);
    for (let job = next(); job !== null; job = slot.queue.length < DEPTH ? next() : null) {
      slot.queue.push(job);
      slot.handle.post(job);
      if (slot.queue.length === 1) this.arm(slot);
    }
    this.events.fed();
  }

  /** Times the job at the head of the slot's queue. */
  private arm(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const head = slot.queue[0];
    if (!head) return;
    const ms = head.type === 'run' ? this.caseTimeoutMs : head.budgetMs + this.caseTimeoutMs;
    slot.timer = setTimeout(() => this.replace(slot, 'timeout', `no answer in ${ms} ms`), ms);
  }

  private onMessage(slot: Slot, m: WorkerMessage): void {
    if (m.type === 'setup-failed') {
      this.events.failed(`a worker could not start: ${m.message}`);
      return;
    }
    if (m.type === 'ready') {
      slot.ready = true;
      this.feedAll();
      return;
    }
    // Workers answer in order; a report for a job this slot no longer holds (handed out again) is dropped.
    const at = slot.queue.findIndex((j) => j.i === m.report.i && (j.type === 'run') === (m.type === 'ran'));
    if (at < 0) return;
    const [job] = slot.queue.splice(at, 1);
    if (at === 0) this.arm(slot);
    this.events.answered(job!, m);
    this.feedAll();
  }

  /** Ends a slot's worker (timed out or died) and starts another in its place. */
  private replace(slot: Slot, why: 'timeout' | 'crash', detail: string): void {
    if (this.closed) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.handle?.terminate();
    slot.handle = null;
    if (!slot.ready && ++this.setupDeaths > MAX_SETUP_DEATHS) {
      this.events.failed(`workers keep dying before they are ready: ${detail}`);
      return;
    }
    const [head, ...rest] = slot.queue;
    this.events.requeue(rest);
    if (head) this.events.lost(head, why, detail);
    this.startSlot(slot);
    this.feedAll();
  }

  /** Ends a slot's worker now: no answer, no timer, nothing queued. */
  private end(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.handle?.terminate();
    [slot.timer, slot.handle, slot.queue] = [null, null, []];
  }
}
