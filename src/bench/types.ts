/**
 * What `attnfuzz bench` measures (issue 13): each kernel's forward + backward at growing lengths on
 * each backend, against the backend's own matMul measured in the same run (the practical ceiling
 * of the stack), with its peak tensor memory; and the harness on default `check` cases.
 */
import type { AnyBackend, BackendName } from '../backend/index.js';
import type { Machine } from './machine.js';

/**
 * One (kernel, backend, length, head dim, causal) timing: the rows of `attnfuzz bench --json`. Each
 * row names its machine (cpu, cores, the matMul ceiling, the load average when it was measured),
 * so a row copied out of its report can still be compared.
 */
export interface KernelRow {
  readonly kernel: string;
  readonly backend: BackendName;
  /** CPU model and logical core count of the machine (machine.ts). */
  readonly cpu: string;
  readonly cores: number;
  /** The same backend's matMul GFLOP/s measured in this run (the ceiling), and its n. */
  readonly ceilingGflops: number;
  readonly ceilingN: number;
  /** 1-minute load average of the machine right after this row was timed. */
  readonly loadAverage: number;
  /** Bottom-right causal (its FLOPs count half, as FlashAttention's benchmarks count them). */
  readonly causal: boolean;
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly S: number;
  readonly D: number;
  /** Median milliseconds of one forward + backward (tinybench), and its median absolute deviation. */
  readonly ms: number;
  readonly madMs: number;
  readonly samples: number;
  /** Effective GFLOP/s: attentionFlops / time. */
  readonly gflops: number;
  /** gflops over the same backend's matMul GFLOP/s measured in this run. */
  readonly ceilingRatio: number;
  /** Peak bytes of tensors alive above the inputs during one forward + backward (tf.profile). */
  readonly peakBytes: number;
  /** Median CPU milliseconds of one forward + backward, and the share of matMul by CPU time (cpuTime.ts). */
  readonly cpuMs: number;
  readonly cpuCeilingRatio: number;
}

/** A (kernel, backend) that was not timed: it is wrong against the float64 reference, or threw. */
export interface SkippedKernel {
  readonly kernel: string;
  readonly backend: AnyBackend;
  readonly reason: string;
}

/** The backend's matMul of n x n by n x n: GFLOP/s = 2n³ / time. */
export interface Ceiling {
  readonly backend: BackendName;
  readonly n: number;
  readonly ms: number;
  readonly gflops: number;
  /** Median CPU milliseconds of one product (cpuTime.ts). */
  readonly cpuMs: number;
  /** Threads the backend computes with, where it says (wasm: XNNPACK's pool; 1 = single-threaded). */
  readonly threads?: number;
}

/** Default `check` cases through the one check: cases/s and where a case's time goes. */
export interface HarnessProfile {
  readonly kernel: string;
  readonly backend: AnyBackend;
  /** A page backend's adapter, in words ('google swiftshader'). */
  readonly adapter?: string;
  readonly cases: number;
  readonly casesPerSecond: number;
  /** Share of the checked time per stage (sums to 1). */
  readonly shares: Readonly<Record<'materialise' | 'reference' | 'kernel' | 'baseline' | 'judge', number>>;
}

export interface BenchReport {
  readonly date: string;
  readonly machine: Machine;
  /** 1-minute load average at the start and at the end of the run. */
  readonly load: { readonly start: number; readonly end: number };
  readonly ceilings: readonly Ceiling[];
  readonly rows: readonly KernelRow[];
  readonly skipped: readonly SkippedKernel[];
  readonly harness: readonly HarnessProfile[];
}
