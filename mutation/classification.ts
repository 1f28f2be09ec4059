/**
 * Every survivor of a full run, explained: rules (mutation/survivors/<target>.ts) that name a file, a
 * range of lines and, where a line holds mutants of different kinds, the mutator and replacement.
 * The first rule that matches a mutant's key (store.ts `mutantKey`: `file:line:col-line:col Mutator
 * replacement`, 1-based lines as editors show them) classifies it:
 *
 *   equivalent   no input can tell the mutant from the original (why)         out of both scores
 *   unreachable  no built-in kernel runs the code through the contract        out of both scores
 *   narrower     the kernel declares less (a feature, a guarantee): its cases become unsupported or
 *                lose a check; no answer is wrong, and `check` prints how many it declined
 *   blind-spot   a bug attnfuzz should find and did not at this budget: what was done about it
 *
 * Narrower declarations and blind spots stay in the denominators: they count against the score.
 */
import type { Classification } from './summary.js';
import { EAGER_SURVIVORS } from './survivors/eager.js';
import { FLASH_SURVIVORS } from './survivors/flash.js';
import type { SurvivorRule } from './survivors/rule.js';

export type { SurvivorRule };

export const RULES: readonly SurvivorRule[] = [...EAGER_SURVIVORS, ...FLASH_SURVIVORS];

const KEY = /^(.+?):(\d+):(\d+)-\d+:\d+ (.*)$/s;

/** The classification of a mutant by its key, or null when no rule names it. */
export function classify(key: string, rules: readonly SurvivorRule[] = RULES): Classification | null {
  const m = KEY.exec(key);
  if (m === null) return null;
  const [, file, line, column, mutant] = m as unknown as [string, string, string, string, string];
  const at = Number(line);
  const rule = rules.find(
    (r) =>
      r.file === file &&
      at >= r.lines[0] &&
      at <= r.lines[1] &&
      (r.column === undefined || r.column === Number(column)) &&
      (r.mutant === undefined || r.mutant.test(mutant)),
  );
  return rule === undefined ? null : { kind: rule.kind, why: rule.why };
}
