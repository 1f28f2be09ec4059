/**
 * The survivor rules: a key is classified by the first rule naming its file, a line in range and
 * (where given) its mutator; every rule points at lines that exist; and every survivor of the
 * committed full-run results (docs/mutation/results.json) is explained.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify, RULES, type SurvivorRule } from './classification.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('survivor rules', () => {
  const rules: SurvivorRule[] = [
    { file: 'kernels/a.ts', lines: [3, 3], mutant: /^ConditionalExpression true$/, kind: 'equivalent', why: 'e' },
    { file: 'kernels/a.ts', lines: [6, 6], column: 9, kind: 'equivalent', why: 'c9' },
    { file: 'kernels/a.ts', lines: [2, 6], kind: 'blind-spot', why: 'b' },
  ];

  it('match by file, line range, column and mutator, the first rule that matches winning', () => {
    expect(classify('kernels/a.ts:3:5-3:9 ConditionalExpression true', rules)?.kind).toBe('equivalent');
    expect(classify('kernels/a.ts:3:5-3:9 ConditionalExpression false', rules)?.kind).toBe('blind-spot');
    expect(classify('kernels/a.ts:4:1-6:2 BlockStatement {}', rules)?.why).toBe('b');
    expect(classify('kernels/a.ts:6:9-6:12 StringLiteral ""', rules)?.why).toBe('c9');
    expect(classify('kernels/a.ts:6:20-6:23 StringLiteral ""', rules)?.why).toBe('b');
    expect(classify('kernels/a.ts:7:1-7:2 BlockStatement {}', rules)).toBeNull();
    expect(classify('kernels/b.ts:3:5-3:9 ConditionalExpression true', rules)).toBeNull();
  });

  it('name lines that exist in their files', () => {
    for (const r of RULES) {
      const lines = readFileSync(`${ROOT}/${r.file}`, 'utf8').split('\n').length;
      expect(r.lines[0] <= r.lines[1] && r.lines[1] <= lines, `${r.file}:${r.lines.join('-')}`).toBe(true);
    }
  });

  it('explain every survivor of the committed full run', () => {
    const file = `${ROOT}/docs/mutation/results.json`;
    expect(existsSync(file), 'docs/mutation/results.json (npm run mutate -- --report-only --docs)').toBe(true);
    const rows = JSON.parse(readFileSync(file, 'utf8')) as { key: string; attnfuzz: string }[];
    const unexplained = rows
      .filter((r) => !['killed', 'timeout', 'error'].includes(r.attnfuzz))
      .filter((r) => classify(r.key) === null)
      .map((r) => r.key);
    expect(unexplained).toEqual([]);
  });
});
