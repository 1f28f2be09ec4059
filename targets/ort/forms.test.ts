import { describe, expect, it } from 'vitest';
import { Forms, formSeed } from './forms.js';

describe('Forms', () => {
  it('the same q picks the same forms; a pin wins when the case can use it', () => {
    const q = Float32Array.of(0.5, -1, 2, 0.25);
    const a = new Forms(formSeed(q));
    const b = new Forms(formSeed(Float32Array.from(q)));
    expect(a.pick('mask', ['bool', 'float'])).toBe(b.pick('mask', ['bool', 'float']));
    expect(new Forms(1, { mask: 'float' }).pick('mask', ['bool', 'float'])).toBe('float');
    expect(new Forms(1, { mask: 'int8' }).pick('mask', ['bool', 'float'])).toMatch(/bool|float/);
  });

  it('the seed reads only q’s first 8 values: a case shrunk to fewer elements past them keeps its forms', () => {
    const q = Float32Array.from({ length: 64 }, (_, n) => Math.sin(n));
    expect(formSeed(q.subarray(0, 8))).toBe(formSeed(q));
    expect(formSeed(q.subarray(0, 7))).not.toBe(formSeed(q));
  });

  it('across seeds every option of every choice is drawn, about as often as the others', () => {
    const counts = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const f = new Forms(formSeed(Float32Array.of(n * 0.37, n % 7, -n)));
      for (const [name, opts] of [
        ['rank', ['4D', '3D']],
        ['mask rank', ['4', '3', '2']],
        ['qk_matmul_output_mode', ['omitted', '0', '1', '2', '3']],
      ] as const) {
        const v = f.pick(name, opts);
        counts.set(`${name}=${v}`, (counts.get(`${name}=${v}`) ?? 0) + 1);
      }
    }
    expect(counts.size).toBe(10);
    expect(counts.get('rank=3D')!).toBeGreaterThan(1300);
    expect(counts.get('mask rank=2')!).toBeGreaterThan(850);
    expect(counts.get('qk_matmul_output_mode=3')!).toBeGreaterThan(480);
  });

  it('two choices of one call are independent: each pair of yes/no answers comes about a quarter of the time', () => {
    const pairs = new Map<string, number>();
    for (let n = 0; n < 4000; n++) {
      const f = new Forms(formSeed(Float32Array.of(n, n * 0.5)));
      const key = `${f.flag('past')}/${f.flag('present')}/${f.flag('mask cut')}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    expect(pairs.size).toBe(8);
    for (const count of pairs.values()) expect(count).toBeGreaterThan(400);
  });

  it('describe lists the choices made, in order', () => {
    const f = new Forms(7, { rank: '3D' });
    f.pick('rank', ['4D', '3D']);
    f.flag('past', false);
    expect(f.describe()).toBe('rank=3D');
  });
});
