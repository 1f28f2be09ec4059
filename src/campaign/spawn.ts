/**
 * Starting a campaign worker, as a thread (the default) or a process, both running worker.ts.
 *
 *   thread   cannot outlive its process: a campaign killed with SIGKILL leaves no worker spinning
 *            at 100% CPU, and a hung case is ended by `terminate()` (V8 stops even a
 *            `while (true) {}`). Each thread has its own module instances, hence its own tfjs.
 *   process  for the 'tensorflow' backend: @tensorflow/tfjs-node's addon loads in one worker
 *            thread but not in a second (tensorflow/tfjs#8388), so a replaced worker could not
 *            start. Ended with SIGKILL; it exits by itself when its parent's channel closes, and
 *            its guard thread ends it when the campaign is gone, even mid-case (orphanGuard.ts).
 *
 * From the TypeScript sources (a clone, the tests) the worker first registers tsx's loader, then
 * imports worker.ts; from the built package it runs worker.js directly.
 *
 * `SpawnWorker` is the seam the campaign is written against: tests give it workers that answer
 * from memory when the property under test is the campaign's file handling, not attention.
 */

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CAMPAIGN_PID_ENV } from './orphanGuard.js';
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
/**
 * Young generation of a worker: tfjs allocates a typed array per op, so a case makes megabytes of
 * short-lived garbage. Measured here (sdpa, 5000 cases, 2 worker threads): the default nursery
 * 391 cases/s, 48 MB 416-420 (the V8 helper threads' scavenging falls from 24% to 15% of a core).
 */
const YOUNG_MB = 48;

const fromSources = import.meta.url.endsWith('.ts');

/**
 * V8 flags a worker process takes from its campaign's process (worker threads share them anyway):
 * bin/attnfuzz.mjs starts the CLI with one GC thread per isolate, and so are its workers.
 */
const INHERITED_FLAGS = process.execArgv.filter((f) => f === '--single-threaded-gc');

/** A file of tsx's package, by its export name (require.resolve would give the CommonJS entries). */
function tsxFile(name: string, key: 'import' | 'default'): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const e = (
    JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, string | { import: { default: string } }> }
  ).exports[name]!;
  return pathToFileURL(
    join(dirname(pkg), typeof e === 'string' || key === 'default' ? (e as string) : e.import.default),
  ).href;
}

function workerEntry(): { code: string | URL; eval: boolean } {
  if (!fromSources) return { code: new URL('./worker.js', import.meta.url), eval: false };
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code =
    `import(${JSON.stringify(tsxFile('./esm/api', 'import'))}).then(({ register }) => { ` +
    `register(); return import(${JSON.stringify(entry)}); })`;
  return { code, eval: true };
}

export const spawnProcess: SpawnWorker = (setup, events) => {
  const file = fileURLToPath(new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url));
  const execArgv = fromSources ? ['--import', tsxFile('.', 'default')] : [];
  const p = fork(file, [], {
    execArgv: [
      ...INHERITED_FLAGS,
      ...execArgv,
      `--max-old-space-size=${HEAP_MB}`,
      `--max-semi-space-size=${Math.round(YOUNG_MB / 3)}`,
    ],
    env: { ...process.env, [CAMPAIGN_PID_ENV]: String(process.pid) },
    serialization: 'advanced',
    stdio: 'inherit',
  });
  let ended = false;
  p.on('message', (m: WorkerMessage) => {
    if (!ended) events.message(m);
  });
  p.on('error', () => {
    // reported by 'exit'
  });
  p.on('exit', (code, signal) => {
    if (ended) return;
    ended = true;
    events.exit(code === 0 ? null : `exit ${signal ?? `code ${code}`}`);
  });
  p.send({ type: 'setup', setup });
  return {
    post: (job) => {
      if (p.connected) p.send(job);
    },
    terminate: () => {
      ended = true;
      p.kill('SIGKILL');
    },
  };
};

export const spawnThread: SpawnWorker = (setup, events) => {
  const { code, eval: isEval } = workerEntry();
  const w = new Worker(code, {
    eval: isEval,
    workerData: setup,
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: YOUNG_MB },
  });
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
