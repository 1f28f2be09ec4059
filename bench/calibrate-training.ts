/**
 * Tightness of the training oracle (src/training/oracle.ts, allowance.ts, tolerance.ts): eager, sdpa
 * and flash as the attention of default training cases of each precision, judged as `check --suite training` judges
 * them (step 1 against the float64 model and its same-precision baseline, the trajectory against
 * another implementation), and per precision and kind of tensor the largest error/allowed.
 *
 *   npx tsx bench/calibrate-training.ts [--cases 600] [--seed 2] [--precisions bfloat16,float16]
 *
 * Each case trains once per implementation; the trajectory baseline is eager's run (sdpa's for eager),
 * as the suite's. A mismatch is printed with its case, so it can be replayed.
 */
import fc from 'fast-check';
import { tf, useBackend } from '../src/backend/index.js';
import { PRECISIONS, type Precision } from '../src/contract/index.js';
import { judge } from '../src/oracle/index.js';
import { BUILTINS, trainingSuite } from '../src/runner/index.js';
import { runTraining, type TrainingRun, trainingSpecs, trainingTensors } from '../src/training/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const cases = Number(arg('cases', '600'));
const seed = Number(arg('seed', '2'));
const precisions = arg('precisions', PRECISIONS.join(',')).split(',') as Precision[];
const IMPLEMENTATIONS = ['eager', 'sdpa', 'flash'] as const;
await useBackend('cpu');

/** 'dB', 'B step=1', 'B step>1' (trajectory), 'logits', ...: the tensor's kind, without its site. */
function kindOf(tensor: string): string {
  const [head] = tensor.split(' ');
  const step = /step=(\d+)$/.exec(tensor);
  return step ? `${head} step${step[1] === '1' ? '=1' : '>1'}` : head!;
}

const rows: string[][] = [['precision', 'tensor', 'n', 'max', 'mismatches']];
const t0 = performance.now();
for (const precision of precisions) {
  const worst = new Map<string, { n: number; max: number; mismatches: number }>();
  for (const c of fc.sample(trainingSuite.arbitrary({ precisions: [precision] }), { numRuns: cases, seed })) {
    const m = trainingSuite.materialise(c);
    const expectation = trainingSuite.reference(c, m);
    const runs = new Map<string, TrainingRun | null>();
    for (const name of IMPLEMENTATIONS) {
      try {
        runs.set(
          name,
          runTraining(tf, m, { attention: { name, attention: BUILTINS[name].training! }, lora: BUILTINS.lora.lora! }),
        );
      } catch {
        runs.set(name, null);
      }
    }
    for (const name of IMPLEMENTATIONS) {
      const run = runs.get(name);
      if (!run) continue;
      const v = judge(
        trainingTensors(run),
        trainingSpecs(m, name, expectation, runs.get(name === 'eager' ? 'sdpa' : 'eager') ?? null),
      );
      if (!('tensors' in v)) continue;
      for (const t of v.tensors) {
        if (t.status !== 'pass' && t.status !== 'mismatch') continue;
        const w = worst.get(kindOf(t.tensor)) ?? { n: 0, max: 0, mismatches: 0 };
        w.n++;
        w.max = Math.max(w.max, t.allowed > 0 ? t.error / t.allowed : 0);
        if (t.status === 'mismatch') {
          w.mismatches++;
          console.log(`MISMATCH ${name} ${t.tensor} ${(t.error / t.allowed).toFixed(3)}x: ${JSON.stringify(c)}`);
        }
        worst.set(kindOf(t.tensor), w);
      }
    }
  }
  for (const [kind, w] of [...worst].sort(([a], [b]) => a.localeCompare(b)))
    if (kind !== 'frozen') rows.push([precision, kind, String(w.n), w.max.toFixed(3), String(w.mismatches)]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padEnd(widths[c]!)).join('  '));
console.log(
  `calibrate-training: ${cases} cases per precision (x ${IMPLEMENTATIONS.length} implementations), seed ` +
    `${seed}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
