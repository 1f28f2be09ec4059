/**
 * Workers for campaign tests that answer in the test's own thread (src/campaign's SpawnWorker
 * seam), when the property under test is the campaign's scheduling or file handling, not
 * attention, and a worker thread's start-up (about a second) would only cost time:
 *
 *   inProcessWorkers()      the real CaseRunner (the real cases, checks and shrinking), answering
 *                           one job per macrotask like a thread would
 *   scriptedWorkers(f)      answers computed by `f` (fake failures with chosen signatures), or
 *                           'hang' (the worker answers nothing more, like a thread stuck in a
 *                           loop) or { exit } (the worker dies while running that job)
 *
 * Either way the jobs are taken in the order posted, one at a time, as a worker thread takes them.
 */
import {
  CaseRunner,
  type Job,
  type SpawnWorker,
  type WorkerMessage,
  type WorkerSetup,
} from '../../src/campaign/index.js';

export type Answer = WorkerMessage | 'hang' | { readonly exit: string };

function answering(
  answer: (job: Job) => Answer | Promise<Answer>,
  ready: Promise<void>,
  events: Parameters<SpawnWorker>[1],
) {
  let alive = true;
  let queue = Promise.resolve();
  void ready.then(
    () => alive && events.message({ type: 'ready' }),
    (e: Error) => alive && events.message({ type: 'setup-failed', message: e.message }),
  );
  return {
    post(job: Job) {
      queue = queue
        .then(() => ready)
        .then(
          () =>
            new Promise<void>((r) =>
              setImmediate(async () => {
                if (!alive) return r();
                const a = await answer(job);
                if (a === 'hang') return; // never resolves: nothing after it runs
                if ('exit' in a) {
                  alive = false;
                  return events.exit(a.exit);
                }
                events.message(a);
                r();
              }),
            ),
        );
    },
    terminate() {
      alive = false;
    },
  };
}

export function inProcessWorkers(): SpawnWorker {
  return (setup, events) => {
    let runner: CaseRunner | null = null;
    const ready = CaseRunner.create(setup).then((r) => void (runner = r));
    return answering(
      (job) =>
        job.type === 'run'
          ? runner!.run(job.i).then((report) => ({ type: 'ran' as const, report }))
          : runner!.shrink(job).then((report) => ({ type: 'shrunk' as const, report })),
      ready,
      events,
    );
  };
}

export function scriptedWorkers(answer: (job: Job, setup: WorkerSetup) => Answer): SpawnWorker {
  return (setup, events) => answering((job) => answer(job, setup), Promise.resolve(), events);
}
