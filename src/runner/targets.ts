/**
 * The targets: `--kernel <prefix>:<rest>` for code nobody here wrote (ONNX Runtime's ops, PyTorch)
 * or code that runs in another process (a Python module, any program speaking docs/PROTOCOL.md),
 * each made into a host kernel (src/contract/hostKernel.ts). The one file of src that imports
 * targets/; registry.ts (the built-in tfjs kernels) stays free of Node-only code, since a browser
 * page bundles it.
 *
 *   prefix   runs                                                       adapter
 *   ort:     ONNX Runtime's Attention, MultiHeadAttention, GQA          targets/ort (onnxruntime-node)
 *   torch:   F.scaled_dot_product_attention, nn.MultiheadAttention, ... src/execute/worker + targets/torch
 *   py:      a Python module's forward(q, k, v, opts)                   the same PyTorch worker
 *   exec:    any program speaking the worker protocol                  src/execute/worker
 */
import { ORT_TARGET_DESCRIBE, ortTarget } from '../../targets/ort/index.js';
import type { HostKernel } from '../contract/index.js';
import { execTarget, type PythonTargetOptions, pyTarget, torchTarget } from '../execute/index.js';

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
