/**
 * The one check on several backends: synchronous backend switching (what lets the property stay
 * synchronous), the disagreement tolerance (max of the two allowances, not their sum), how
 * per-backend verdicts and disagreements fold into the case's verdict, and one check for every kind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackends, switchBackendSync, tf } from '../backend/index.js';
import { type AttentionCase, parseCase, parseLoraCase } from '../case/index.js';
import { hostTensor } from '../contract/index.js';
import { judge, type TensorSpec } from '../oracle/index.js';
import { type BackendRun, checkCase, disagreementOf, foldBackends } from './check.js';
import { builtinKernel } from './kernelUnderTest.js';
import { suiteOf } from './suites/index.js';

const CASE: AttentionCase = parseCase({
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
});

beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});

describe('switchBackendSync', () => {
  it('switches an initialised backend before returning, so ops right after run on it', async () => {
    const before = tf.getBackend();
    switchBackendSync('wasm');
    expect(tf.engine().backend).toBe(tf.engine().registry.wasm);
    expect(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]).toBe(3);
    switchBackendSync('cpu');
    expect(tf.engine().backend).toBe(tf.engine().registry.cpu);
    switchBackendSync(before as 'cpu' | 'wasm');
  });
  it('refuses a backend that was never initialised instead of starting an async init', async () => {
    expect(() => switchBackendSync('tensorflow')).toThrow(/backend 'tensorflow' is not initialised/);
  });
});

describe('checkCase on several backends', () => {
  it('runs the kernel on each, judges each, and restores the active backend', async () => {
    const before = tf.getBackend();
    const c = await checkCase({ ...CASE, layout: 'BSHD' }, builtinKernel('flash'), { backends: ['cpu', 'wasm'] });
    expect(c.runs.map((r) => [r.backend, r.verdict.status])).toEqual([
      ['cpu', 'pass'],
      ['wasm', 'pass'],
    ]);
    expect(c.verdict.status).toBe('pass');
    expect(c.disagreements).toHaveLength(1);
    expect(tf.getBackend()).toBe(before);
  });

  /** The same passing run twice, moved by +f and -f times its allowance at one element of `t`. */
  async function opposite(f: number, t: string): Promise<{ a: BackendRun; b: BackendRun; specs: TensorSpec[] }> {
    const suite = suiteOf(CASE);
    const k = builtinKernel('flash');
    const m = suite.materialise(CASE);
    const specs = suite.specs(k, CASE, m, suite.reference(CASE, m));
    const out = await suite.run(k, CASE, m);
    if (out.status !== 'ok') throw new Error('flash should run');
    const v = judge(out.tensors, specs);
    if (v.status !== 'pass') throw new Error(`flash should pass this case, got ${v.status}`);
    const tv = v.tensors.find((x) => x.tensor === t)!;
    if (tv.status !== 'pass') throw new Error('unreachable');
    const moved = (sign: number): BackendRun => {
      const ref = specs.find((s) => s.name === t)!.expected;
      const data = Float64Array.from(ref.data);
      data[1] = data[1]! + sign * f * tv.allowed;
      const tensors = new Map(out.tensors).set(t, hostTensor(ref.shape, data));
      return { backend: sign > 0 ? 'cpu' : 'wasm', verdict: judge(tensors, specs), tensors };
    };
    return { a: moved(+1), b: moved(-1), specs };
  }

  it(
    'a disagreement fires when each backend is within its allowance but they are apart by more than the ' +
      'larger one',
    async () => {
      const { a, b, specs } = await opposite(0.8, 'dq');
      expect([a.verdict.status, b.verdict.status]).toEqual(['pass', 'pass']);
      const d = disagreementOf(a, b, specs)!;
      expect(d.tensor).toBe('dq');
      expect(d.maxDiff / d.allowed).toBeCloseTo(1.6, 2);
      expect(foldBackends([a, b], [d])).toMatchObject({
        status: 'disagree',
        disagreement: { tensor: 'dq', a: 'cpu', b: 'wasm' },
      });
    },
  );

  it('stays quiet when they are apart by less than the larger allowance', async () => {
    const { a, b, specs } = await opposite(0.4, 'out');
    const d = disagreementOf(a, b, specs)!;
    expect(d.maxDiff).toBeLessThan(d.allowed);
    expect(foldBackends([a, b], [d]).status).toBe('pass');
  });

  it(
    'a backend failing the oracle is reported (naming it) before any disagreement; unsupported ' + 'before both',
    async () => {
      const { a, b, specs } = await opposite(0.8, 'out');
      const d = disagreementOf(a, b, specs)!;
      const failing: BackendRun = { ...b, verdict: { status: 'threw', phase: 'backward', message: 'boom' } };
      expect(foldBackends([a, failing], [d])).toMatchObject({ status: 'threw', backend: 'wasm' });
      const declined: BackendRun = { ...a, verdict: { status: 'unsupported', reason: 'no' } };
      expect(foldBackends([declined, failing], [d]).status).toBe('unsupported');
    },
  );
});

describe('one check for every kind', () => {
  it('a LoRA case through the built-in LoRA kernel passes, with y judged as the forward tensor', async () => {
    const c = parseLoraCase({
      version: 1,
      kind: 'lora',
      rank: 2,
      alpha: 4,
      rslora: false,
      dropout: null,
      N: 3,
      in: 4,
      out: 5,
      precision: 'float32',
      seed: 1,
    });
    const r = await checkCase(c, builtinKernel('lora'));
    expect(r.verdict.status).toBe('pass');
    if (r.verdict.status !== 'pass') return;
    expect(r.verdict.tensors.map((t) => [t.tensor, t.pass])).toEqual([
      ['y', 'forward'],
      ['dx', 'backward'],
      ['dA', 'backward'],
      ['dB', 'backward'],
    ]);
  });
  it('a kernel without the role a kind needs is unsupported, not a failure', async () => {
    expect((await checkCase(CASE, builtinKernel('lora'))).verdict).toMatchObject({
      status: 'unsupported',
      reason: 'lora is not an attention kernel',
    });
  });
});
