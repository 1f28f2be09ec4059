/**
 * Speed of each kernel, forward + backward through the harness (upload, autodiff, download), on
 * each CPU backend, with tinybench:
 *
 *   npx tsx bench/kernels.ts [--time 2000] [--backends cpu,wasm] [--kernels eager,sdpa,flash]
 *
 * Each (kernel, backend, shape) is first checked once against the float64 reference (a benchmark
 * of a wrong kernel is worthless); then timed. Reported: median latency, its median absolute
 * deviation, the 75th percentile, and the number of samples. Timings are not asserted anywhere: this is a
 * measurement to read, not a test.
 */
import { Bench } from 'tinybench';
import { useBackend, type BackendName } from '../src/backend/index.js';
import { ATTENTION_TENSORS, FLOAT32_REL_BOUND, defaultOptions, maxRelError, type AttentionInputs, type AttentionShapes, type AttentionKernel } from '../src/contract/index.js';
import { runAttentionKernel } from '../src/kernel/index.js';
import { normals, stream } from '../src/data/index.js';
import { referenceAttention } from '../src/reference/index.js';
import { eagerKernel, flashKernel, sdpaKernel } from '../src/runner/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const KERNELS: Record<string, AttentionKernel> = { eager: eagerKernel, sdpa: sdpaKernel, flash: flashKernel };
const time = Number(arg('time', '2000'));
const backends = arg('backends', 'cpu,wasm').split(',') as BackendName[];
const kernels = arg('kernels', 'eager,sdpa,flash').split(',');
for (const k of kernels) if (!KERNELS[k]) throw new Error(`bench: --kernels: unknown kernel '${k}'`);

const SHAPES: Array<{ label: string; s: AttentionShapes; causal: boolean }> = [
  { label: 'fuzz-sized B1 H4/2 S8 D8, causal', s: { B: 1, Hq: 4, Hkv: 2, Sq: 8, Sk: 8, D: 8, Dv: 8 }, causal: true },
  { label: 'B2 H8/2 S128 D64, causal', s: { B: 2, Hq: 8, Hkv: 2, Sq: 128, Sk: 128, D: 64, Dv: 64 }, causal: true },
];

function inputsFor(s: AttentionShapes): AttentionInputs {
  const t = (name: string, shape: number[]) => ({ shape, data: Float64Array.from(normals(stream(1, name), shape.reduce((a, b) => a * b, 1)), Math.fround) });
  return {
    q: t('q', [s.B, s.Hq, s.Sq, s.D]),
    k: t('k', [s.B, s.Hkv, s.Sk, s.D]),
    v: t('v', [s.B, s.Hkv, s.Sk, s.Dv]),
    dOut: t('dOut', [s.B, s.Hq, s.Sq, s.Dv]),
  };
}

const rows: string[][] = [['kernel', 'backend', 'shape', 'median ms', 'mad ms', 'p75 ms', 'samples', 'max rel err']];
for (const backend of backends) {
  await useBackend(backend);
  for (const { label, s, causal } of SHAPES) {
    const inputs = inputsFor(s);
    const opts = { ...defaultOptions(s), causal: causal ? ('bottom-right' as const) : ('none' as const) };
    const ref = referenceAttention(inputs, opts);
    const bench = new Bench({ time, warmupTime: 200, iterations: 10, warmupIterations: 2 });
    const errors: Record<string, number> = {};
    for (const name of kernels) {
      const r = runAttentionKernel(KERNELS[name]!, inputs, opts);
      errors[name] = Math.max(...ATTENTION_TENSORS.map((t) => maxRelError(r[t], ref[t])));
      if (errors[name]! > FLOAT32_REL_BOUND * 10) throw new Error(`bench: ${name} on ${backend} at ${label} is wrong (max rel error ${errors[name]!.toExponential(2)}): not timing it`);
      bench.add(name, () => void runAttentionKernel(KERNELS[name]!, inputs, opts));
    }
    await bench.run();
    for (const task of bench.tasks) {
      const res = task.result;
      if (res.state !== 'completed') {
        rows.push([task.name, backend, label, res.state, '', '', '', '']);
        continue;
      }
      const l = res.latency;
      rows.push([task.name, backend, label, l.p50.toFixed(2), l.mad.toFixed(2), l.p75.toFixed(2), String(l.samplesCount), errors[task.name]!.toExponential(1)]);
    }
    process.stderr.write(`bench: ${backend} ${label} done\n`);
  }
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padEnd(widths[c]!)).join('  '));
