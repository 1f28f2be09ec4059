/**
 * The findings of docs/findings/onnxruntime-1.30.md, each a saved case under
 * docs/findings/onnxruntime-1.30/<id>/: each still fails on onnxruntime-node 1.30 through its target
 * (`+known` draws the forms of known issues), and the default targets, which avoid or decline those
 * forms, pass the same case or decline it. When a release fixes one, its first test fails: move it
 * to the fixed list of the findings page. Also: `attnfuzz export --onnx` writes a repro whose Node
 * script reproduces the finding without attnfuzz.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSavedCase } from '../src/corpus/index.js';
import { checkCase, resolveKernel } from '../src/runner/index.js';

const DIR = 'docs/findings/onnxruntime-1.30';
const findings = readdirSync(DIR).sort();
const OUT = 'tmp/ort-findings-test';
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

const checkWith = async (spec: string, file: string) => {
  const saved = readSavedCase(file);
  const k = await resolveKernel(spec, saved.case.kind as 'attention');
  try {
    return (await checkCase(saved.case, k)).verdict;
  } finally {
    await k.close?.();
  }
};
const targetOf = (file: string) => {
  const ref = readSavedCase(file).kernel;
  return ref && 'target' in ref ? ref.target : '';
};

describe('findings of onnxruntime-node 1.30 (docs/findings/onnxruntime-1.30.md)', () => {
  it('lists the eight findings', () => {
    expect(findings).toEqual([
      'attention-float16-logit-overflow',
      'attention-float16-logit-rounding',
      'attention-short-mask',
      'gqa-empty-row-nan-float16',
      'gqa-empty-row-nan-softcap',
      'gqa-empty-row-nan-total-1',
      'mha-past-without-present',
      'mha-unidirectional-cross',
    ]);
  });

  it.each(findings)('%s still fails on onnxruntime-node 1.30 through its saved target', async (id) => {
    const file = join(DIR, id, 'case.json');
    const v = await checkWith(targetOf(file), file);
    expect(['mismatch', 'nonfinite', 'threw']).toContain(v.status);
  });

  it.each(findings.filter((id) => !id.startsWith('attention-float16')))(
    '%s: the default target avoids the issue (passes) or declines the case with the reason',
    async (id) => {
      const file = join(DIR, id, 'case.json');
      const v = await checkWith(targetOf(file).replace('+known', ''), file);
      if (v.status === 'unsupported') expect(v.reason).toMatch(/known upstream issue/);
      else expect(v.status).toBe('pass');
    },
  );

  it('export --onnx writes a repro whose Node script prints the mismatch without attnfuzz (exit 1)', () => {
    mkdirSync(OUT, { recursive: true });
    const out = join(OUT, 'mha');
    execFileSync('node', [
      'bin/attnfuzz.mjs',
      'export',
      '--onnx',
      join(DIR, 'mha-past-without-present', 'case.json'),
      '--out',
      out,
    ]);
    expect(readdirSync(out).sort()).toEqual([
      'README.md',
      'expected.json',
      'inputs.json',
      'model.onnx',
      'repro.mjs',
      'repro.py',
    ]);
    const r = spawnSync('node', [join(out, 'repro.mjs')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^onnxruntime-node 1\.30\.0 com\.microsoft\.MultiHeadAttention: max \|Y - expected\| = 1\.89\d* .*MISMATCH/,
    );
  });

  it('export --onnx of a case a default target passes prints ok (exit 0), and names what is missing otherwise', () => {
    const out = join(OUT, 'ok');
    const file = join(DIR, 'mha-past-without-present', 'case.json');
    execFileSync('node', ['bin/attnfuzz.mjs', 'export', '--onnx', file, '--kernel', 'ort:mha', '--out', out]);
    const r = spawnSync('node', [join(out, 'repro.mjs')], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/: ok$/m);
    expect(r.status).toBe(0);
    const bad = spawnSync('node', ['bin/attnfuzz.mjs', 'export', '--onnx', file, '--kernel', 'flash'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/name one with --kernel ort:attention\|ort:mha\|ort:gqa/);
  });
});
