/**
 * The structural pass after fast-check's shrinking. fast-check shrinks each generated primitive on
 * its own, so some simplifications a person would make are out of its reach (keeping only the
 * batch row that fails, dropping GQA by setting Hq = Hkv, moving several fields at once). This
 * pass tries the suite's neighbours of the failing case (suites/<kind>.ts), keeps the first that
 * still fails and that the search's constraints admit, and repeats until none does: the result
 * fails and no listed neighbour does (the "no simpler neighbour fails" property tests assert).
 *
 * The tensors are drawn from the seed per shape, so a neighbour with other sizes has other values:
 * a neighbour is kept only if it fails again, which is what a repro needs.
 */
import type { Simplification } from './suite.js';

export interface Simplified<C> {
  readonly case: C;
  readonly steps: readonly string[];
  /** false when the budget ran out before a fixed point. */
  readonly complete: boolean;
}

/**
 * Repeatedly replaces `failing` by its first admitted neighbour that still fails under `fails`,
 * until no neighbour fails or `budgetMs` runs out.
 */
export async function simplifyFailure<C>(
  failing: C,
  fails: (c: C) => Promise<boolean>,
  neighbours: (c: C) => readonly Simplification<C>[],
  admits: (c: C) => boolean = () => true,
  budgetMs = 30_000,
): Promise<Simplified<C>> {
  const t0 = performance.now();
  let current = failing;
  const steps: string[] = [];
  for (;;) {
    let moved = false;
    for (const n of neighbours(current)) {
      if (!admits(n.case)) continue;
      if (performance.now() - t0 > budgetMs) return { case: current, steps, complete: false };
      if (await fails(n.case)) {
        current = n.case;
        steps.push(n.step);
        moved = true;
        break;
      }
    }
    if (!moved) return { case: current, steps, complete: true };
  }
}
