/**
 * A direct harness for host kernels while the core is not async yet: one attention case
 * materialised (src/data), handed to a host kernel as float32 arrays, judged against the float64
 * reference and the same-precision baseline by the attention suite's specs (src/oracle). The
 * worker tests use it; the CLI path (`check --kernel torch:sdpa`) is the real one.
 */
import type { AttentionCase } from '../../src/case/index.js';
import {
  type AttentionShapes,
  dropoutKeepPattern,
  type HostArray,
  type HostArrayLike,
  type HostKernel,
  type HostKernelOptions,
  type HostTensor,
  missingFeatures,
} from '../../src/contract/index.js';
import type { MaterialisedAttention } from '../../src/data/index.js';
import { WorkerDeclined } from '../../src/execute/index.js';
import { judge, type Verdict } from '../../src/oracle/index.js';
import { attentionSuite } from '../../src/runner/index.js';

const f32 = (t: HostTensor): HostArray => ({ shape: t.shape, data: Float32Array.from(t.data) });
const f64 = (t: HostArrayLike): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.data) });

/** The host kernel's call for a materialised case (the options as plain data, the keep mask made). */
export function hostCall(m: MaterialisedAttention, backward: boolean) {
  const { B, Hq, Sq, Sk } = m.shapes;
  const o = m.options;
  const keep =
    o.dropout !== null && o.dropout.p > 0
      ? { shape: [B, Hq, Sq, Sk], data: dropoutKeepPattern(o.dropout, [B, Hq, Sq, Sk]) }
      : undefined;
  const options: HostKernelOptions = {
    ...o,
    mask: o.mask === null ? null : { shape: o.mask.shape, data: o.mask.data },
    dropout: o.dropout === null ? null : { p: o.dropout.p, seed: o.dropout.seed, ...(keep ? { keep } : {}) },
    alibiSlopes: o.alibiSlopes == null ? null : f32(o.alibiSlopes),
    bias: o.bias == null ? null : f32(o.bias),
    sinks: o.sinks == null ? null : f32(o.sinks),
  };
  const { q, k, v, dOut } = m.inputs;
  return { q: f32(q), k: f32(k), v: f32(v), options, dOut: backward ? f32(dOut) : null };
}

export type HostCheck =
  | { readonly status: 'unsupported'; readonly reason: string }
  | { readonly status: 'threw'; readonly message: string }
  | { readonly status: 'judged'; readonly verdict: Verdict; readonly failed: boolean };

/** One case through a host kernel, judged (forward and backward unless the kernel says `backward: false`). */
export async function checkHostCase(kernel: HostKernel, c: AttentionCase): Promise<HostCheck> {
  const m = attentionSuite.materialise(c) as MaterialisedAttention;
  const missing = missingFeatures(m.options, kernel.features);
  if (missing.length > 0) return { status: 'unsupported', reason: `features ${missing.join(', ')}` };
  if (kernel.precisions && !kernel.precisions.includes(c.precision))
    return { status: 'unsupported', reason: `precision ${c.precision}` };
  const backward = kernel.backward !== false;
  let r: Awaited<ReturnType<NonNullable<HostKernel['run']>>>;
  try {
    r = await kernel.run!(hostCall(m, backward));
  } catch (e) {
    if (e instanceof WorkerDeclined) return { status: 'unsupported', reason: e.reason };
    return { status: 'threw', message: (e as Error).message };
  }
  const expectation = attentionSuite.reference(c, m);
  const specs = attentionSuite
    .specs(null as never, c, m, expectation)
    .filter((s) => backward || s.pass === 'forward' || s.name === 'lse');
  const got = new Map<string, HostTensor>();
  for (const [name, t] of Object.entries(r)) if (t !== undefined && name !== 'keep') got.set(name, f64(t));
  const verdict = judge(got, specs);
  return { status: 'judged', verdict, failed: !['pass', 'unsupported'].includes(verdict.status) };
}

export type { AttentionShapes };
