/**
 * Starting a campaign worker: a worker thread running worker.ts. Threads, not processes, because
 * a thread cannot outlive its process: a campaign killed with SIGKILL leaves no worker spinning at
 * 100% CPU, and a hung case is ended by `terminate()` (V8 stops even a `while (true) {}`). Each
 * thread has its own module instances, hence its own tfjs engine and backend.
 *
 * From the TypeScript sources (a clone, the tests) the thread first registers tsx's loader, then
 * imports worker.ts; from the built package it runs worker.js directly.
 *
 * `SpawnWorker` is the seam the campaign is written against: tests give it workers that answer
 * from memory when the property under test is the campaign's file handling, not attention.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Job, WorkerMessage, WorkerSetup } from './protocol.js';

export interface WorkerEvents {
  message(m: WorkerMessage): void;
  /** The worker ended without being told to: null for a clean exit, else why (an uncaught error, out of memory). */
  exit(error: string | null): void;
}

export interface WorkerHandle {
  post(job: Job): void;
  /** Ends the worker now (no exit event follows). */
  terminate(): void;
}

export type SpawnWorker = (setup: WorkerSetup, events: WorkerEvents) => WorkerHandle;

/** Heap limit of a worker: a kernel that leaks host memory ends its worker (a crash), not the machine. */
const HEAP_MB = 4096;

function workerEntry(): { code: string | URL; eval: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { code: new URL('./worker.js', self), eval: false };
  // tsx's ESM entry of its loader API (require.resolve would give the CommonJS one).
  const pkg = createRequire(self).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsxApi = pathToFileURL(join(dirname(pkg), api)).href;
  const entry = new URL('./worker.ts', self).href;
  const code = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return { code, eval: true };
}

export const spawnThread: SpawnWorker = (setup, events) => {
  const { code, eval: isEval } = workerEntry();
  const w = new Worker(code, { eval: isEval, workerData: setup, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB } });
  let ended = false;
  let error: string | null = null;
  w.on('message', (m: WorkerMessage) => {
    if (!ended) events.message(m);
  });
  w.on('error', (e) => {
    error = ((e as Error).message ?? String(e)).split('\n')[0]!;
  });
  w.on('exit', (code) => {
    if (ended) return;
    ended = true;
    events.exit(error ?? (code === 0 ? null : `exit code ${code}`));
  });
  return {
    post: (job) => w.postMessage(job),
    terminate: () => {
      ended = true;
      void w.terminate();
    },
  };
};
