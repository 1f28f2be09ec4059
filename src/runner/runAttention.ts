/**
 * Runs one attention kernel on one materialised case, through its executor (src/execute):
 *
 *   tfjs kernel   forward, then the gradients of sum(out ∘ dOut) by tfjs autodiff with respect to the
 *                 uploaded buffers of the case's layout, on the active backend (tfjs.ts); a
 *                 forward-only run may await the kernel (tfjsAsync.ts)
 *   host kernel   float32 arrays in the contract layout, awaited (host.ts): ONNX Runtime, a worker
 *                 process, a browser page; the case's layout is a tfjs view and does not apply
 *
 * Everything comes back as float64 and every tensor made here is disposed.
 *
 * The outcome says whether the kernel ran (forward and backward, or forward only for a kernel that
 * declares `backward: false`), threw (and in which phase), or declined the case.
 */

import { DEFAULT_VIEW, type Layout, type StridedView } from '../case/index.js';
import {
  type AttentionInputs,
  type AttentionKernel,
  type AttentionOptions,
  type AttentionResult,
  type AttentionShapes,
  type HostKernel,
  type HostTensor,
  hasEmptyRow,
  isHostKernel,
  missingFeatures,
} from '../contract/index.js';
import {
  declinedReason,
  forwardBackward,
  forwardOnlyAsync,
  type KernelRun,
  runHostAttention,
} from '../execute/index.js';
import { layOut } from './layout.js';
import { messageOf } from './suite.js';

export type AttentionOutcome =
  /** Forward and backward ran; `keep` is the mask a kernel that draws its own dropout returned. */
  | { readonly status: 'ok'; readonly result: AttentionResult; readonly keep: HostTensor | null }
  /** The forward only ran: the kernel declares `backward: false` (or the run was asked forward only). */
  | { readonly status: 'forward-only'; readonly out: HostTensor; readonly keep: HostTensor | null }
  | { readonly status: 'threw'; readonly phase: 'forward' | 'backward'; readonly message: string }
  | { readonly status: 'unsupported'; readonly reason: string };

/** What a run needs: the case's tensors, options and shapes (see src/data `materialiseAttention`). */
export interface Material {
  readonly shapes: AttentionShapes;
  readonly options: AttentionOptions;
  readonly inputs: AttentionInputs;
}

/**
 * Declines a case in a precision a host kernel does not compute in, or with a score option the
 * kernel does not declare in `features`, then asks `supports`, if the kernel has one; a throwing
 * `supports` counts as a forward throw.
 */
export function supportsCase(kernel: AttentionKernel | HostKernel, m: Material): AttentionOutcome | null {
  const precisions = isHostKernel(kernel) ? kernel.precisions : undefined;
  if (precisions !== undefined && !precisions.includes(m.options.precision))
    return { status: 'unsupported', reason: `${kernel.name} computes in ${precisions.join(', ')} only` };
  const missing = missingFeatures(m.options, kernel.features);
  if (missing.length > 0)
    return { status: 'unsupported', reason: `${kernel.name} does not declare features ${missing.join(', ')}` };
  if (!kernel.supports) return null;
  try {
    const { mask, ...rest } = m.options;
    const query = {
      ...rest,
      mask: mask === null ? null : { shape: mask.shape },
      emptyRows: hasEmptyRow(m.options, m.shapes),
    };
    const answer = kernel.supports(query, m.shapes);
    return answer === true ? null : { status: 'unsupported', reason: String(answer) };
  } catch (e) {
    return { status: 'threw', phase: 'forward', message: `supports: ${messageOf(e)}` };
  }
}

/**
 * Forward and backward of `kernel` on `m` (forward only when it declares `backward: false`); a tfjs
 * kernel's q/k/v are made in `layout`.
 */
export async function runAttention(
  kernel: AttentionKernel | HostKernel,
  m: Material,
  layout: Layout = 'BHSD',
  view: StridedView = DEFAULT_VIEW,
): Promise<AttentionOutcome> {
  if (!isHostKernel(kernel) && kernel.backward !== false) return runTfjsAttention(kernel, m, layout, view);
  const declined = supportsCase(kernel, m);
  if (declined) return declined;
  let phase: 'forward' | 'backward' = 'forward';
  const onBackward = () => {
    phase = 'backward';
  };
  try {
    const r = isHostKernel(kernel)
      ? await runHostAttention(kernel, m.inputs, m.options, { backward: kernel.backward !== false, onBackward })
      : await forwardOnlyAsync(kernel, layOut(m.inputs, m.shapes, layout, view), m.options);
    return outcomeOf(r);
  } catch (e) {
    const declined = declinedReason(e); // a worker's supports, asked with the case
    if (declined !== null) return { status: 'unsupported', reason: declined };
    return { status: 'threw', phase, message: messageOf(e) };
  }
}

/**
 * `runAttention` for a tfjs kernel with a backward, synchronously: tfjs autodiff records a
 * synchronous forward (property helpers that drive tfjs kernels call it directly).
 */
export function runTfjsAttention(
  kernel: AttentionKernel,
  m: Material,
  layout: Layout = 'BHSD',
  view: StridedView = DEFAULT_VIEW,
): AttentionOutcome {
  const declined = supportsCase(kernel, m);
  if (declined) return declined;
  let phase: 'forward' | 'backward' = 'forward';
  try {
    const r = forwardBackward(kernel, layOut(m.inputs, m.shapes, layout, view), m.inputs.dOut, m.options, {
      allowNoGradients: true,
      onBackward: () => {
        phase = 'backward';
      },
    });
    return outcomeOf(r);
  } catch (e) {
    return { status: 'threw', phase, message: messageOf(e) };
  }
}

function outcomeOf(r: KernelRun): AttentionOutcome {
  if (r.grads === null) return { status: 'forward-only', out: r.out, keep: r.keep };
  return { status: 'ok', result: { out: r.out, ...(r.lse !== null ? { lse: r.lse } : {}), ...r.grads }, keep: r.keep };
}
