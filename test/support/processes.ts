/**
 * The processes of this machine, read from /proc (Linux only): for tests that check that nothing a
 * command started is left running.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Its command line, arguments joined by spaces. */
  readonly cmd: string;
  /** CPU time so far (user + system), in clock ticks (1/100 s). */
  readonly cpu: number;
}

/** Every process now running (one that ends while being read is left out). */
export function processes(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .flatMap((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [
          {
            pid: Number(n),
            ppid: Number(f[1]),
            cpu: Number(f[11]) + Number(f[12]),
            cmd: readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' '),
          },
        ];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/** Every process below `pid` (children, their children, ...). */
export function descendants(pid: number): number[] {
  const all = processes();
  const out: number[] = [];
  const walk = (p: number) => {
    for (const x of all)
      if (x.ppid === p) {
        out.push(x.pid);
        walk(x.pid);
      }
  };
  walk(pid);
  return out;
}

/** The processes among `pids` still running. */
export const alive = (pids: readonly number[]): ProcessInfo[] => processes().filter((p) => pids.includes(p.pid));

/** The environment a process was started with (/proc/<pid>/environ); empty when it is gone. */
export function environmentOf(pid: number): Record<string, string> {
  try {
    const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    return Object.fromEntries(pairs.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } catch {
    return {};
  }
}
