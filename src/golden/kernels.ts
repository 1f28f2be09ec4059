/**
 * The implementations a golden file can be run through, by the names `--kernels` takes:
 *
 *   name          kind          implementation                              bound (maxRelError)
 *   reference     attention     referenceAttention (float64, plain loops)   1e-10
 *   reference     lora-linear   referenceLora (float64)                     1e-10
 *   eager/sdpa/   attention     the registry's contract kernels, tfjs       FLOAT32_REL_BOUND
 *   flash                       float32 (src/runner/registry.ts)
 *   lora,         lora-linear   the registry's LoRA kernels                 FLOAT32_REL_BOUND
 *   lora-merged
 *   <module>      attention,    a user's kernel module (default export), as `check --kernel`
 *                 lora-linear   loads it: an attention kernel (a decode field runs decode files
 *                 or decode     too), a LoRA kernel, or a decode kernel (defineDecodeKernel)
 *   reference     decode        referenceDecode (float64)                   1e-10
 *   flash         decode        the registry's decode entry point           FLOAT32_REL_BOUND
 *                               (flashDecodeKernel), tfjs float32
 *
 * Every built-in of the registry is a runner: a kernel cannot silently drop out of the goldens.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import {
  type AttentionInputs,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionResult,
  type DecodeKernel,
  type DecodeOptions,
  FLOAT32_REL_BOUND,
  type HostKernel,
  type HostTensor,
  hasEmptyRow,
  isHostKernel,
  type LoraInputs,
  type LoraKernel,
  type LoraResult,
  type LoraSpec,
  missingFeatures,
  type SupportQuery,
} from '../contract/index.js';
import {
  forwardOnlyAsync,
  runAttentionKernel,
  runDecodeKernel,
  runHostAttention,
  runHostDecode,
  runHostLora,
  runLoraKernel,
} from '../execute/index.js';
import { referenceAttention, referenceDecode, referenceLora } from '../reference/index.js';
import { BUILTIN_KERNELS, builtinKernel, type KernelUnderTest } from '../runner/index.js';
import type { DecodeInputs } from './goldenFile.js';

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
      /** Its result; without the gradients for a forward-only runner. */
      run(inputs: AttentionInputs, opts: AttentionOptions): AttentionResult | Promise<Partial<AttentionResult>>;
      /** An inference kernel (`backward: false`): judged on out (and lse) only. */
      readonly forwardOnly?: boolean;
    }
  | {
      readonly name: string;
      readonly kind: 'lora-linear';
      readonly bound: number;
      run(inputs: LoraInputs, spec: LoraSpec): LoraResult | Promise<LoraResult>;
    }
  | {
      readonly name: string;
      readonly kind: 'decode';
      readonly bound: number;
      /** out [B, Hq, Sq, Dv]. */
      run(inputs: DecodeInputs, opts: DecodeOptions): Promise<HostTensor> | HostTensor;
    };

/** Every built-in name `--kernels` accepts (besides module paths). */
export const GOLDEN_KERNEL_NAMES: readonly string[] = ['reference', ...BUILTIN_KERNELS];

export function attentionRunner(name: string, kernel: AttentionKernel | HostKernel): GoldenRunner {
  const forwardOnly = kernel.backward === false;
  return {
    name,
    kind: 'attention',
    bound: FLOAT32_REL_BOUND,
    supports(opts, inputs) {
      const precisions = isHostKernel(kernel) ? kernel.precisions : undefined;
      if (precisions !== undefined && !precisions.includes(opts.precision))
        return `computes in ${precisions.join(', ')} only`;
      const missing = missingFeatures(opts, kernel.features);
      if (missing.length > 0) return `does not declare features ${missing.join(', ')}`;
      if (!kernel.supports) return true;
      const [B, Hq, Sq, D] = inputs.q.shape as [number, number, number, number];
      const [, Hkv, Sk, Dv] = inputs.v.shape as [number, number, number, number];
      const query: SupportQuery = {
        ...opts,
        mask: opts.mask && { shape: opts.mask.shape },
        emptyRows: hasEmptyRow(opts, { B, Hq, Sq, Sk }),
      };
      return kernel.supports(query, { B, Hq, Hkv, Sq, Sk, D, Dv });
    },
    run: async (inputs, opts) => {
      if (!isHostKernel(kernel) && !forwardOnly) return runAttentionKernel(kernel, inputs, opts);
      const layout = {
        buffers: [inputs.q, inputs.k, inputs.v],
        views: (t: readonly Tensor[]) => t.slice(0, 3) as [Tensor4D, Tensor4D, Tensor4D],
      };
      const r = isHostKernel(kernel)
        ? await runHostAttention(kernel, inputs, opts, { backward: !forwardOnly })
        : await forwardOnlyAsync(kernel, layout, opts);
      return { out: r.out, ...(r.lse !== null ? { lse: r.lse } : {}), ...(r.grads ?? {}) };
    },
    ...(forwardOnly ? { forwardOnly } : {}),
  };
}

export function loraRunner(name: string, kernel: LoraKernel | HostKernel): GoldenRunner {
  return {
    name,
    kind: 'lora-linear',
    bound: FLOAT32_REL_BOUND,
    run: (inputs, spec) =>
      isHostKernel(kernel) ? runHostLora(kernel, inputs, spec) : runLoraKernel(kernel, inputs, spec),
  };
}

/** A decode kernel on a decode golden's inputs, in the precision the options say (the file's: float32). */
export function decodeRunner(name: string, kernel: DecodeKernel | HostKernel, bound = FLOAT32_REL_BOUND): GoldenRunner {
  return {
    name,
    kind: 'decode',
    bound,
    run: (i, opts) =>
      isHostKernel(kernel)
        ? runHostDecode(kernel, i.q, i.cache, i.cacheSeqlens, opts)
        : runDecodeKernel(kernel, i.q, i.cache, i.cacheSeqlens, opts),
  };
}

/** The runners of a kernel under test (a user module or a built-in), one per kind it implements. */
export function runnersOf(k: KernelUnderTest): GoldenRunner[] {
  const out: GoldenRunner[] = [];
  // Golden files carry their own options; flash runs with its default tiles.
  if (k.attention) out.push(attentionRunner(k.label, k.attention()));
  if (k.lora) out.push(loraRunner(k.label, k.lora));
  if (k.decode) out.push(decodeRunner(k.label, k.decode));
  return out;
}

/** The float64 references and every built-in of the registry, one runner per (name, kind). */
export function goldenRunners(): GoldenRunner[] {
  return [
    { name: 'reference', kind: 'attention', bound: REFERENCE_REL_BOUND, supports: () => true, run: referenceAttention },
    { name: 'reference', kind: 'lora-linear', bound: REFERENCE_REL_BOUND, run: referenceLora },
    {
      name: 'reference',
      kind: 'decode',
      bound: REFERENCE_REL_BOUND,
      run: (i, opts) => referenceDecode(i.q, i.cache, i.cacheSeqlens, opts),
    },
    ...BUILTIN_KERNELS.flatMap((name) => runnersOf(builtinKernel(name))),
  ];
}
