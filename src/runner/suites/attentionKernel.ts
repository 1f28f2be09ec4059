/**
 * What the attention suite does with the kernel under test, at two stages:
 *
 *   aim (generate)  the search's constraints, with what the kernel declares filled in where the user
 *                   said nothing: its `tiles` (lengths aimed at k·Br ± 1, k·Bc ± 1), the score
 *                   options of its `features` (softcap, ALiBi, bias, sinks) and, when it
 *                   promises never to read keys no query may see, NaN junk as well as finite junk
 *   run             the kernel in the case's layout (runAttention.ts), forward and backward, or forward only
 *                   when it declares `backward: false`; then, when it applies:
 *                     - a kernel that drew its own dropout: the reference replays its mask, and its
 *                       keep rate is judged (ownDropout.ts)
 *                     - a NaN in an output of a case with NaN junk: re-run to tell whether it came
 *                       from reading unseen keys, and name the key (unseenKeys.ts)
 */
import { type AttentionCase, type AttentionCaseConstraints, JUNKS } from '../../case/index.js';
import { type HostTensor, isHostKernel } from '../../contract/index.js';
import type { MaterialisedAttention } from '../../data/index.js';
import { attentionTensors } from '../../oracle/index.js';
import type { KernelUnderTest } from '../kernelUnderTest.js';
import { ownDropout } from '../ownDropout.js';
import { runAttention } from '../runAttention.js';
import type { KernelOutcome } from '../suite.js';
import { firstNonFinite, unseenKeyRead } from '../unseenKeys.js';

/** The constraints of a search for `k`: the user's, with the kernel's declarations where the user said nothing. */
export function aimAttention(
  constraints: AttentionCaseConstraints | undefined,
  k: KernelUnderTest,
): AttentionCaseConstraints {
  const kernel = k.attention?.();
  const aimed: { -readonly [K in keyof AttentionCaseConstraints]: AttentionCaseConstraints[K] } = { ...constraints };
  if (kernel?.tiles !== undefined && constraints?.tiles === undefined) aimed.tiles = kernel.tiles;
  if (kernel?.guarantees?.unseenKeysUnread === true && constraints?.junk === undefined) aimed.junk = JUNKS;
  // A host kernel's precisions (a worker lists the dtypes its device computes): draw no case it would decline.
  const precisions = kernel && isHostKernel(kernel) ? kernel.precisions : undefined;
  if (precisions !== undefined && constraints?.precisions === undefined) aimed.precisions = precisions;
  const f = kernel?.features;
  if (f?.softcap === true && constraints?.allowSoftcap === undefined) aimed.allowSoftcap = true;
  if (f?.alibi === true && constraints?.allowAlibi === undefined) aimed.allowAlibi = true;
  if (f?.bias === true && constraints?.allowBias === undefined) aimed.allowBias = true;
  if (f?.sinks === true && constraints?.allowSinks === undefined) aimed.allowSinks = true;
  return aimed;
}

/** The attention suite's run stage (see the header). */
export async function runAttentionCase(
  k: KernelUnderTest,
  c: AttentionCase,
  m: MaterialisedAttention,
): Promise<KernelOutcome<MaterialisedAttention>> {
  if (!k.attention) return { status: 'unsupported', reason: `${k.label} is not an attention kernel` };
  const kernel = k.attention(c);
  const o = await runAttention(kernel, m, c.layout, c.view);
  if (o.status === 'threw' || o.status === 'unsupported') return o;
  const tensors: Map<string, HostTensor> = o.status === 'ok' ? attentionTensors(o.result) : new Map([['out', o.out]]);
  const forwardOnly = o.status === 'forward-only' ? { forwardOnly: true } : {};
  let drawn = {};
  if (o.keep !== null && m.options.dropout !== null && m.options.dropout.p > 0) {
    const own = ownDropout(o.keep, m);
    if (typeof own === 'string') return { status: 'threw', phase: 'forward', message: own };
    if (own.rate) tensors.set(own.rate.spec.name, own.rate.observed);
    drawn = { replay: { ...m, options: own.replay.options }, ...(own.rate ? { specs: [own.rate.spec] } : {}) };
  }
  const cause = c.junk === 'nan' && firstNonFinite(tensors) !== null ? await unseenKeyRead(kernel, c) : null;
  return { status: 'ok', tensors, ...forwardOnly, ...drawn, ...(cause !== null ? { cause } : {}) };
}
