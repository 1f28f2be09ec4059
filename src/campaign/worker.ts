/**
 * A campaign worker thread: its own tfjs (each worker thread has its own module instances, so
 * its own engine and backend; wasm is initialised here, per worker), then one job at a time in
 * the order received (protocol.ts). Started by spawn.ts; never imported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CaseRunner } from './caseRunner.js';
import type { Job, WorkerMessage, WorkerSetup } from './protocol.js';

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

let runner: CaseRunner | null = null;
try {
  runner = await CaseRunner.create(workerData as WorkerSetup);
} catch (e) {
  post({ type: 'setup-failed', message: ((e as Error).message ?? String(e)).split('\n')[0]! });
}
if (runner) {
  const r = runner;
  port.on('message', (job: Job) => post(job.type === 'run' ? { type: 'ran', report: r.run(job.i) } : { type: 'shrunk', report: r.shrink(job) }));
  post({ type: 'ready' });
}
