/**
 * Measures the tolerance factors K_T (tolerance.ts): runs correct kernels (sdpa, flash) on random
 * cases and reports, per tensor and precision, the ratio error / baselineError (eager is the
 * baseline) and error / allowed. Run: `npx tsx bench/calibrate-oracle.ts [cases] [seed]`.
 */
import fc from 'fast-check';
import { attentionCase } from '../src/case/index.js';
import { builtinKernel, checkCase } from '../src/runner/index.js';

export function calibrate(cases: number, seed: number): string[] {
  const samples = fc.sample(attentionCase(), { numRuns: cases, seed });
  const ratios = new Map<string, number[]>();
  const usage = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, key: string, x: number) => m.set(key, [...(m.get(key) ?? []), x]);
  for (const name of ['sdpa', 'flash'] as const) {
    const k = builtinKernel(name);
    for (const c of samples) {
      const r = checkCase(c, k);
      if (!('tensors' in r.verdict)) continue;
      for (const t of r.verdict.tensors) {
        if (t.status !== 'pass' && t.status !== 'mismatch') continue;
        const key = `${name} ${c.precision} ${t.tensor}`;
        // The ratio only matters where the floor does not already cover the error (cancelling
        // gradients have tiny baseline errors and huge ratios, all within the floor).
        if (t.baselineError !== null && t.baselineError > 0 && t.error > t.floor) push(ratios, key, t.error / t.baselineError);
        push(usage, key, t.allowed > 0 ? t.error / t.allowed : t.error > 0 ? Infinity : 0);
      }
    }
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const lines = ['kernel precision tensor: n, error/baseline p50 p99 max; error/allowed max'];
  for (const [key, u] of [...usage].sort()) {
    const xs = ratios.get(key) ?? [0];
    lines.push(`${key}: n=${u.length} above floor=${ratios.get(key)?.length ?? 0} ratio p50=${q(xs, 0.5).toFixed(2)} p99=${q(xs, 0.99).toFixed(2)} max=${Math.max(...xs).toFixed(2)}; used max=${Math.max(...u).toFixed(2)}`);
  }
  return lines;
}

const isEntry = process.argv[1]?.endsWith('calibrate-oracle.ts');
if (isEntry) console.log(calibrate(Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 1)).join('\n'));
