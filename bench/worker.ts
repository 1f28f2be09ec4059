/**
 * Worker throughput: default attention cases through the Python worker (torch:sdpa, PyTorch on the
 * CPU) against the in-process built-in `sdpa` (tfjs) on the same machine and the same cases, and
 * where a worker case's time goes (target: worker cases/s >= in-process sdpa's).
 *
 *   npx tsx bench/worker.ts [--cases N] [--repeats R] [--python /usr/bin/python3] [--backend cpu|wasm]
 *
 * Both sides run the whole check of a case (materialise, float64 reference, same-precision baseline,
 * the kernel forward and backward, judge); the cases are the default generator's that torch:sdpa
 * runs (it declines dropout, float16 on a CPU, rows with no key and bfloat16 on PyTorch 1.13: a
 * declined case would cost the worker nothing). Correctness first: every case must pass on both.
 * The per-case protocol overhead is measured apart:
 *
 *   frames     encoding a run frame and decoding its result frame in Node (copies included)
 *   round trip a Python worker whose forward is one multiply (autograd and all): the protocol, the
 *              pipe, Python's read and write, torch.frombuffer, one op each way
 *   sdpa       the torch:sdpa worker's round trip: the above plus SDPA forward and backward
 *
 * Medians over R repeats of N cases each, with the spread (min-max).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type BackendName, useBackend } from '../src/backend/index.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import type { HostAttentionCall, HostKernel } from '../src/contract/index.js';
import type { MaterialisedAttention } from '../src/data/index.js';
import { encodeFrame, FrameReader, hostOptions, toHostArray } from '../src/execute/index.js';
import {
  attentionSuite,
  builtinKernel,
  checkCase,
  type KernelUnderTest,
  noTimings,
  resolveKernel,
} from '../src/runner/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const CASES = Number(arg('cases', '400'));
const REPEATS = Number(arg('repeats', '5'));
const PYTHON = arg('python', process.env.ATTNFUZZ_PYTHON ?? '/usr/bin/python3');
const BACKEND = arg('backend', 'cpu') as BackendName;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
const ms = (f: () => void) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
async function msAsync(f: () => Promise<void>) {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

await useBackend(BACKEND);
const worker = await resolveKernel('torch:sdpa', 'attention', process.cwd(), '--kernel', { python: PYTHON });
const echoFile = join(mkdtempSync(join(tmpdir(), 'attnfuzz-bench-')), 'echo.py');
writeFileSync(echoFile, 'def forward(q, k, v, opts):\n    return q[..., :1].expand(*q.shape[:3], v.shape[-1]) * 1.0\n');
const echo = await resolveKernel(`py:${echoFile}`, 'attention', process.cwd(), '--kernel', { python: PYTHON });
const tfjs = builtinKernel('sdpa');
const hostOf = (k: KernelUnderTest) => k.attention!() as HostKernel;

// The default cases torch:sdpa runs, drawn once; correctness first on both sides.
const drawn = fc.sample(attentionCase({}), { numRuns: CASES * 5, seed: 20261130 });
const cases: AttentionCase[] = [];
for (const c of drawn) {
  if (cases.length === CASES) break;
  const v = (await checkCase(c, worker)).verdict;
  if (v.status === 'unsupported') continue;
  if (v.status !== 'pass') throw new Error(`bench: torch:sdpa fails ${JSON.stringify(c)}`);
  if ((await checkCase(c, tfjs)).verdict.status !== 'pass') throw new Error(`bench: sdpa fails ${JSON.stringify(c)}`);
  cases.push(c);
}
const calls: HostAttentionCall[] = cases.map((c) => {
  const m = attentionSuite.materialise(c) as MaterialisedAttention;
  const { q, k, v, dOut } = m.inputs;
  return {
    q: toHostArray(q),
    k: toHostArray(k),
    v: toHostArray(v),
    options: hostOptions(m.options, q, k),
    dOut: toHostArray(dOut),
  };
});

/** Milliseconds per case of a host kernel's round trips alone, on the prepared calls. */
async function perCase(k: HostKernel): Promise<number> {
  const total = await msAsync(async () => {
    for (const call of calls) await k.run!(call);
  });
  return total / cases.length;
}

/** Milliseconds per case of the whole check, and of its kernel stage. */
async function checks(k: KernelUnderTest): Promise<[number, number]> {
  const timings = noTimings();
  const total = await msAsync(async () => {
    for (const c of cases) await checkCase(c, k, { timings });
  });
  return [total / cases.length, timings.kernel / cases.length];
}

const rows: Record<string, number[]> = {
  'in-process sdpa (tfjs), whole check': [],
  'torch:sdpa worker, whole check': [],
  'in-process sdpa (tfjs), kernel only': [],
  'torch:sdpa worker, kernel only (round trip)': [],
  'echo worker, round trip (protocol + Python + one op)': [],
  'frames in Node: encode run + decode result': [],
};
for (let r = 0; r < REPEATS; r++) {
  const [tfjsWhole, tfjsKernel] = await checks(tfjs);
  rows['in-process sdpa (tfjs), whole check']!.push(tfjsWhole);
  rows['in-process sdpa (tfjs), kernel only']!.push(tfjsKernel);
  const [workerWhole, workerKernel] = await checks(worker);
  rows['torch:sdpa worker, whole check']!.push(workerWhole);
  rows['torch:sdpa worker, kernel only (round trip)']!.push(workerKernel);
  rows['echo worker, round trip (protocol + Python + one op)']!.push(await perCase(hostOf(echo)));
  rows['frames in Node: encode run + decode result']!.push(
    ms(() => {
      for (const call of calls) {
        const run = Buffer.concat(
          encodeFrame({ type: 'run', id: 1 }, [
            { name: 'q', dtype: 'float32', shape: call.q.shape, data: call.q.data },
            { name: 'k', dtype: 'float32', shape: call.k.shape, data: call.k.data },
            { name: 'v', dtype: 'float32', shape: call.v.shape, data: call.v.data },
            { name: 'dOut', dtype: 'float32', shape: call.dOut!.shape, data: call.dOut!.data },
          ]),
        );
        const back = Buffer.concat(
          encodeFrame({ type: 'result', id: 1 }, [
            { name: 'out', dtype: 'float32', shape: call.dOut!.shape, data: call.dOut!.data },
            { name: 'dq', dtype: 'float32', shape: call.q.shape, data: call.q.data },
            { name: 'dk', dtype: 'float32', shape: call.k.shape, data: call.k.data },
            { name: 'dv', dtype: 'float32', shape: call.v.shape, data: call.v.data },
          ]),
        );
        new FrameReader().push(back);
        if (run.length === 0) throw new Error('unreachable');
      }
    }) / cases.length,
  );
}
const bytes = calls.map((c) => 4 * 2 * (c.q.data.length + c.k.data.length + c.v.data.length + c.dOut!.data.length));
console.log(
  `worker bench: ${cases.length} default cases torch:sdpa runs, ${REPEATS} repeats, backend ${BACKEND}, ` +
    `${hostOf(worker).device}; median ${median(bytes)} bytes of tensors per case both ways (max ${Math.max(...bytes)})`,
);
console.log('| per case | ms (median) | spread |\n|---|---|---|');
for (const [name, xs] of Object.entries(rows)) console.log(`| ${name} | ${median(xs).toFixed(3)} | ${spread(xs)} |`);
const inProcess = median(rows['in-process sdpa (tfjs), whole check']!);
const viaWorker = median(rows['torch:sdpa worker, whole check']!);
console.log(
  `cases/s: in-process sdpa ${(1000 / inProcess).toFixed(0)}, torch:sdpa worker ${(1000 / viaWorker).toFixed(0)} ` +
    `(${(inProcess / viaWorker).toFixed(2)}x)`,
);
await Promise.all([worker.close?.(), echo.close?.()]);
