/**
 * A suite is one kind of case (attention, lora, training, decode, upstream) seen as the stages every case
 * travels (docs/ARCHITECTURE.md): generate -> materialise -> run -> judge -> shrink -> report. Each
 * stage is one function per kind, here in one table, so the check (check.ts), the search
 * (search.ts), the structural pass (simplify.ts), replay and the reports each exist once and
 * branch on `case.kind` only through this table.
 */
import type fc from 'fast-check';
import type { z } from 'zod';
import type { HostTensor } from '../contract/index.js';
import type { Pass, TensorSpec } from '../oracle/index.js';
import type { KernelUnderTest } from './kernelUnderTest.js';

/** What running the kernel under test on one case gave, on the active backend. */
export type KernelOutcome<M = unknown> =
  | {
      readonly status: 'ok';
      readonly tensors: ReadonlyMap<string, HostTensor>;
      /** Only the forward pass ran (a kernel without a backward): backward tensors are not judged. */
      readonly forwardOnly?: boolean;
      /**
       * The material the kernel actually ran on, when it differs from the case's: a kernel that
       * draws its own dropout returns its mask, and the reference replays it.
       */
      readonly replay?: M;
      /** Tensors only the run stage knows how to judge (the keep rate of a kernel's own dropout). */
      readonly specs?: readonly TensorSpec[];
      /** Why the kernel fails, when the run stage found out (a NaN that came from reading unseen keys). */
      readonly cause?: string;
    }
  | { readonly status: 'threw'; readonly phase: Pass; readonly message: string }
  | { readonly status: 'unsupported'; readonly reason: string };

/** A simpler neighbour of a failing case, with the step a person reads in the report. */
export interface Simplification<C> {
  readonly step: string;
  readonly case: C;
}

/** The neighbours `parse` accepts: a step may take a case out of its schema (its rules across fields). */
export function parsedOnly<C>(
  neighbours: Simplification<C>[],
  parse: (raw: unknown, source: string) => unknown,
): Simplification<C>[] {
  return neighbours.filter((n) => {
    try {
      parse(n.case, 'simplify');
      return true;
    } catch {
      return false;
    }
  });
}

export interface Suite<C extends { readonly kind: string }, M, R, K = unknown> {
  readonly kind: C['kind'];
  /** The case's zod schema: saved files (src/corpus/savedCase.ts) validate their `case` with it. */
  readonly schema: z.ZodType<{ readonly kind: C['kind'] }>;
  /** Validates a case read from a file or given by a user (errors name the field). */
  parse(value: unknown, where: string): C;
  /** Stage 1: the fast-check arbitrary of cases under `constraints` (the suite's own type). */
  arbitrary(constraints?: K): fc.Arbitrary<C>;
  /**
   * The constraints a search uses for this kernel: the user's, with what the kernel declares filled
   * in where the user said nothing (attention: lengths aimed at its tiles, NaN junk when it promises
   * not to read unseen keys). The arbitrary and the structural pass both use the result.
   */
  aim?(constraints: K | undefined, k: KernelUnderTest): K;
  /** True iff `c` is within `constraints` (the structural pass never leaves them). */
  admits(constraints: K | undefined, c: C): boolean;
  /** Stage 2: the tensors and options of a case, from its seeds. */
  materialise(c: C): M;
  /** The float64 reference, computed once per case whatever the backends. */
  reference(c: C, m: M): R;
  /** Stage 3: the kernel under test (awaited: it may run in another process); never throws for a kernel's fault. */
  run(k: KernelUnderTest, c: C, m: M): Promise<KernelOutcome<M>>;
  /**
   * Why a failing case failed, when re-running the kernel can tell (attention: the finite junk at
   * keys no query may see reached an output, as through an additive mask); `fails` judges tensors
   * by the case's specs. Asked only for a failure the run stage gave no cause for (CheckOptions.explain).
   */
  explain?(
    k: KernelUnderTest,
    c: C,
    m: M,
    fails: (tensors: ReadonlyMap<string, HostTensor>) => boolean,
  ): Promise<string | null>;
  /** Stage 4's input: how each tensor is judged (runs the same-precision baseline on the active backend). */
  specs(k: KernelUnderTest, c: C, m: M, reference: R): TensorSpec[];
  /** Stage 5: simpler neighbours for the structural pass after fast-check's shrinking. */
  neighbours(c: C): Simplification<C>[];
  /** A size: smaller is simpler (reports, corpus tools). */
  size(c: C): number;
  /** One line a person reads in a repro beside the case's JSON (decode: the cache and lengths in words). */
  describe?(c: C): string;
  /** The inputs a person reads in a repro, as the kernel received them. */
  inputs(m: M): ReadonlyArray<readonly [string, HostTensor]>;
}

/** Turns an exception into a one-line message (`TypeError: x is undefined`). */
export const messageOf = (e: unknown): string =>
  e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
