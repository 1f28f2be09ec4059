/**
 * The kernel x suite pairs a campaign runs, from `--kernels` and `--suites`, in that order
 * (suites outer, kernels inner): each built-in in the suites it runs in (registry.ts), each
 * module in the suites of its kind (an attention kernel: attention and training, and decode when
 * it has a decode field; a LoRA kernel: lora; a decode kernel: decode). A module is loaded here
 * once to learn its kind (and to fail early, exit 2, when it cannot load); the workers load it
 * again, each its own copy.
 */
import {
  BUILTIN_KERNELS,
  BUILTINS,
  isBuiltinKernel,
  KernelLoadError,
  loadKernelModule,
  type ResolveOptions,
  SUITES,
  type SuiteName,
  suitesOfKernel,
  targetOf,
} from '../runner/index.js';
import type { Target } from './stream.js';

export const DEFAULT_KERNELS: readonly string[] = BUILTIN_KERNELS;
export const DEFAULT_SUITES: readonly SuiteName[] = SUITES;

export interface Targets {
  readonly targets: Target[];
  /** Kernels that run in none of the suites asked for (reported, not an error unless nothing runs). */
  readonly unused: string[];
}

export async function resolveTargets(
  kernels: readonly string[] = DEFAULT_KERNELS,
  suites: readonly SuiteName[] = DEFAULT_SUITES,
  cwd = process.cwd(),
  o: ResolveOptions = {},
): Promise<Targets> {
  const suitesOf = new Map<string, readonly SuiteName[]>();
  for (const k of kernels) {
    if (isBuiltinKernel(k))
      suitesOf.set(
        k,
        SUITES.filter((s) => BUILTINS[k][s] !== undefined),
      );
    else if (targetOf(k) !== null) suitesOf.set(k, await targetSuites(k, cwd, o));
    else suitesOf.set(k, suitesOfKernel(await loadKernelModule(k, cwd, '--kernels', 'any')));
  }
  const targets: Target[] = [];
  for (const suite of suites)
    for (const kernel of kernels) if (suitesOf.get(kernel)!.includes(suite)) targets.push({ kernel, suite });
  return { targets, unused: kernels.filter((k) => !targets.some((t) => t.kernel === k)) };
}

/** The suites of a target (torch:sdpa, exec:...): started once to read what it runs (a worker's hello), then closed. */
async function targetSuites(spec: string, cwd: string, o: ResolveOptions): Promise<SuiteName[]> {
  const t = targetOf(spec)!;
  let host: Awaited<ReturnType<typeof t.target.create>>;
  try {
    host = await t.target.create(t.rest, { ...o, cwd });
  } catch (e) {
    throw new KernelLoadError(`--kernels ${spec}: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
  }
  try {
    return suitesOfKernel(host);
  } finally {
    await host.close?.();
  }
}
