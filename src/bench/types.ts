/**
 * What `attnfuzz bench` measures (issue 13): each kernel's forward + backward at growing lengths on
 * each backend, against the backend's own matMul measured in the same run (the practical ceiling
 * of the stack), with its peak tensor memory; and the harness on default `check` cases.
 */
import type { AnyBackend, BackendName } from '../backend/index.js';

/** One (kernel, backend, length, head dim) timing: the rows of `attnfuzz bench --json`. */
export interface KernelRow {
  readonly kernel: string;
  readonly backend: BackendName;
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
  readonly ceilings: readonly Ceiling[];
  readonly rows: readonly KernelRow[];
  readonly skipped: readonly SkippedKernel[];
  readonly harness: readonly HarnessProfile[];
}
