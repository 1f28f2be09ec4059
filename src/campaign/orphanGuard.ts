/**
 * A worker process must not outlive its campaign. It exits when its parent's IPC channel closes
 * ('disconnect'), but only when its event loop runs: a worker stuck in a kernel's `while (true) {}`
 * never sees it, and a campaign killed with SIGKILL (the OOM killer, `kill -9`, a scheduler ending
 * a job) would leave it spinning at 100% CPU on its own. So a worker process also runs this guard:
 * one small thread, with its own event loop, that looks at the process's parent four times a second
 * and ends the process (SIGKILL, as the campaign's own timeout would) once it was re-parented.
 *
 * The parent's pid comes from the campaign (ATTNFUZZ_CAMPAIGN_PID, set by spawn.ts), not from
 * `process.ppid` at start: a parent killed before the guard starts would otherwise look like it.
 */
import { Worker } from 'node:worker_threads';

export const CAMPAIGN_PID_ENV = 'ATTNFUZZ_CAMPAIGN_PID';

const GUARD = `
const { workerData } = require('node:worker_threads');
const check = () => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); };
check();
setInterval(check, 250);
`;

/** Starts the guard of this worker process; a no-op when the campaign's pid is unknown. */
export function exitWithCampaign(env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env[CAMPAIGN_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  // unref: the guard never keeps a worker that is done alive.
  new Worker(GUARD, { eval: true, workerData: pid, resourceLimits: { maxOldGenerationSizeMb: 8 } }).unref();
}
