/**
 * Tightness of the oracle (src/oracle/tolerance.ts): the correct built-in kernels on default cases
 * of each precision, and per precision and tensor the largest error/allowed (and its distribution).
 * The target: every largest ratio between 0.25 and 1 (no false alarm, and no allowance more than
 * 4x what correct kernels need).
 *
 *   npx tsx bench/calibrate-oracle.ts [--cases 100000] [--seed 1] [--kernels eager,sdpa,flash] [--precisions
 * float32,bfloat16,float16] [--values normal,large] [--score] [--backend cpu]
 *
 * Each case is materialised and its reference, baseline and error scales computed once; each kernel
 * then runs and is judged as `check` judges it. Also reported: which part of the allowance dominates
 * (the baseline's, the output's last bit, the terms'), as shares of the cases.
 *
 * `--score` draws the score options too (softcap, ALiBi, bias, sinks; each kernel gets the cases
 * of the options it declares, like `check`): the calibration of lse, dbias and dsinks.
 */
import fc from 'fast-check';
import { type BackendName, useBackend } from '../src/backend/index.js';
import type { ValueDistribution } from '../src/case/index.js';
import { PRECISIONS, type Precision } from '../src/contract/index.js';
import { judge } from '../src/oracle/index.js';
import { attentionSuite, type BuiltinKernelName, builtinKernel } from '../src/runner/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const cases = Number(arg('cases', '2000'));
const seed = Number(arg('seed', '1'));
const kernels = arg('kernels', 'eager,sdpa,flash').split(',') as BuiltinKernelName[];
const precisions = arg('precisions', PRECISIONS.join(',')).split(',') as Precision[];
/** `--values normal,large`: only these value distributions (default: the default mixture). */
const values = arg('values', '') === '' ? {} : { values: arg('values', '').split(',') as ValueDistribution[] };
const score = process.argv.includes('--score')
  ? { allowSoftcap: true, allowAlibi: true, allowBias: true, allowSinks: true }
  : {};
await useBackend(arg('backend', 'cpu') as BackendName);

const q = (xs: number[], p: number) =>
  xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const rows: string[][] = [
  ['precision', 'tensor', 'kernel', 'n', 'p50', 'p99', 'max', 'false alarms', 'worst case seed'],
];
const t0 = performance.now();
for (const precision of precisions) {
  const ratios = new Map<string, number[]>();
  const worst = new Map<string, { r: number; seed: number }>();
  let alarms = new Map<string, number>();
  const samples = fc.sample(attentionSuite.arbitrary({ precisions: [precision], ...values, ...score }), {
    numRuns: cases,
    seed,
  });
  let done = 0;
  for (const c of samples) {
    const m = attentionSuite.materialise(c);
    const e = attentionSuite.reference(c, m);
    for (const name of kernels) {
      const k = builtinKernel(name);
      const out = await attentionSuite.run(k, c, m);
      if (out.status !== 'ok') continue;
      const v = judge(out.tensors, attentionSuite.specs(k, c, m, e));
      if (!('tensors' in v)) continue;
      for (const t of v.tensors) {
        if (t.status !== 'pass' && t.status !== 'mismatch') {
          if (t.status !== 'skipped') alarms.set(`${t.tensor} ${name}`, (alarms.get(`${t.tensor} ${name}`) ?? 0) + 1);
          continue;
        }
        const key = `${t.tensor} ${name}`;
        const r = t.allowed > 0 ? t.error / t.allowed : 0;
        ratios.set(key, [...(ratios.get(key) ?? []), r]);
        if (r > (worst.get(key)?.r ?? -1)) worst.set(key, { r, seed: c.seed });
        if (t.status === 'mismatch') alarms.set(key, (alarms.get(key) ?? 0) + 1);
      }
    }
    if (++done % 1000 === 0)
      process.stderr.write(
        `calibrate: ${precision} ${done}/${cases} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
      );
  }
  for (const key of [...ratios.keys()].sort()) {
    const [tensor, kernel] = key.split(' ');
    const xs = ratios.get(key)!;
    rows.push([
      precision,
      tensor!,
      kernel!,
      String(xs.length),
      q(xs, 0.5).toFixed(3),
      q(xs, 0.99).toFixed(3),
      Math.max(...xs).toFixed(3),
      String(alarms.get(key) ?? 0),
      String(worst.get(key)?.seed ?? ''),
    ]);
  }
  alarms = new Map();
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padEnd(widths[c]!)).join('  '));
console.log(
  `calibrate-oracle: ${cases} cases per precision, seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
