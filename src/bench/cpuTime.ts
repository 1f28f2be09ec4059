/**
 * CPU time per call, beside tinybench's wall time. On a shared machine the wall time of a
 * single-threaded step grows with every other process on its cores (a load average of 18 on two
 * cores made matMul 1024³ take 480 ms instead of 80), while the CPU time the process itself spends
 * (process.cpuUsage: user + system, all its threads, the garbage collector's included) moves much
 * less; shares of matMul by CPU time are what to compare across busy runs. Contention for caches and
 * memory bandwidth still shows in both.
 */
export interface CpuRecorder {
  /** Runs f once, recording its CPU time. */
  readonly run: () => void;
  /** Median CPU milliseconds of the recorded calls after the first `skip` (the warm-up). */
  readonly medianMs: (skip: number) => number;
}

export function cpuRecorder(f: () => void): CpuRecorder {
  const ms: number[] = [];
  return {
    run: () => {
      const c0 = process.cpuUsage();
      f();
      const c = process.cpuUsage(c0);
      ms.push((c.user + c.system) / 1000);
    },
    medianMs: (skip) => {
      const xs = ms.slice(Math.min(skip, ms.length - 1)).sort((a, b) => a - b);
      return xs.length === 0 ? Number.NaN : xs[xs.length >> 1]!;
    },
  };
}
