/**
 * `npm run bench`: every benchmark in bench/, one after the other, each in its own process (so
 * one's memory and tfjs state cannot colour another's), with quick settings by default:
 *
 *   npm run bench                 quick: a few seconds each, to see that they run and roughly where
 *   npm run bench -- --full       the settings of bench/RESULTS.md and docs/oracle.md
 *   npm run bench -- kernels      only the named ones
 *
 * Every benchmark checks correctness once before it times anything; timings are read, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface Benchmark {
  readonly name: string;
  /** The script, relative to the repository (default bench/<name>.ts). */
  readonly script?: string;
  readonly what: string;
  readonly quick: readonly string[];
  readonly full: readonly string[];
}

const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'campaign',
    what: "fuzz campaign cases/s with 1 and 2 worker threads, and the kernel under test's share of a case",
    quick: ['--cases', '400', '--repeats', '1'],
    full: ['--cases', '4000', '--repeats', '2'],
  },
  {
    name: 'kernels',
    script: 'src/cli/main.ts',
    what:
      '`attnfuzz bench`: forward + backward per kernel against the matMul ceiling, peak memory, the ' +
      'harness on default cases',
    quick: [
      'bench',
      '--backends',
      'wasm',
      '--sizes',
      '64,128',
      '--time',
      '300',
      '--harness-cases',
      '50',
      '--ceiling',
      '512',
    ],
    full: [
      'bench',
      '--backends',
      'cpu,wasm',
      '--sizes',
      '128,256,512,1024',
      '--time',
      '3000',
      '--harness-cases',
      '300',
      '--out',
      'bench/results',
    ],
  },
  { name: 'flash-memory', what: 'peak tensor memory, flash vs eager', quick: ['--S', '256'], full: ['--S', '2048'] },
  {
    name: 'calibrate-oracle',
    what: 'how much of the allowance correct kernels use',
    quick: ['--cases', '100'],
    full: ['--cases', '10000', '--seed', '2'],
  },
  {
    name: 'oracle-power',
    what: 'how often the oracle flags a kernel with a gradient scaled or the softmax scale off',
    quick: ['--cases', '50'],
    full: ['--cases', '1000', '--seed', '2'],
  },
  {
    name: 'calibrate-training',
    what: 'how much of the allowance correct training steps use, per precision',
    quick: ['--cases', '5'],
    full: ['--cases', '600', '--seed', '2'],
  },
  {
    name: 'signal',
    what: "default cases: share whose every tensor is clearly non-zero, and check's cases/s",
    quick: ['--cases', '200', '--runs', '50'],
    full: ['--cases', '1200', '--seeds', '1,2,3,4,5,6,7,8,9', '--runs', '200'],
  },
];

const args = process.argv.slice(2);
const full = args.includes('--full');
const only = args.filter((a) => !a.startsWith('--'));
const unknown = only.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(
    `bench: unknown benchmark '${unknown[0]}'; expected some of ${BENCHMARKS.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
let failed = 0;
for (const b of BENCHMARKS.filter((x) => only.length === 0 || only.includes(x.name))) {
  console.log(`\n== ${b.name}: ${b.what}${full ? '' : ' (quick; --full for the README settings)'}`);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [tsx, join(import.meta.dirname, '..', b.script ?? `bench/${b.name}.ts`), ...(full ? b.full : b.quick)],
    { stdio: 'inherit' },
  );
  console.log(
    `== ${b.name}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status})`} in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
