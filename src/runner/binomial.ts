/**
 * The exact two-sided binomial test (R's binom.test, scipy's binomtest): the p-value of k successes
 * of n at probability p is the total probability of every count no more likely than k. Its
 * acceptance region at level alpha is an interval of counts around the mode (the pmf is unimodal),
 * found here in O(n log n) from the sorted pmf.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X = x) for x = 0..n, X ~ Binomial(n, p). */
function pmf(n: number, p: number): Float64Array {
  const out = new Float64Array(n + 1);
  if (p <= 0 || p >= 1) {
    out[p <= 0 ? 0 : n] = 1;
    return out;
  }
  const lg = logGamma(n + 1);
  for (let x = 0; x <= n; x++)
    out[x] = Math.exp(lg - logGamma(x + 1) - logGamma(n - x + 1) + x * Math.log(p) + (n - x) * Math.log1p(-p));
  return out;
}

/** The exact two-sided p-value: P(X at least as unlikely as k) for X ~ Binomial(n, p). */
export function binomialTwoSided(k: number, n: number, p: number): number {
  const logPmf = (x: number) =>
    logGamma(n + 1) - logGamma(x + 1) - logGamma(n - x + 1) + x * Math.log(p) + (n - x) * Math.log1p(-p);
  const observed = logPmf(k) + 1e-7; // relative slack for rounding, as R's binom.test
  let total = 0;
  for (let x = 0; x <= n; x++) {
    const l = logPmf(x);
    if (l <= observed) total += Math.exp(l);
  }
  return Math.min(1, total);
}

const memo = new Map<string, readonly [number, number]>();

/** The counts [lo, hi] the two-sided test accepts at level alpha (p-value >= alpha); memoised. */
export function binomialAcceptance(n: number, p: number, alpha: number): readonly [number, number] {
  const key = `${n}/${p}/${alpha}`;
  let region = memo.get(key);
  if (region === undefined) {
    region = acceptance(n, p, alpha);
    if (memo.size > 1000) memo.clear();
    memo.set(key, region);
  }
  return region;
}

function acceptance(n: number, p: number, alpha: number): readonly [number, number] {
  const f = pmf(n, p);
  // p-value(x) = Σ pmf(y) over pmf(y) <= pmf(x) (with R's relative slack for rounding): ascending cumulative sums.
  const order = [...f.keys()].sort((a, b) => f[a]! - f[b]!);
  let lo = n;
  let hi = 0;
  let cumulative = 0;
  for (let r = 0; r < order.length; ) {
    // Counts of (nearly) equal probability share one p-value.
    let end = r;
    let group = 0;
    while (end < order.length && f[order[end]!]! <= f[order[r]!]! * (1 + 1e-7)) group += f[order[end++]!]!;
    cumulative += group;
    if (cumulative >= alpha)
      for (let e = r; e < end; e++) [lo, hi] = [Math.min(lo, order[e]!), Math.max(hi, order[e]!)];
    r = end;
  }
  return [lo, hi];
}
