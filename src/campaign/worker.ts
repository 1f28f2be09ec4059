/**
 * A campaign worker, as a thread or a process (spawn.ts): its own tfjs (its own engine and
 * backend; wasm is initialised here, per worker), then one job at a time in the order received
 * (protocol.ts). A process receives its setup as its first message and exits when its parent's
 * channel closes, or, stuck in a case, when its guard sees the campaign gone (orphanGuard.ts). Started by spawn.ts;
 * never imported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CaseRunner } from './caseRunner.js';
import { exitWithCampaign } from './orphanGuard.js';
import type { Job, WorkerMessage, WorkerSetup } from './protocol.js';

const post = (m: WorkerMessage) => (parentPort ? parentPort.postMessage(m) : process.send!(m));
const onMessage = (f: (m: Job | { type: 'setup'; setup: WorkerSetup }) => void) =>
  parentPort ? parentPort.on('message', f) : process.on('message', f);

const setup: WorkerSetup = parentPort
  ? (workerData as WorkerSetup)
  : await new Promise<WorkerSetup>((resolve) => {
      exitWithCampaign();
      process.once('message', (m: { setup: WorkerSetup }) => resolve(m.setup));
      process.on('disconnect', () => process.exit(0));
    });

let runner: CaseRunner | null = null;
try {
  runner = await CaseRunner.create(setup);
} catch (e) {
  post({ type: 'setup-failed', message: ((e as Error).message ?? String(e)).split('\n')[0]! });
  if (!parentPort) process.disconnect();
}
if (runner) {
  const r = runner;
  // Jobs run one at a time, in the order received, though a host kernel's case is awaited.
  let queue = Promise.resolve();
  onMessage((job) => {
    queue = queue.then(async () => {
      if (job.type === 'run') post({ type: 'ran', report: await r.run(job.i) });
      else if (job.type === 'shrink') post({ type: 'shrunk', report: await r.shrink(job) });
    });
  });
  // A worker's host kernels (worker processes, pages) end with it.
  const close = () => void r.close().finally(() => process.exit(0));
  if (!parentPort) process.on('disconnect', close);
  post({ type: 'ready' });
}
