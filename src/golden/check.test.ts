import { describe, expect, it } from 'vitest';
import { type AttentionResult, FLOAT32_REL_BOUND, type HostTensor } from '../contract/index.js';
import { referenceAttention } from '../reference/index.js';
import { allPassed, checkGolden, type GoldenRunner, goldenJson, goldenText, loadGolden } from './index.js';

const FILE = 'corpus/golden/attention-gqa3-causal-br-sq3-sk5.json';
const golden = loadGolden(FILE);

type AttentionRunner = Extract<GoldenRunner, { kind: 'attention' }>;

/** A runner that computes the reference and then spoils its result. */
function spoilt(name: string, spoil: (r: AttentionResult) => AttentionResult): AttentionRunner {
  return {
    name,
    kind: 'attention',
    bound: FLOAT32_REL_BOUND,
    supports: () => true,
    run: (i, o) => spoil(referenceAttention(i, o)),
  };
}
const bump = (t: HostTensor, n: number, by: number): HostTensor => {
  const data = Float64Array.from(t.data);
  data[n] = data[n]! + by;
  return { shape: t.shape, data };
};

describe('checkGolden measures each tensor and fails only the spoilt one', () => {
  it('a perturbed dk fails, naming file, kernel and tensor; the rest pass', async () => {
    const o = await checkGolden(
      golden,
      spoilt('bad-dk', (r) => ({ ...r, dk: bump(r.dk, 3, 1e-3) })),
    );
    expect(o.state).toBe('checked');
    if (o.state !== 'checked') return;
    expect(o.rows.map((r) => [r.tensor, r.pass])).toEqual([
      ['out', true],
      ['dq', true],
      ['dk', false],
      ['dv', true],
    ]);
    expect(o.rows[2]!.maxAbs).toBeCloseTo(1e-3, 6);
    const text = goldenText([golden], [o]);
    expect(text).toMatch(
      new RegExp(`${FILE.replace(/[.]/g, '\\.')}\\s+bad-dk\\s+dk\\s+1\\.00e-3\\s+\\S+\\s+1\\.00e-5\\s+FAIL`),
    );
    expect(text).toContain(`FAIL ${FILE} bad-dk: dk (${golden.hint})`);
    // A file without a hint (another tool wrote it) fails without the parentheses.
    const { hint: _hint, ...noHint } = golden;
    expect(goldenText([noHint], [o])).toContain(`FAIL ${FILE} bad-dk: dk\n`);
    expect(text.trim().split('\n').pop()).toMatch(/^golden: FAIL: 1 files .* 4 tensors: 3 passed, 1 failed/);
    expect(allPassed([o])).toBe(false);
  });

  it('a NaN where PyTorch is finite fails with an infinite error', async () => {
    const o = await checkGolden(
      golden,
      spoilt('nan', (r) => ({ ...r, out: bump(r.out, 0, NaN) })),
    );
    expect(o.state === 'checked' && o.rows[0]).toMatchObject({ tensor: 'out', maxAbs: Infinity, pass: false });
    expect(goldenJson([o])[0]).toEqual({
      file: FILE,
      kernel: 'nan',
      tensor: 'out',
      maxAbs: null,
      maxRel: null,
      pass: false,
    });
  });

  it('a wrong shape fails before values are compared', async () => {
    const o = await checkGolden(
      golden,
      spoilt('shape', (r) => ({ ...r, dv: { shape: [1, 1, 5], data: r.dv.data } })),
    );
    expect(o.state === 'checked' && o.rows[3]).toMatchObject({
      pass: false,
      note: 'shape [1,1,5], expected [1,1,5,4]',
    });
  });

  it('a kernel that throws is an error, a kernel that declines is a skip', async () => {
    const thrower: GoldenRunner = {
      ...spoilt('boom', (r) => r),
      run: () => {
        throw new Error('boom: no');
      },
    };
    const decliner: GoldenRunner = { ...spoilt('shy', (r) => r), supports: () => 'no GQA' };
    const errored = await checkGolden(golden, thrower);
    const skipped = await checkGolden(golden, decliner);
    expect(errored).toEqual({ state: 'errored', file: FILE, kernel: 'boom', error: 'boom: no' });
    expect(skipped).toEqual({ state: 'skipped', file: FILE, kernel: 'shy', reason: 'no GQA' });
    expect(allPassed([errored])).toBe(false);
    expect(allPassed([skipped])).toBe(true);
  });
});
