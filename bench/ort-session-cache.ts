/**
 * Cases/s of the ort targets with and without the session cache (targets/ort/sessions.ts), on one
 * stream of attention cases (and decode cases for ort:attention and ort:gqa): the whole check of
 * a case (materialise, reference, the kernel, the oracle), as `attnfuzz check` runs it.
 *
 *   npx tsx bench/ort-session-cache.ts [--cases N] [--repeats R]
 *
 * Correctness first: every judged case must pass in both settings (the cache changes no result).
 * Each setting runs the same N cases (default 300, after 20 to warm up), R times (default 3), as a
 * stream of new cases (a campaign's search: every case draws its own forms and attributes, so most
 * need a model of their own) and as cases seen again after one pass (replay, and the shrinker's
 * neighbours, which keep q's first values and so their forms);
 * printed: the median cases/s with its spread (min-max), the sessions built per case, and the
 * share of the time spent in the kernel call. Read, never asserted.
 */
import fc from 'fast-check';
import { attentionCase, decodeCase } from '../src/case/index.js';
import { type AnyCase, checkCase, hostKernelUnderTest, noTimings } from '../src/runner/index.js';
import { type OrtOp, ortKernel } from '../targets/ort/index.js';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? d : Number(process.argv[i + 1]);
};
const N = arg('cases', 300);
const R = arg('repeats', 3);

async function measure(op: OrtOp, suite: 'attention' | 'decode', cases: AnyCase[], sessions: number, again: boolean) {
  const rates: number[] = [];
  let builds = 0;
  let kernelShare = 0;
  for (let r = 0; r < R; r++) {
    const host = await ortKernel(op, { sessions });
    const k = hostKernelUnderTest(host, { target: `ort:${op}` });
    for (const c of again ? cases : cases.slice(0, 20)) await checkCase(c, k);
    const timings = noTimings();
    const before = host.sessions.stats.builds;
    const t0 = performance.now();
    for (const c of cases.slice(20)) {
      const v = (await checkCase(c, k, { timings })).verdict;
      if (v.status !== 'pass' && v.status !== 'unsupported')
        throw new Error(`${op} ${suite}: ${v.status} on ${JSON.stringify(c)}`);
    }
    const ms = performance.now() - t0;
    rates.push((cases.length - 20) / (ms / 1000));
    builds = (host.sessions.stats.builds - before) / (cases.length - 20);
    kernelShare = timings.kernel / ms;
    await host.close?.();
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(R / 2)]!, min: rates[0]!, max: rates[R - 1]!, builds, kernelShare };
}

const runs: [OrtOp, 'attention' | 'decode'][] = [
  ['attention', 'attention'],
  ['mha', 'attention'],
  ['gqa', 'attention'],
  ['attention', 'decode'],
  ['gqa', 'decode'],
];
console.log(`ort session cache: ${N} cases after 20 to warm up, median of ${R} (min-max), onnxruntime-node CPU\n`);
console.log(
  '| target | suite | stream | cached: cases/s | sessions/case | kernel share | no cache: cases/s | sessions/case | ' +
    'speed-up |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [op, suite] of runs) {
  const arb =
    suite === 'decode'
      ? decodeCase({ precisions: ['float32'], caches: ['contiguous'] })
      : attentionCase({
          precisions: ['float32'],
          allowSoftcap: op !== 'mha',
          allowBias: true,
          allowSinks: op === 'gqa',
        });
  const cases = fc.sample(arb as fc.Arbitrary<AnyCase>, { numRuns: N + 20, seed: 42 });
  for (const again of [false, true]) {
    const on = await measure(op, suite, cases, 256, again);
    const off = await measure(op, suite, cases, 0, again);
    const f = (x: number) => x.toFixed(0);
    console.log(
      `| ort:${op} | ${suite} | ${again ? 'seen again' : 'new cases'} | ` +
        `${f(on.median)} (${f(on.min)}-${f(on.max)}) | ` +
        `${on.builds.toFixed(2)} | ${(100 * on.kernelShare).toFixed(0)}% | ${f(off.median)} (${f(off.min)}-` +
        `${f(off.max)}) | ${off.builds.toFixed(2)} | ${(on.median / off.median).toFixed(1)}x |`,
    );
  }
}
