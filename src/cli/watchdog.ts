/**
 * The per-case timeout of `check`, which runs the kernel on its own main thread (a campaign runs
 * kernels in workers and ends a hung one; check has nothing to terminate but itself). A watchdog
 * thread hears about every case as it starts; when one has not finished after `timeoutMs`, it
 * writes why (the seed, how many cases ran, the case) straight to stderr, since the main thread is
 * stuck and can write nothing, and ends the process (SIGKILL: the stuck thread runs no handler).
 * Being a thread, it cannot outlive the process either.
 */
import { Worker } from 'node:worker_threads';

export interface Watchdog {
  /** A case starts (its JSON, shown if it never finishes). */
  beat(caseJson: string): void;
  stop(): void;
}

const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
let timer = null, cases = 0, last = '';
parentPort.on('message', (m) => {
  if (m === null) { clearTimeout(timer); return; }
  cases++;
  last = m;
  clearTimeout(timer);
  timer = setTimeout(() => {
    const p = workerData.prefix;
    const took = ' did not finish in ' + workerData.timeoutMs / 1000 + ' s';
    const why = ': the kernel hangs (or is slower than --timeout allows); ';
    writeSync(2, p + ': case ' + cases + took + why + workerData.replay + '; the case:\\n' + last + '\\n');
    writeSync(2, p + ': ending the process\\n');
    process.kill(process.pid, 'SIGKILL');
  }, workerData.timeoutMs);
});
`;

/** Starts a watchdog: `prefix` begins its lines, `replay` says how to find the case again. */
export function startWatchdog(timeoutMs: number, prefix: string, replay: string): Watchdog {
  const w = new Worker(WATCHER, { eval: true, workerData: { timeoutMs, prefix, replay } });
  w.unref();
  return {
    beat: (caseJson) => w.postMessage(caseJson),
    stop: () => {
      w.postMessage(null);
      void w.terminate();
    },
  };
}
