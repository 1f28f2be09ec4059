/**
 * The machine a benchmark ran on, named in every result: a timing, or a share of matMul, means
 * nothing without the CPU it came from, how many cores it had, and how busy they were (a shared
 * machine's load average moves timings by factors; shares of the matMul measured in the same run
 * move much less).
 */
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
import { tf } from '../backend/index.js';

export interface Machine {
  /** CPU model as the OS names it, e.g. "Intel(R) Xeon(R) Processor". */
  readonly cpu: string;
  /** Logical cores the process may use. */
  readonly cores: number;
  /** OS and kernel, e.g. "linux 6.1.0". */
  readonly os: string;
  readonly node: string;
  /** tfjs-core version. */
  readonly tfjs: string;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() || 'unknown CPU',
    cores: availableParallelism(),
    os: `${platform()} ${release()}`,
    node: process.version,
    tfjs: tf.version_core,
  };
}

/** The 1-minute load average now (0 where the OS does not report one). */
export function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

/** One line: "Intel(R) Xeon(R) Processor, 2 cores (linux 6.1.0, Node v20.20.2, tfjs 4.22.0)". */
export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} core${m.cores === 1 ? '' : 's'} (${m.os}, Node ${m.node}, tfjs ${m.tfjs})`;
}
