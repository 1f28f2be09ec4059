/**
 * The kernel under test of a check: a built-in by name (from registry.ts), a named target (a host
 * kernel for code nobody here wrote: `ort:attention`, `torch:sdpa`, a worker command `exec:...`), or
 * a kernel object (a user module once loaded by loadKernel.ts, a library user's object), in the role
 * its suite needs: an attention kernel (attention cases; a tfjs one is also the attention of the
 * training suite's model, dispatched like sdpa), a LoRA kernel (lora cases) or a KV-cache decode
 * kernel (decode cases). Each role is a tfjs kernel or a host kernel (src/contract/hostKernel.ts).
 */
import type { AttentionCase } from '../case/index.js';
import {
  type AttentionKernel,
  type DecodeKernel,
  type HostKernel,
  isHostKernel,
  type LoraKernel,
  type Tiles,
} from '../contract/index.js';
import type { AttentionImplementation } from '../training/index.js';
import { BUILTINS, type BuiltinKernelName } from './registry.js';
import type { SuiteName } from './suites/kinds.js';

/**
 * How a saved case names its kernel: a built-in, the path of a module, or a target spec as the user
 * wrote it (`ort:gqa`, `torch:sdpa`, `py:k.py`, `exec:python3 w.py`), and `forwardOnly` when it was
 * checked forward only (`check --forward-only`), so that a replay checks it the same way.
 */
export type KernelRef = (
  | { readonly builtin: BuiltinKernelName }
  | { readonly module: string }
  | { readonly target: string }
) & {
  readonly forwardOnly?: true;
};

export interface KernelUnderTest {
  /** For reports: 'flash', or the module path as the user wrote it. */
  readonly label: string;
  readonly ref: KernelRef;
  /**
   * The contract kernel to run on an attention case (flash's depends on the case's tiles; without a case, its
   * defaults).
   */
  readonly attention?: (c?: AttentionCase) => AttentionKernel | HostKernel;
  /** The model's attention in a training case (a tfjs kernel: the model is differentiated by tfjs). */
  readonly training?: AttentionImplementation;
  readonly lora?: LoraKernel | HostKernel;
  /** KV-cache decode: a contiguous or paged cache, forward only. */
  readonly decode?: DecodeKernel | HostKernel;
  /** Where it runs, when not in this process's tfjs (a host kernel's `device`). */
  readonly device?: string;
  /** Releases what the kernel holds (a worker process, a page, sessions); call once when done. */
  readonly close?: () => Promise<void>;
  /**
   * The tiles it runs an attention case in: ones it declares, or 'case' (the case's blocks, built-in flash); absent
   * when it does not say.
   */
  readonly tiles?: Tiles | 'case';
}

/** A kernel that could not be loaded or does not fit its suite; one line: where, rule, received. */
export class KernelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelLoadError';
  }
}

export function builtinKernel(name: BuiltinKernelName): KernelUnderTest {
  const b = BUILTINS[name];
  return {
    label: name,
    ref: { builtin: name },
    ...(b.attention
      ? { attention: (c?: AttentionCase) => b.attention!(name === 'flash' ? c?.blocks : undefined) }
      : {}),
    ...(b.training ? { training: { name, attention: b.training } } : {}),
    ...(b.lora ? { lora: b.lora } : {}),
    ...(b.decode ? { decode: b.decode } : {}),
    ...(name === 'flash' ? { tiles: 'case' as const } : {}),
  };
}

/**
 * A kernel object under test as is (tests, library users, and user modules once loaded), in the
 * role `suite` asks for: a LoRA kernel for the lora suite; else an attention kernel, a decode kernel,
 * or both in one object (an attention kernel with a `decode` field), in every role it has. A host
 * kernel takes each role it has a method for (run, decode, lora), never training.
 */
export function fixedKernel(
  kernel: AttentionKernel | LoraKernel | DecodeKernel | HostKernel,
  suite: SuiteName = 'attention',
  ref: KernelRef = { module: kernel.name },
  label = kernel.name,
): KernelUnderTest {
  if (isHostKernel(kernel)) return hostKernelUnderTest(kernel, ref, label);
  if (suite === 'lora') return { label, ref, lora: kernel as LoraKernel };
  const decode =
    typeof (kernel as Partial<DecodeKernel>).decode === 'function' ? { decode: kernel as DecodeKernel } : {};
  if (typeof (kernel as Partial<AttentionKernel>).forward !== 'function') return { label, ref, ...decode };
  const k = kernel as AttentionKernel;
  return {
    label,
    ref,
    attention: () => k,
    training: k,
    ...(k.tiles !== undefined ? { tiles: k.tiles } : {}),
    ...decode,
  };
}

/** A host kernel in every role it has a method for; `close` releases it once. */
export function hostKernelUnderTest(k: HostKernel, ref: KernelRef, label = k.name): KernelUnderTest {
  let closing: Promise<void> | null = null;
  return {
    label,
    ref,
    ...(typeof k.run === 'function' ? { attention: () => k } : {}),
    ...(typeof k.lora === 'function' ? { lora: k } : {}),
    ...(typeof k.decode === 'function' ? { decode: k } : {}),
    ...(k.tiles !== undefined ? { tiles: k.tiles } : {}),
    ...(k.device !== undefined ? { device: k.device } : {}),
    close: () => {
      closing ??= Promise.resolve(k.close?.());
      return closing;
    },
  };
}

/**
 * The suites a kernel object runs in: a LoRA kernel lora; a decode kernel decode; an attention
 * kernel attention and training, and decode too when it has a decode field; a host kernel the
 * suites of its methods (run: attention, decode, lora).
 */
export function suitesOfKernel(kernel: AttentionKernel | LoraKernel | DecodeKernel | HostKernel): SuiteName[] {
  if (isHostKernel(kernel)) {
    const has = (m: 'run' | 'decode' | 'lora') => typeof kernel[m] === 'function';
    return [
      ...(has('run') ? ['attention' as const] : []),
      ...(has('decode') ? ['decode' as const] : []),
      ...(has('lora') ? ['lora' as const] : []),
    ];
  }
  const k = kernel as { kind?: unknown; forward?: unknown; decode?: unknown };
  if (k.kind === 'lora') return ['lora'];
  const decode: SuiteName[] = typeof k.decode === 'function' ? ['decode'] : [];
  return typeof k.forward === 'function' ? ['attention', 'training', ...decode] : decode;
}

/**
 * The kernel checked forward only (`check --forward-only`): the attention kernel as if it declared
 * `backward: false`. A missing gradient is otherwise a 'threw' verdict. Its ref says so, so a case
 * saved from it replays forward only too.
 */
export function forwardOnly(k: KernelUnderTest): KernelUnderTest {
  if (!k.attention) return k;
  const attention = k.attention;
  return {
    ...k,
    ref: { ...k.ref, forwardOnly: true },
    // Delegating through the prototype keeps a class-based kernel's methods (a spread would drop them).
    attention: (c?: AttentionCase) => Object.assign(Object.create(attention(c)), { backward: false }),
  };
}
