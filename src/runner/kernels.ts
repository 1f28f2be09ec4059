/**
 * Which kernel a check runs: a built-in by name ('eager', 'sdpa', 'flash', resolved to the
 * registry, flash with the case's own block sizes) or a user module (see `loadKernel.ts`).
 * `forCase` gives the kernel to run on a given case; only flash's depends on the case.
 */
import type { AttentionCase } from '../case/index.js';
import type { AttentionKernel } from '../kernel/index.js';
import { eagerKernel } from '../../kernels/eager/index.js';
import { sdpaKernel } from '../../kernels/sdpa/index.js';
import { flashKernelWith } from '../../kernels/flash/index.js';

export const BUILTIN_KERNELS = ['eager', 'sdpa', 'flash'] as const;
export type BuiltinKernelName = (typeof BUILTIN_KERNELS)[number];

/** How a saved failure names its kernel: a built-in or the path of a module. */
export type KernelRef = { readonly builtin: BuiltinKernelName } | { readonly module: string };

export interface KernelUnderTest {
  /** For reports: 'flash', or the module path as the user wrote it. */
  readonly label: string;
  readonly ref: KernelRef;
  forCase(c: AttentionCase): AttentionKernel;
}

export function isBuiltinKernel(name: string): name is BuiltinKernelName {
  return (BUILTIN_KERNELS as readonly string[]).includes(name);
}

export function builtinKernel(name: BuiltinKernelName): KernelUnderTest {
  const ref = { builtin: name };
  switch (name) {
    case 'eager':
      return { label: name, ref, forCase: () => eagerKernel };
    case 'sdpa':
      return { label: name, ref, forCase: () => sdpaKernel };
    case 'flash':
      return { label: name, ref, forCase: (c) => flashKernelWith(c.blocks) };
  }
}

/** A kernel object under test as is (tests, and user modules once loaded). */
export function fixedKernel(kernel: AttentionKernel, ref: KernelRef = { module: kernel.name }, label = kernel.name): KernelUnderTest {
  return { label, ref, forCase: () => kernel };
}

/**
 * The same-precision baseline a kernel's error is measured against (see src/oracle/tolerance.ts):
 * eager, except for eager itself, which cannot be its own yardstick and is measured against sdpa.
 */
export function baselineFor(k: KernelUnderTest): AttentionKernel {
  return 'builtin' in k.ref && k.ref.builtin === 'eager' ? sdpaKernel : eagerKernel;
}
