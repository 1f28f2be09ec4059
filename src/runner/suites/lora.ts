/**
 * The LoRA suite's stages: materialise x, W0, A, B, dY from the seeds (src/data), the float64
 * reference (src/reference), the kernel's y and the gradients dx, dA, dB of sum(y ∘ dY) with W0
 * frozen (src/execute), judged by the oracle's LoRA specs (src/oracle/lora.ts).
 */
import {
  admitsLoraCase,
  type LoraCase,
  type LoraCaseConstraints,
  loraCase,
  loraCaseSchema,
  parseLoraCase,
  resolveLoraConstraints,
} from '../../case/index.js';
import { isHostKernel, type LoraResult, roundTo } from '../../contract/index.js';
import { type MaterialisedLora, materialiseLora } from '../../data/index.js';
import { declinedReason, runHostLora, runLoraKernel } from '../../execute/index.js';
import { loraSpecs, loraTensors } from '../../oracle/index.js';
import { referenceLora } from '../../reference/index.js';
import { messageOf, type Simplification, type Suite } from '../suite.js';

export function loraNeighbours(c: LoraCase): Simplification<LoraCase>[] {
  const out: Simplification<LoraCase>[] = [];
  const add = (step: string, n: LoraCase) => out.push({ step, case: n });
  if (c.dropout !== null) add('no dropout', { ...c, dropout: null });
  if (c.precision !== 'float32') add('float32', { ...c, precision: 'float32' });
  if (c.rslora) add('plain LoRA scaling', { ...c, rslora: false });
  if (c.alpha !== c.rank) add('alpha = r (s = 1)', { ...c, alpha: c.rank });
  if (c.rank > 1) add('rank 1', { ...c, rank: 1 });
  if (c.rank > 1) add('rank - 1', { ...c, rank: c.rank - 1 });
  if (c.N > 1) add('one row', { ...c, N: 1 });
  if (c.N > 1) add('N - 1', { ...c, N: c.N - 1 });
  if (c.in > 1) add('in - 1', { ...c, in: c.in - 1 });
  if (c.out > 1) add('out - 1', { ...c, out: c.out - 1 });
  return out;
}

export const loraSuite: Suite<
  LoraCase,
  MaterialisedLora,
  { reference: LoraResult; baseline: LoraResult },
  LoraCaseConstraints
> = {
  kind: 'lora',
  schema: loraCaseSchema,
  parse: parseLoraCase,
  arbitrary: (constraints) => loraCase(constraints),
  admits: (constraints, c) => admitsLoraCase(resolveLoraConstraints(constraints), c),
  materialise: materialiseLora,
  reference: (c, m) => ({
    reference: referenceLora(m.inputs, m.spec),
    baseline: referenceLora(m.inputs, m.spec, (x) => roundTo(c.precision, x)),
  }),
  async run(k, _c, m) {
    const kernel = k.lora;
    if (!kernel) return { status: 'unsupported', reason: `${k.label} is not a LoRA kernel` };
    const host = isHostKernel(kernel);
    try {
      const answer = (host ? kernel.supportsLora?.(m.spec) : kernel.supports?.(m.spec)) ?? true;
      if (answer !== true) return { status: 'unsupported', reason: String(answer) };
    } catch (e) {
      return { status: 'threw', phase: 'forward', message: `supports: ${messageOf(e)}` };
    }
    let phase: 'forward' | 'backward' = 'forward';
    const onBackward = () => {
      phase = 'backward';
    };
    try {
      const r = host
        ? await runHostLora(kernel, m.inputs, m.spec, { onBackward })
        : runLoraKernel(kernel, m.inputs, m.spec, { onBackward });
      return { status: 'ok', tensors: loraTensors(r) };
    } catch (e) {
      const declined = declinedReason(e);
      if (declined !== null) return { status: 'unsupported', reason: declined };
      return { status: 'threw', phase, message: messageOf(e) };
    }
  },
  specs: (_k, _c, m, e) => loraSpecs(m, e.reference, e.baseline),
  neighbours: loraNeighbours,
  size: (c) =>
    c.N + c.in + c.out + c.rank + (c.dropout ? 1 : 0) + (c.precision === 'float32' ? 0 : 1) + (c.rslora ? 1 : 0),
  inputs: (m) => {
    const { x, W0, A, B, dY } = m.inputs;
    return [
      ['x', x],
      ['W0', W0],
      ['A', A],
      ['B', B],
      ['dY', dY],
    ];
  },
};
