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
import { ORT_TARGET_DESCRIBE, ortTarget } from '../../targets/ort/index.js';
import type { AttentionFunction, AttentionKernel, DecodeKernel, HostKernel, LoraKernel } from '../contract/index.js';
import { execTarget, type PythonTargetOptions, pyTarget, torchTarget } from '../execute/index.js';

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

/** What a target gets from the command line, whatever the target (each reads the fields it knows). */
export interface TargetOptions {
  /** The folder relative paths in the spec are resolved against. */
  readonly cwd: string;
  /** `--device`: where the code runs (`cpu`, `cuda`, `cuda:1`; ONNX Runtime's execution provider for ort:*). */
  readonly device?: string;
  /** `--python` / ATTNFUZZ_PYTHON: the interpreter of Python targets. */
  readonly python?: string;
  /** Milliseconds one call may take before an out-of-process target gives up on it (and restarts). */
  readonly timeoutMs?: number;
}

/**
 * A named target: a prefix of `--kernel` (`ort:attention`, `torch:sdpa`, `exec:<command>`,
 * `py:<file.py>`) whose rest names the code to run, made into a host kernel (hostKernel.ts) by an
 * adapter under targets/ or an executor under src/execute. Each adapter documents its mapping of
 * the contract in docs/targets/.
 */
export interface Target {
  /** One line for help and errors: what the prefix runs, and the form of its spec. */
  readonly describe: string;
  /**
   * true when the spec is a command or code the user wrote (exec:, py:): a saved case naming it is
   * replayed only when the user names that kernel on the command line or passes --trust.
   */
  readonly runsUserCode: boolean;
  /** The host kernel for the spec's rest (after `prefix:`); throws a one-line error naming what is missing. */
  create(rest: string, o: TargetOptions): Promise<HostKernel>;
}

/** Every target prefix: the one table `--kernel <prefix>:<rest>` resolves through. */
export const TARGETS: Readonly<Record<string, Target>> = {
  torch: {
    describe: 'torch:<sdpa|sdpa:math|sdpa:flash|sdpa:efficient|sdpa:cudnn|mha|eager|transformers:eager|...>: PyTorch',
    runsUserCode: false,
    create: (rest, o) => torchTarget(rest, workerOptions(o)),
  },
  py: {
    describe: 'py:<file.py>: a Python module defining forward(q, k, v, opts), run by the PyTorch worker',
    runsUserCode: true,
    create: (rest, o) => pyTarget(rest, workerOptions(o)),
  },
  ort: { describe: ORT_TARGET_DESCRIBE, runsUserCode: false, create: (rest, o) => ortTarget(rest, o) },
  exec: {
    describe: "exec:'<command line>': a program speaking the worker protocol (docs/PROTOCOL.md)",
    runsUserCode: true,
    create: (rest, o) =>
      execTarget(rest, { cwd: o.cwd, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) }),
  },
};

function workerOptions(o: TargetOptions): PythonTargetOptions {
  return {
    cwd: o.cwd,
    ...(o.device !== undefined ? { device: o.device } : {}),
    ...(o.python !== undefined ? { python: o.python } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  };
}

/** The target a spec names (`prefix:rest` with a known prefix), or null for a built-in or a module path. */
export function targetOf(
  spec: string,
): { readonly prefix: string; readonly rest: string; readonly target: Target } | null {
  const m = /^([a-z][a-z0-9-]*):(.*)$/s.exec(spec);
  const target = m ? TARGETS[m[1]!] : undefined;
  return m && target ? { prefix: m[1]!, rest: m[2]!, target } : null;
}
