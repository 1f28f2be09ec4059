/**
 * Campaign throughput: cases/s of `attnfuzz fuzz` with 1 and with 2 worker threads on the same
 * case stream (target: 2 workers >= 1.8x one on a 2-core machine), and where a case's time goes
 * in a worker (target: the kernel under test >= half of it), from a CPU profile of the very code
 * a worker runs (CaseRunner.run), in this thread.
 *
 *   npx tsx bench/campaign.ts [--cases N] [--kernel sdpa] [--repeats R]
 *
 * Correctness first: the correct kernel must pass every case, and both runs must check the same
 * cases. Throughput is the steady state (from the first case to the last, worker start-up
 * excluded), median of R runs with its spread; read, never asserted. The machine's own ceiling is
 * measured too: the same pure arithmetic loop in 1 and in 2 threads for a few seconds (a VM whose
 * two vCPUs deliver one CPU of sustained work cannot scale anything, whatever the program).
 */
import { Session } from 'node:inspector';
import { Worker } from 'node:worker_threads';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseRunner, runCampaign, type Target } from '../src/campaign/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
// Each worker warms up its own JIT and tfjs: with 600 cases per run the 2-worker run is half
// warm-up and read 1.00x (measured); 4000 cases is steady state (1 worker about 16 s).
const CASES = Number(arg('cases', '4000'));
const KERNEL = arg('kernel', 'sdpa');
const REPEATS = Number(arg('repeats', '2'));
const targets: Target[] = [{ kernel: KERNEL, suite: 'attention' }];
const seed = 20261130;

async function throughput(workers: number): Promise<{ rate: number; cases: number; failed: number }> {
  let first: number | null = null;
  let last = 0;
  let seen = 0;
  const t0 = performance.now();
  const r = await runCampaign({
    targets,
    seed,
    backend: 'cpu',
    workers,
    runs: CASES,
    corpus: mkdtempSync(join(tmpdir(), 'attnfuzz-bench-')),
    caseTimeoutMs: 120_000,
    shrinkTimeMs: 1000,
    progressMs: 50,
    onProgress: (p) => {
      if (p.cases > 0 && first === null) [first, seen] = [p.elapsedMs, p.cases];
      last = p.elapsedMs;
    },
  });
  const end = performance.now() - t0;
  const steady = first === null ? r.report.totals.cases / (end / 1000) : (r.report.totals.cases - seen) / ((Math.max(end, last) - first) / 1000);
  return { rate: steady, cases: r.report.totals.cases, failed: r.report.totals.failed };
}

/** Work per second of 2 threads over 1 running the same arithmetic loop (about 3 s each): what the machine allows. */
async function ceiling(): Promise<number> {
  const loop = `const { parentPort } = require('node:worker_threads'); let x = 0; const t = performance.now(); for (let k = 0; k < 1200; k++) for (let i = 0; i < 1e6; i++) x += Math.sqrt(i * k); parentPort.postMessage(performance.now() - t + 0 * x);`;
  const run = (n: number) => Promise.all(Array.from({ length: n }, () => new Promise<number>((res) => new Worker(loop, { eval: true }).once('message', res))));
  const [one] = await run(1);
  const two = await run(2);
  return (2 * one!) / Math.max(...two);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Share of a worker's case time spent in the kernel under test (suite.run under checkCase). */
async function kernelShare(n: number): Promise<{ share: number; ms: number }> {
  const runner = await CaseRunner.create({ targets, seed, backend: 'cpu', cwd: process.cwd() });
  for (let i = 0; i < 20; i++) runner.run(i); // warm up: JIT, backend
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) => new Promise<T>((res, rej) => session.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  const t0 = performance.now();
  for (let i = 20; i < 20 + n; i++) runner.run(i);
  const ms = (performance.now() - t0) / n;
  const { profile } = await post<{ profile: { nodes: Array<{ id: number; callFrame: { functionName: string }; children?: number[] }>; samples: number[] } }>('Profiler.stop');
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const name = new Map(profile.nodes.map((x) => [x.id, x.callFrame.functionName]));
  let total = 0;
  let kernel = 0;
  for (const s of profile.samples) {
    const stack: string[] = [];
    for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) stack.push(name.get(id)!);
    if (!stack.includes('run')) continue; // idle, GC outside a case
    total++;
    const at = stack.indexOf('checkCase');
    if (at > 0 && ['run', 'runAttentionCase'].includes(stack[at - 1]!)) kernel++;
  }
  return { share: total > 0 ? kernel / total : 0, ms };
}

const one: number[] = [];
const two: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  const a = await throughput(1);
  const b = await throughput(2);
  if (a.cases !== CASES || b.cases !== CASES) throw new Error(`bench: expected ${CASES} cases each, got ${a.cases} and ${b.cases}`);
  if (a.failed + b.failed > 0) console.log(`bench: note: ${a.failed + b.failed} cases of ${KERNEL} failed (shrinking them counts in the time)`);
  one.push(a.rate);
  two.push(b.rate);
}
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
console.log(`${KERNEL}, ${CASES} cases per run, ${REPEATS} runs each (steady state, median and range):`);
console.log(`  1 worker:  ${median(one).toFixed(1)} cases/s (${spread(one)})`);
console.log(`  2 workers: ${median(two).toFixed(1)} cases/s (${spread(two)})`);
console.log(`  speed-up:  ${(median(two) / median(one)).toFixed(2)}x (target >= 1.8x on 2 cores)`);
console.log(`  the machine's ceiling: 2 threads of plain arithmetic do ${(await ceiling()).toFixed(2)}x the work of 1`);
const k = await kernelShare(Math.min(CASES, 300));
console.log(`  per case in a worker: ${k.ms.toFixed(2)} ms, the kernel under test ${(100 * k.share).toFixed(0)}% of it (target >= 50%)`);
process.exit(0);
