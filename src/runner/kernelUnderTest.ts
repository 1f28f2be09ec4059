/**
 * The kernel under test of a check: a built-in by name (from registry.ts) or a kernel object (a user
 * module once loaded by loadKernel.ts, a library user's object), in the role its suite needs: an
 * attention kernel (attention cases; also the attention of the training suite's model, dispatched like
 * sdpa), a LoRA kernel (lora cases) or a KV-cache decode kernel (decode cases).
 */
import type { AttentionCase } from '../case/index.js';
import type { AttentionKernel, DecodeKernel, LoraKernel, Tiles } from '../contract/index.js';
import type { AttentionImplementation } from '../training/index.js';
import { BUILTINS, type BuiltinKernelName } from './registry.js';
import type { SuiteName } from './suites/kinds.js';

/**
 * How a saved case names its kernel: a built-in or the path of a module, and `forwardOnly` when it
 * was checked forward only (`check --forward-only`), so that a replay checks it the same way.
 */
export type KernelRef = ({ readonly builtin: BuiltinKernelName } | { readonly module: string }) & {
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
  readonly attention?: (c?: AttentionCase) => AttentionKernel;
  /** The model's attention in a training case. */
  readonly training?: AttentionImplementation;
  readonly lora?: LoraKernel;
  /** KV-cache decode: a contiguous or paged cache, forward only. */
  readonly decode?: DecodeKernel;
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
 * A kernel object under test as is (tests, library users, and user modules once loaded): a LoRA
 * kernel for the lora suite; else an attention kernel, a decode kernel, or both in one object (an
 * attention kernel with a `decode` field), in every role it has.
 */
export function fixedKernel(
  kernel: AttentionKernel | LoraKernel | DecodeKernel,
  suite: SuiteName = 'attention',
  ref: KernelRef = { module: kernel.name },
  label = kernel.name,
): KernelUnderTest {
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

/**
 * The suites a kernel object runs in: a LoRA kernel lora; a decode kernel decode; an attention
 * kernel attention and training, and decode too when it has a decode field.
 */
export function suitesOfKernel(kernel: AttentionKernel | LoraKernel | DecodeKernel): SuiteName[] {
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
    attention: (c?: AttentionCase) => ({ ...attention(c), backward: false }),
  };
}
