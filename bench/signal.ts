/**
 * What `check`'s default cases are worth, measured two ways:
 *
 *   npx tsx bench/signal.ts [--cases 400] [--seeds 1,2,3] [--runs 150] [--kernels eager,sdpa,flash]
 *
 * 1. Signal share: of `--cases` default cases (attentionCase() with no constraints, fast-check seeds
 *    from --seeds), the share in which EVERY tensor of the float64 reference (out, dq, dk, dv) is
 *    clearly non-zero: a case where a tensor is ~0 cannot reveal a bug in it (a kernel that returns
 *    zeros there passes). "Clearly non-zero" is relative to the size of the terms the tensor sums,
 *    from the inputs the reference reads (finite values below the junk limit 5e4):
 *
 *      max|t| >= 1e-2 · term_t      term_out = max|v|              term_dv = max|dOut|
 *                                   term_dq  = |scale| · max|k| · max|v| · max|dOut|
 *                                   term_dk  = |scale| · max|q| · max|v| · max|dOut|
 *
 *    (each times 1/(1-p) under dropout). A tensor whose terms are all 0 (v = 0) is not clearly
 *    non-zero. Also printed: the share of each tensor alone, and of cases with max|dq| < 1e-3 or an
 *    all-zero output (how the issue counted).
 * 2. Cases per second of the one search on defaults (what `check --kernel K` runs), per built-in
 *    kernel: `--runs` cases per seed, the median over seeds (and the spread).
 *
 * It uses only APIs that predate issue 9, so the same file measures an older checkout (copy it there).
 * Correctness is checked once first: every kernel must come out clean (a failing search would time
 * shrinking, not cases).
 */
import fc from 'fast-check';
import {
  type AttentionCase,
  attentionCase,
  materialiseAttention,
  referenceAttention,
  resolveKernel,
  search,
} from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const N_CASES = Number(arg('cases', '400'));
const SEEDS = arg('seeds', '1,2,3').split(',').map(Number);
const RUNS = Number(arg('runs', '150'));
const KERNELS = arg('kernels', 'eager,sdpa,flash').split(',').filter(Boolean);
const JUNK_LIMIT = 5e4;
const CLEAR = Number(arg('clear', '1e-3'));

const maxOf = (a: ArrayLike<number>) => {
  let m = 0;
  for (let n = 0; n < a.length; n++) {
    const x = Math.abs(a[n]!);
    if (Number.isFinite(x) && x < JUNK_LIMIT && x > m) m = x;
  }
  return m;
};

type Name = 'out' | 'dq' | 'dk' | 'dv';
const NAMES: Name[] = ['out', 'dq', 'dk', 'dv'];

/** Which tensors of the case's reference are clearly non-zero, and the issue's two counts. */
function signalOf(c: AttentionCase): { clear: Record<Name, boolean>; dqBelow1e3: boolean; outAllZero: boolean } {
  const m = materialiseAttention(c);
  const r = referenceAttention(m.inputs, m.options);
  const [q, k, v, dO] = [
    maxOf(m.inputs.q.data),
    maxOf(m.inputs.k.data),
    maxOf(m.inputs.v.data),
    maxOf(m.inputs.dOut.data),
  ];
  const keep = 1 / (1 - (m.options.dropout?.p ?? 0));
  const s = Math.abs(m.options.scale);
  const term: Record<Name, number> = {
    out: v * keep,
    dv: dO * keep,
    dq: s * k * v * dO * keep,
    dk: s * q * v * dO * keep,
  };
  const clear = Object.fromEntries(NAMES.map((t) => [t, term[t] > 0 && maxOf(r[t].data) >= CLEAR * term[t]])) as Record<
    Name,
    boolean
  >;
  return { clear, dqBelow1e3: maxOf(r.dq.data) < 1e-3, outAllZero: r.out.data.every((x) => x === 0) };
}

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// 1. Signal share.
const cases = SEEDS.flatMap((seed) => fc.sample(attentionCase(), { numRuns: Math.ceil(N_CASES / SEEDS.length), seed }));
const sig = cases.map(signalOf);
const every = sig.filter((x) => NAMES.every((t) => x.clear[t])).length;
console.log(
  `signal: ${cases.length} default cases (seeds ${SEEDS.join(',')}); clearly non-zero = max|t| >= ${CLEAR} x ` +
    `the size of its terms`,
);
console.log(`  every tensor clearly non-zero: ${every}/${cases.length} = ${pct(every, cases.length)}`);
console.log(
  `  per tensor: ${NAMES.map((t) => `${t} ${pct(sig.filter((x) => x.clear[t]).length, cases.length)}`).join(', ')}`,
);
console.log(
  `  max|dq| < 1e-3: ${sig.filter((x) => x.dqBelow1e3).length}; all-zero out: ` +
    `${sig.filter((x) => x.outAllZero).length}`,
);
const big = cases.filter(
  (c) => Math.max(c.shapes.Sq, c.shapes.Sk) > 12 || Math.max(c.shapes.D, c.shapes.Dv) > 12,
).length;
console.log(
  `  sizes: ${pct(big, cases.length)} with a length or head dim > 12; largest Sk ` +
    `${Math.max(...cases.map((c) => c.shapes.Sk))}, D ${Math.max(...cases.map((c) => c.shapes.D))}`,
);

// 2. Cases per second on defaults.
for (const name of KERNELS) {
  const kernel = await resolveKernel(name);
  const rates: number[] = [];
  for (const seed of SEEDS) {
    const r = await search({ suite: 'attention', kernel, seed, numRuns: RUNS });
    if (r.status !== 'clean') {
      console.error(`signal: ${name} failed on seed ${seed}: a benchmark of a failing kernel would time shrinking`);
      process.exit(1);
    }
    rates.push((r.cases * 1000) / r.elapsedMs);
  }
  console.log(
    `cases/s ${name}: median ${median(rates).toFixed(1)} (${rates.map((x) => x.toFixed(1)).join(', ')}; ` +
      `${RUNS} cases per seed)`,
  );
}
