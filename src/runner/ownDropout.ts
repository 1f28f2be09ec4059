/**
 * A kernel that draws its own dropout (`forwardWithKeep`: Philox, curand, Math.random) returns the
 * keep mask it drew with the output, as flash-attn's return_attn_probs does. Two checks follow:
 *
 *   replay      the case is judged against the reference of what the kernel drew: the material's
 *               options carry the mask (`dropout.keep`), so the float64 reference drops exactly those
 *               elements. A kernel that returns one mask and applies another is then caught by the
 *               ordinary verdict (out, or the gradients if the backward redraws).
 *   keep rate   of the n visible elements (b, h, i, j), the fraction kept must be 1 - p: a one-element
 *               tensor 'dropout keep rate' judged against 1 - p, allowed the largest deviation on the
 *               observed side that the exact two-sided binomial test accepts at alpha 1e-6
 *               (binomial.ts; as xformers tests its dropout), so the judge fails it exactly when the
 *               test rejects: a kernel that keeps with probability p instead of 1 - p, or drops
 *               nothing, fails; a correct one fails once in 10^6 cases at most.
 */
import { type HostMask, type HostTensor, hostTensor, visible } from '../contract/index.js';
import type { TensorSpec } from '../oracle/index.js';
import { binomialAcceptance } from './binomial.js';
import type { Material } from './runAttention.js';

/** Level of the keep-rate test. */
export const KEEP_RATE_ALPHA = 1e-6;
export const KEEP_RATE_TENSOR = 'dropout keep rate';

/** What the checks of a kernel's own dropout need: the material to replay, and the keep-rate tensor and spec. */
export interface OwnDropout {
  readonly replay: Material;
  /** The observed keep rate over visible elements (absent when no element is visible). */
  readonly rate: { readonly observed: HostTensor; readonly spec: TensorSpec } | null;
}

/**
 * The largest deviation of the keep rate from 1 - p, on the side of `kept`, that the exact binomial
 * test accepts over n elements: |kept/n - (1-p)| <= it iff the test accepts `kept`.
 */
export function keepRateBound(p: number, n: number, kept: number): number {
  const [lo, hi] = binomialAcceptance(n, 1 - p, KEEP_RATE_ALPHA);
  const expected = 1 - p;
  return kept / n >= expected ? Math.max(0, hi / n - expected) : Math.max(0, expected - lo / n);
}

/**
 * The replay material and keep-rate check of the mask `keep` a kernel returned for `m`; a string
 * when the mask cannot be one ([B, Hq, Sq, Sk] values, nonzero = kept).
 */
export function ownDropout(keep: HostTensor, m: Material): OwnDropout | string {
  const { B, Hq, Sq, Sk } = m.shapes;
  const d = m.options.dropout!;
  if (keep.data.length !== B * Hq * Sq * Sk) {
    return (
      `forwardWithKeep: keep has ${keep.data.length} values (shape [${keep.shape.join(',')}]), expected ` +
      `B·Hq·Sq·Sk = ${B * Hq * Sq * Sk} ([${B},${Hq},${Sq},${Sk}])`
    );
  }
  const mask: HostMask = { shape: [B, Hq, Sq, Sk], data: Uint8Array.from(keep.data, (x) => (x !== 0 ? 1 : 0)) };
  const replay: Material = { ...m, options: { ...m.options, dropout: { p: d.p, seed: d.seed, keep: mask } } };
  let n = 0;
  let kept = 0;
  for (let b = 0, e = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < Sq; i++)
        for (let j = 0; j < Sk; j++, e++) {
          if (!visible(m.options, m.shapes, b, h, i, j)) continue;
          n++;
          kept += mask.data[e]!;
        }
  if (n === 0) return { replay, rate: null };
  const allowed = keepRateBound(d.p, n, kept);
  const spec: TensorSpec = {
    name: KEEP_RATE_TENSOR,
    pass: 'forward',
    expected: hostTensor([1], [1 - d.p]),
    baseline: null,
    allowance: () => ({ allowed, floor: allowed }),
  };
  return { replay, rate: { observed: hostTensor([1], [kept / n]), spec } };
}
