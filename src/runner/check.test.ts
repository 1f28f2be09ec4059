/**
 * The pieces of the cross-backend mode: synchronous backend switching (what lets the property stay
 * synchronous), the disagreement tolerance (max of the two allowances, not their sum), and how
 * per-backend verdicts and disagreements fold into the case's verdict.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../backend/index.js';
import { parseCase, type AttentionCase } from '../case/index.js';
import { hostTensor, type AttentionTensorName } from '../contract/index.js';
import { builtinKernel } from './kernels.js';
import { crossCheckCase, crossVerdictOf, disagreementOf, prepareBackends, switchBackendSync, type BackendCheck } from './crossSearch.js';

const CASE: AttentionCase = parseCase(
  {
    version: 1,
    kind: 'attention',
    shapes: { B: 1, Hq: 2, Hkv: 1, Sq: 3, Sk: 4, D: 2, Dv: 2 },
    scale: null,
    causal: 'bottom-right',
    window: null,
    keyLengths: null,
    paddingSide: 'right',
    mask: null,
    dropout: null,
    precision: 'float32',
    layout: 'BHSD',
    values: 'normal',
    junk: 'none',
    blocks: { Br: 2, Bc: 2 },
    seed: 5,
  },
  'test',
);

beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});

describe('switchBackendSync', () => {
  it('switches an initialised backend before returning, so ops right after run on it', () => {
    switchBackendSync('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.add(tf.scalar(1), tf.scalar(2));
    expect(tf.engine().backend).toBe(tf.engine().registry.wasm);
    expect(x.dataSync()[0]).toBe(3);
    switchBackendSync('cpu');
    expect(tf.engine().backend).toBe(tf.engine().registry.cpu);
  });

  it('refuses a backend that was never initialised instead of starting an async init', () => {
    expect(() => switchBackendSync('tensorflow')).toThrow(/backend 'tensorflow' is not initialised/);
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('the disagreement tolerance', () => {
  const flash = builtinKernel('flash');

  /** The same passing run twice, moved by +f and -f times its allowance at one element of `t`. */
  function opposite(f: number, t: AttentionTensorName): [BackendCheck, BackendCheck] {
    const { runs } = crossCheckCase(CASE, flash, ['cpu', 'wasm']);
    const run = runs[0]!;
    const v = run.check.verdict;
    if (v.status !== 'pass') throw new Error(`flash should pass this case, got ${v.status}`);
    const tv = v.tensors.find((x) => x.tensor === t)!;
    if (tv.status !== 'pass') throw new Error('unreachable');
    const moved = (sign: number): BackendCheck => {
      const ref = run.check.reference[t];
      const data = Float64Array.from(ref.data);
      data[1] = data[1]! + sign * f * tv.allowed;
      return { backend: sign > 0 ? 'cpu' : 'wasm', check: { ...run.check, result: { ...run.check.result!, [t]: hostTensor(ref.shape, data) } } };
    };
    return [moved(+1), moved(-1)];
  }

  it('fires when each backend is within its allowance but they are apart by more than the larger one', () => {
    const [a, b] = opposite(0.8, 'dq');
    const d = disagreementOf(a, b)!;
    expect(d.tensor).toBe('dq');
    expect(d.maxDiff).toBeGreaterThan(d.allowed);
    expect(d.maxDiff / d.allowed).toBeCloseTo(1.6, 2);
    expect(crossVerdictOf([a, b], [d]).status).toBe('disagree');
  });

  it('stays quiet when they are apart by less than the larger allowance', () => {
    const [a, b] = opposite(0.4, 'out');
    const d = disagreementOf(a, b)!;
    expect(d.maxDiff).toBeLessThan(d.allowed);
    expect(crossVerdictOf([a, b], [d]).status).toBe('pass');
  });

  it('a backend failing the oracle is reported before any disagreement; unsupported before both', () => {
    const [a, b] = opposite(0.8, 'out');
    const d = disagreementOf(a, b)!;
    const failing: BackendCheck = { ...b, check: { ...b.check, verdict: { status: 'threw', phase: 'backward', message: 'boom' } } };
    expect(crossVerdictOf([a, failing], [d])).toMatchObject({ status: 'backend-failure', backend: 'wasm' });
    const declined: BackendCheck = { ...a, check: { ...a.check, verdict: { status: 'unsupported', reason: 'no' } } };
    expect(crossVerdictOf([declined, failing], [d]).status).toBe('unsupported');
  });
});
