/**
 * Runs a command in its own process group under two limits: CPU seconds (`ulimit -t`: the kernel
 * ends a process that burns more, SIGXCPU, however loaded the machine is: eight engineers share its
 * two cores, so a wall clock alone would call slow runs hangs) and a wall-clock backstop (for one
 * that waits without burning CPU). Either ends the whole group.
 */
import { spawn } from 'node:child_process';

export interface Limits {
  readonly cpuSeconds: number;
  readonly wallMs: number;
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Ended by a limit: the CPU one (SIGXCPU, or SIGKILL at the hard limit) or the wall clock. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const KEEP = 64 * 1024;

export function spawnLimited(
  argv: readonly string[],
  o: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly limits: Limits },
): Promise<Finished> {
  const t0 = performance.now();
  const cpu = Math.max(1, Math.ceil(o.limits.cpuSeconds));
  const child = spawn('sh', ['-c', `ulimit -t ${cpu} && exec "$@"`, 'sh', ...argv], {
    cwd: o.cwd,
    env: o.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // The tail is what matters: the JSON line comes last.
  child.stdout.on('data', (b: Buffer) => (stdout = (stdout + b.toString()).slice(-KEEP)));
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-KEEP)));
  let wallExpired = false;
  const timer = setTimeout(() => {
    wallExpired = true;
    killGroup(child.pid);
  }, o.limits.wallMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Whatever the leader did, nothing of its group outlives it (bin/attnfuzz.mjs starts a child node).
      killGroup(child.pid);
      // bin/attnfuzz.mjs exits 128 + n when its child died of signal n (SIGXCPU 24, SIGKILL 9).
      const byCpu = signal === 'SIGXCPU' || signal === 'SIGKILL' || code === 128 + 24 || code === 128 + 9;
      resolve({ code, signal, timedOut: wallExpired || byCpu, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
