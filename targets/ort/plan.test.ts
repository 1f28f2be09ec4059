/**
 * A repro's inputs.json must carry every float32 value the kernel was fed: JSON has neither NaN nor
 * ±Infinity (JSON.stringify writes null for all three), and a −inf mask read back as NaN is another
 * input (it made the exported GroupQueryAttention repros feed NaN where attnfuzz fed −inf).
 */
import { describe, expect, it } from 'vitest';
import { jsonNumber } from './plan.js';

/** What the exported scripts do with each value (src/report/onnxTemplates.ts, `num`). */
const read = (x: number | string | null): number => (typeof x === 'string' ? Number(x) : (x ?? Number.NaN));

describe('jsonNumber', () => {
  it('keeps finite numbers, writes NaN as null and ±Infinity as strings', () => {
    expect([1.5, 0, -2, Number.NaN, -Infinity, Infinity].map(jsonNumber)).toEqual([
      1.5,
      0,
      -2,
      null,
      '-Infinity',
      'Infinity',
    ]);
  });

  it('survives JSON: every value reads back as itself', () => {
    const values = [0.25, -3, Number.NaN, -Infinity, Infinity];
    const back = (JSON.parse(JSON.stringify(values.map(jsonNumber))) as (number | string | null)[]).map(read);
    expect(back).toEqual(values);
  });
});
