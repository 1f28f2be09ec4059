/**
 * An upstream case: one tfjs op on small inputs, kept because tfjs itself gets it wrong (a known
 * failure our kernels work around). It is checked like any case: the op runs on a backend
 * (forward, and backward when `backward` is set: the gradient of sum(op(...)) with respect to
 * every input) and is judged against the op's float64 definition (src/reference/ops.ts).
 *
 *   { "version": 1, "kind": "upstream", "op": "matMul",
 *     "inputs": { "a": { "shape": [3,1,1], "data": [1,2,3] }, "b": { "shape": [1,1,1], "data": [4] } },
 *     "attrs": { "transposeA": false, "transposeB": false }, "backward": true }
 *
 *   op        inputs     attrs
 *   matMul    a, b       transposeA, transposeB
 *   gather    x          indices (int array), axis
 */
import { z } from 'zod';
import { CASE_VERSION } from './types.js';

export const UPSTREAM_OPS = ['matMul', 'gather'] as const;
export type UpstreamOp = (typeof UPSTREAM_OPS)[number];

export interface OpTensor {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export interface UpstreamCase {
  readonly version: typeof CASE_VERSION;
  readonly kind: 'upstream';
  readonly op: UpstreamOp;
  readonly inputs: Readonly<Record<string, OpTensor>>;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Also take the gradient of sum(op(...)) with respect to every input. */
  readonly backward: boolean;
}

const opTensor = z
  .strictObject({ shape: z.array(z.int().min(0)), data: z.array(z.number()) })
  .refine((t) => t.data.length === t.shape.reduce((a, d) => a * d, 1), {
    error: 'data length does not fill the shape',
  });

const INPUTS: Record<UpstreamOp, readonly string[]> = { matMul: ['a', 'b'], gather: ['x'] };

export const upstreamCaseSchema = z
  .strictObject({
    version: z.literal(CASE_VERSION),
    kind: z.literal('upstream'),
    op: z.enum(UPSTREAM_OPS),
    inputs: z.record(z.string(), opTensor),
    attrs: z.record(z.string(), z.unknown()),
    backward: z.boolean(),
  })
  .superRefine((c, ctx) => {
    const want = INPUTS[c.op];
    const got = Object.keys(c.inputs).sort();
    if (got.join() !== [...want].sort().join())
      ctx.addIssue({
        code: 'custom',
        path: ['inputs'],
        message: `${c.op} takes inputs ${want.join(', ')}, got ${got.join(', ') || 'none'}`,
      });
    if (c.op === 'matMul' && (typeof c.attrs.transposeA !== 'boolean' || typeof c.attrs.transposeB !== 'boolean')) {
      ctx.addIssue({ code: 'custom', path: ['attrs'], message: 'matMul needs boolean transposeA and transposeB' });
    }
    if (
      c.op === 'gather' &&
      (!Array.isArray(c.attrs.indices) || !c.attrs.indices.every(Number.isInteger) || !Number.isInteger(c.attrs.axis))
    ) {
      ctx.addIssue({ code: 'custom', path: ['attrs'], message: 'gather needs integer indices and an integer axis' });
    }
  });
