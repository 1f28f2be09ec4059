/**
 * What is mutated and what tests it: each folder (or file) of kernels/ with the `attnfuzz check`
 * runs that reach it, in the order they run, and the grid each is compared with.
 *
 *   target   files                  attnfuzz check (each --seed S --runs N)          grid
 *   eager    kernels/eager/*.ts     --suite attention --kernel eager                 attention
 *                                   --suite training  --kernel eager                 -
 *   flash    kernels/flash/*.ts     --suite attention --kernel flash                 attention
 *                                   --suite decode    --kernel flash                 decode
 *                                   --suite training  --kernel flash                 -
 *   sdpa     kernels/sdpa/*.ts      --suite attention --kernel sdpa                  attention
 *                                   --suite training  --kernel sdpa                  -
 *   lora     kernels/lora.ts        --suite lora --kernel lora, then lora-merged     -
 *   common   kernels/common/*.ts    every attention and decode check above           as above
 *
 * A mutant is tested by the checks that reach it (its code ran in the unmutated run of that check:
 * Stryker's coverage, per check), in this order, until one fails; the grid likewise. The training
 * suite (the kernel as a transformers model's attention, where kernels/<k>/transformers.ts and
 * flash's varlen.ts live) and LoRA have no grid: flash-attention's test grid calls the attention
 * function alone, so mutants only those suites reach count as not reached by the grid.
 */
import type { GridKind } from './grid.js';

export type CheckSuite = 'attention' | 'decode' | 'training' | 'lora';

export interface CheckSpec {
  readonly suite: CheckSuite;
  readonly kernel: string;
  /** The grid run with the same budget beside this check, or null when the suite has none. */
  readonly grid: GridKind | null;
}

export const TARGET_NAMES = ['eager', 'flash', 'sdpa', 'lora', 'common'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  readonly name: TargetName;
  /** Files mutated: a folder's .ts files (tests and index.ts files left out) or one file. */
  readonly path: string;
  readonly checks: readonly CheckSpec[];
}

const attention = (kernel: string): CheckSpec => ({ suite: 'attention', kernel, grid: 'attention' });
const training = (kernel: string): CheckSpec => ({ suite: 'training', kernel, grid: null });
const decodeFlash: CheckSpec = { suite: 'decode', kernel: 'flash', grid: 'decode' };

export const TARGETS: Readonly<Record<TargetName, Target>> = {
  eager: { name: 'eager', path: 'kernels/eager', checks: [attention('eager'), training('eager')] },
  flash: { name: 'flash', path: 'kernels/flash', checks: [attention('flash'), decodeFlash, training('flash')] },
  sdpa: { name: 'sdpa', path: 'kernels/sdpa', checks: [attention('sdpa'), training('sdpa')] },
  lora: {
    name: 'lora',
    path: 'kernels/lora.ts',
    checks: [
      { suite: 'lora', kernel: 'lora', grid: null },
      { suite: 'lora', kernel: 'lora-merged', grid: null },
    ],
  },
  common: {
    name: 'common',
    path: 'kernels/common',
    checks: [attention('flash'), attention('eager'), attention('sdpa'), decodeFlash],
  },
};

/** `attention/flash`: how a check is named in records and reports. */
export function checkId(c: CheckSpec): string {
  return `${c.suite}/${c.kernel}`;
}

/** The target a kernel file belongs to (`kernels/flash/forward.ts` -> flash), by its path from the repository root. */
export function targetOfFile(file: string): Target {
  const rel = repoPath(file);
  const t = Object.values(TARGETS).find((x) => rel === x.path || rel.startsWith(`${x.path}/`));
  if (t === undefined) throw new Error(`mutation: ${rel}: not under a target (${TARGET_NAMES.join(', ')})`);
  return t;
}

/** The path from the repository root of a kernel file given absolute (the sandbox's or the worktree's) or relative. */
export function repoPath(file: string): string {
  const at = file.replaceAll('\\', '/').lastIndexOf('kernels/');
  return at >= 0 ? file.replaceAll('\\', '/').slice(at) : file;
}

/** The checks of several files, each once, in target order. */
export function checksOfFiles(files: readonly string[]): CheckSpec[] {
  const out = new Map<string, CheckSpec>();
  for (const f of files) for (const c of targetOfFile(f).checks) out.set(checkId(c), c);
  return [...out.values()];
}
