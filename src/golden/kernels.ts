/**
 * The implementations a golden file can be run through, by the names `--kernels` takes:
 *
 *   name          kind          implementation                              bound (maxRelError)
 *   reference     attention     referenceAttention (float64, plain loops)   1e-10
 *   reference     lora-linear   referenceLora (float64)                     1e-10
 *   eager/sdpa/   attention     eagerKernel / sdpaKernel / flashKernel      FLOAT32_REL_BOUND
 *   flash                       from the registry kernels/index.ts, float32 tfjs
 *   lora          lora-linear   loraUnmerged (registry, float32 tfjs)       FLOAT32_REL_BOUND
 *   lora-merged   lora-linear   loraMerged (registry, float32 tfjs)         FLOAT32_REL_BOUND
 *
 * The tfjs kernels are looked up in the registry's exports by name rather than imported one by
 * one, so a kernel is checked against the goldens as soon as the registry exports it.
 */
import { FLOAT32_REL_BOUND } from '../contract/index.js';
import type {
  AttentionInputs,
  AttentionOptions,
  AttentionResult,
  LoraInputs,
  LoraResult,
  LoraSpec,
} from '../contract/index.js';
import {
  runAttentionKernel,
  runLoraKernel,
  type AttentionKernel,
  type LoraKernel,
  type SupportQuery,
} from '../kernel/index.js';
import * as registry from '../../kernels/index.js';
import { referenceAttention, referenceLora } from '../../kernels/reference/index.js';
import type { GoldenKind } from './format.js';

/** The float64 reference against float64 PyTorch: only summation order differs. */
export const REFERENCE_REL_BOUND = 1e-10;

/** One implementation that runs one kind of golden file. */
export type GoldenRunner =
  | {
      readonly name: string;
      readonly kind: 'attention';
      readonly bound: number;
      /** true, or why the implementation declines these options (the file is then skipped). */
      supports(opts: AttentionOptions, inputs: AttentionInputs): true | string;
      run(inputs: AttentionInputs, opts: AttentionOptions): AttentionResult;
    }
  | {
      readonly name: string;
      readonly kind: 'lora-linear';
      readonly bound: number;
      run(inputs: LoraInputs, spec: LoraSpec): LoraResult;
    };

/** Every name `--kernels` accepts, whether or not its implementation is built yet. */
export const GOLDEN_KERNEL_NAMES = ['reference', 'eager', 'sdpa', 'flash', 'lora', 'lora-merged'] as const;

/** Where each tfjs implementation lives in the registry. */
const REGISTRY_EXPORTS: ReadonlyArray<{ name: string; kind: GoldenKind; exportName: string }> = [
  { name: 'eager', kind: 'attention', exportName: 'eagerKernel' },
  { name: 'sdpa', kind: 'attention', exportName: 'sdpaKernel' },
  { name: 'flash', kind: 'attention', exportName: 'flashKernel' },
  { name: 'lora', kind: 'lora-linear', exportName: 'loraUnmerged' },
  { name: 'lora-merged', kind: 'lora-linear', exportName: 'loraMerged' },
];

function tfjsAttention(name: string, kernel: AttentionKernel): GoldenRunner {
  return {
    name,
    kind: 'attention',
    bound: FLOAT32_REL_BOUND,
    supports(opts, inputs) {
      if (!kernel.supports) return true;
      const [B, Hq, Sq, D] = inputs.q.shape as [number, number, number, number];
      const [, Hkv, Sk, Dv] = inputs.v.shape as [number, number, number, number];
      const query: SupportQuery = { ...opts, mask: opts.mask && { shape: opts.mask.shape } };
      return kernel.supports(query, { B, Hq, Hkv, Sq, Sk, D, Dv });
    },
    run: (inputs, opts) => runAttentionKernel(kernel, inputs, opts),
  };
}

function tfjsLora(name: string, kernel: LoraKernel): GoldenRunner {
  return { name, kind: 'lora-linear', bound: FLOAT32_REL_BOUND, run: (inputs, spec) => runLoraKernel(kernel, inputs, spec) };
}

/**
 * The runners available in this build, one per (name, kind). `exportsOf` is the registry's
 * namespace (a parameter so tests can pass a stand-in).
 */
export function goldenRunners(exportsOf: Readonly<Record<string, unknown>> = registry): GoldenRunner[] {
  const runners: GoldenRunner[] = [
    { name: 'reference', kind: 'attention', bound: REFERENCE_REL_BOUND, supports: () => true, run: referenceAttention },
    { name: 'reference', kind: 'lora-linear', bound: REFERENCE_REL_BOUND, run: referenceLora },
  ];
  for (const { name, kind, exportName } of REGISTRY_EXPORTS) {
    const k = exportsOf[exportName] as { forward?: unknown } | undefined;
    if (typeof k?.forward !== 'function') continue;
    runners.push(kind === 'attention' ? tfjsAttention(name, k as AttentionKernel) : tfjsLora(name, k as LoraKernel));
  }
  return runners;
}
