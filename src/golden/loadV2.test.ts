import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceAttention } from '../reference/index.js';
import { maxRelError } from '../contract/index.js';
import { parseGolden } from './index.js';

const file = fileURLToPath(new URL('../../corpus/golden/attention-v2-sinks-causal-br-empty.json', import.meta.url));
const text = readFileSync(file, 'utf8');
const edit = (f: (j: Record<string, any>) => void) => {
  const j = JSON.parse(text);
  f(j);
  return JSON.stringify(j);
};

describe('golden files version 2 (score options)', () => {
  it('load: "-Infinity" in data is -Infinity, and the reference matches PyTorch on out, grads, lse and dsinks', () => {
    const g = parseGolden('v2.json', text);
    if (g.kind !== 'attention') throw new Error('attention expected');
    expect(g.options.sinks?.shape).toEqual([2]);
    expect(g.expected.lse!.data[0]).toBe(-Infinity);
    const r = referenceAttention(g.inputs, g.options);
    for (const t of ['out', 'dq', 'dk', 'dv', 'lse', 'dsinks'] as const) expect(maxRelError(r[t]!, g.expected[t]!), t).toBeLessThan(1e-12);
  });

  it('name the field of what does not fit', () => {
    expect(() => parseGolden('v2.json', edit((j) => delete j.expected.dsinks))).toThrow('golden: v2.json: expected.dsinks: missing (options.sinks is set)');
    expect(() => parseGolden('v2.json', edit((j) => (j.options.sinks.shape = [3])))).toThrow(/^golden: v2\.json: options\.sinks\.data has 2 values, shape \[3\] needs 3$/);
    expect(() => parseGolden('v2.json', edit((j) => (j.expected.lse.data[0] = '-inf')))).toThrow(/^golden: v2\.json: expected\.lse\.data\[0\]/);
    expect(() => parseGolden('v2.json', edit((j) => (j.options.softcap = 0)))).toThrow(/^golden: v2\.json: options\.softcap/);
  });

  it('version 1 files do not take the new fields', () => {
    expect(() => parseGolden('v1.json', edit((j) => (j.version = 1)))).toThrow(/^golden: v1\.json: options\.softcap: unknown field \(not in version 1\)$/);
  });
});
