/**
 * The built-in kernels: the one file of the harness that imports kernels/ (the implementations
 * under test), and the one list of their names. Each entry says which suites it runs in and how:
 *
 *   name         attention (contract adapter)        training (transformers path)   lora           decode
 *   eager        eagerKernel                         eagerAttentionFunction          -              -
 *   sdpa         sdpaKernel                          sdpaAttentionFunction           -              -
 *   flash        flashKernelWith(case's Br, Bc)      flashAttentionFunction          -              flashDecodeKernel
 *   lora         -                                   -                               loraUnmerged   -
 *   lora-merged  -                                   -                               loraMerged     -
 *
 * The training suite's model uses the unmerged LoRA kernel for its adapters.
 */
import { eagerAttentionFunction, eagerKernel } from '../../kernels/eager/index.js';
import { flashAttentionFunction, flashDecodeKernel, flashKernel, flashKernelWith } from '../../kernels/flash/index.js';
import { loraMerged, loraUnmerged } from '../../kernels/lora.js';
import { sdpaAttentionFunction, sdpaKernel } from '../../kernels/sdpa/index.js';
import type { AttentionFunction, AttentionKernel, DecodeKernel, LoraKernel } from '../contract/index.js';

/** The built-in kernels as objects, for library users (`check` reaches them by name). */
/** The KV-cache decode entry point (contiguous or paged cache). */
export { eagerKernel, flashDecodeKernel, flashKernel, flashKernelWith, loraMerged, loraUnmerged, sdpaKernel };

export const BUILTIN_KERNELS = ['eager', 'sdpa', 'flash', 'lora', 'lora-merged'] as const;
export type BuiltinKernelName = (typeof BUILTIN_KERNELS)[number];

/** What one built-in kernel provides. */
export interface BuiltinKernel {
  readonly name: BuiltinKernelName;
  /** The contract kernel for attention cases; flash's takes the case's tile sizes. */
  readonly attention?: (blocks?: { readonly Br: number; readonly Bc: number }) => AttentionKernel;
  /** Its transformers-style path as the attention of the training suite's model. */
  readonly training?: AttentionFunction;
  readonly lora?: LoraKernel;
  /** KV-cache decode (flash_attn_with_kvcache: a contiguous or paged cache, forward only). */
  readonly decode?: DecodeKernel;
}

export const BUILTINS: Readonly<Record<BuiltinKernelName, BuiltinKernel>> = {
  eager: { name: 'eager', attention: () => eagerKernel, training: eagerAttentionFunction },
  sdpa: { name: 'sdpa', attention: () => sdpaKernel, training: sdpaAttentionFunction },
  flash: {
    name: 'flash',
    attention: (blocks) => (blocks ? flashKernelWith(blocks) : flashKernel),
    training: flashAttentionFunction,
    decode: flashDecodeKernel,
  },
  lora: { name: 'lora', lora: loraUnmerged },
  'lora-merged': { name: 'lora-merged', lora: loraMerged },
};

export function isBuiltinKernel(name: string): name is BuiltinKernelName {
  return (BUILTIN_KERNELS as readonly string[]).includes(name);
}

/** The built-ins that run in a suite, in list order. */
export function builtinsFor(suite: 'attention' | 'training' | 'lora' | 'decode'): BuiltinKernelName[] {
  return BUILTIN_KERNELS.filter((n) => BUILTINS[n][suite] !== undefined);
}
