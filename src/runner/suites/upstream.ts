/**
 * The upstream suite: one tfjs op on the active backend (forward, and the gradients of sum(op(...))
 * with respect to every input when the case asks for the backward pass), against the op's float64
 * definition (src/reference/ops.ts; gradients by float64 central differences, ~1e-10 off on these
 * linear ops). Upstream cases are written by hand from a tfjs bug, never generated.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../backend/index.js';
import { type OpTensor, parseWith, type UpstreamCase, upstreamCaseSchema } from '../../case/index.js';
import { FLOAT32_REL_BOUND, type HostTensor, maxAbs } from '../../contract/index.js';
import type { TensorSpec } from '../../oracle/index.js';
import { fdGrad, gather64, matMul64 } from '../../reference/index.js';
import { messageOf, type Suite } from '../suite.js';

interface OpMaterial {
  readonly names: readonly string[];
  readonly inputs: readonly HostTensor[];
}

const host = (t: OpTensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.data) });

/** The op on float64 host tensors. */
function op64(c: UpstreamCase, xs: readonly HostTensor[]): HostTensor {
  if (c.op === 'matMul') return matMul64(xs[0]!, xs[1]!, c.attrs.transposeA as boolean, c.attrs.transposeB as boolean);
  return gather64(xs[0]!, c.attrs.indices as number[]);
}

/** The op on tfjs tensors. */
function opTf(c: UpstreamCase, xs: readonly Tensor[]): Tensor {
  if (c.op === 'matMul') return tf.matMul(xs[0]!, xs[1]!, c.attrs.transposeA as boolean, c.attrs.transposeB as boolean);
  return tf.gather(xs[0]!, tf.tensor1d(c.attrs.indices as number[], 'int32'), c.attrs.axis as number);
}

const download = (t: Tensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) });

interface OpReference {
  readonly out: HostTensor;
  readonly grads: readonly HostTensor[] | null;
}

export const upstreamSuite: Suite<UpstreamCase, OpMaterial, OpReference> = {
  kind: 'upstream',
  schema: upstreamCaseSchema,
  parse: (value, where) => parseWith(upstreamCaseSchema, value, where) as UpstreamCase,
  arbitrary: () => {
    throw new Error('upstream cases are written by hand from a tfjs bug, not generated');
  },
  admits: () => true,
  materialise: (c) => ({
    names: Object.keys(c.inputs).sort(),
    inputs: Object.keys(c.inputs)
      .sort()
      .map((n) => host(c.inputs[n]!)),
  }),
  reference(c, m) {
    const out = op64(c, m.inputs);
    const ones = new Float64Array(out.data.length).fill(1);
    return {
      out,
      grads: c.backward ? m.inputs.map((_, i) => fdGrad((xs) => op64(c, xs), [...m.inputs], i, ones)) : null,
    };
  },
  async run(_k, c, m) {
    let phase: 'forward' | 'backward' = 'forward';
    const xs = m.inputs.map((t) => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32'));
    try {
      const tensors = new Map<string, HostTensor>();
      tf.tidy(() => {
        tensors.set('out', download(opTf(c, xs)));
        if (!c.backward) return;
        phase = 'backward';
        const grads = tf.grads((...as: Tensor[]) => tf.sum(opTf(c, as)))(xs);
        grads.forEach((g, i) => {
          tensors.set(`d${m.names[i]}`, download(g));
        });
      });
      return { status: 'ok', tensors };
    } catch (e) {
      return { status: 'threw', phase, message: messageOf(e) };
    } finally {
      tf.dispose(xs);
    }
  },
  specs(_k, _c, m, reference) {
    const spec = (name: string, expected: HostTensor, pass: 'forward' | 'backward'): TensorSpec => {
      const allowed = FLOAT32_REL_BOUND * Math.max(1, maxAbs(expected));
      return { name, pass, expected, baseline: null, allowance: () => ({ allowed, floor: allowed }) };
    };
    return [
      spec('out', reference.out, 'forward'),
      ...(reference.grads ?? []).map((g, i) => spec(`d${m.names[i]}`, g, 'backward')),
    ];
  },
  neighbours: () => [],
  size: (c) => Object.values(c.inputs).reduce((a, t) => a + t.data.length, 0),
  inputs: (m) => m.names.map((n, i) => [n, m.inputs[i]!] as const),
};
