import { describe, expect, it } from 'vitest';
import type { AttentionCase } from '../case/index.js';
import { activeBackend } from '../backend/index.js';
import { crossBackend } from './crossBackend.js';
import { builtinKernel } from './kernels.js';

const c: AttentionCase = {
  version: 1, kind: 'attention', shapes: { B: 1, Hq: 2, Hkv: 1, Sq: 3, Sk: 5, D: 3, Dv: 2 }, scale: null, causal: 'bottom-right', window: null,
  keyLengths: null, paddingSide: 'right', mask: null, dropout: null, precision: 'float32', layout: 'packed-qkv', values: 'normal', junk: 'nan', blocks: { Br: 2, Bc: 2 }, seed: 11,
};

describe('cross-backend mode', () => {
  it('runs one kernel on cpu and wasm, judges each, compares with cpu, restores the backend', async () => {
    const before = activeBackend() ?? 'cpu';
    const runs = await crossBackend({ ...c, layout: 'BSHD' }, builtinKernel('flash'), ['cpu', 'wasm']);
    expect(runs.map((r) => [r.backend, r.verdict.status])).toEqual([['cpu', 'pass'], ['wasm', 'pass']]);
    expect(runs[0]!.vsCpu!.out).toBe(0);
    expect(runs[1]!.vsCpu!.dq).toBeLessThan(1e-5);
    expect(activeBackend()).toBe(before);
  });
});
