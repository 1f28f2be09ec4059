/**
 * KV-cache decode cases and relations (src/contract/decode.ts):
 *
 *   decodeMatchesReference  the decode kernel equals the float64 reference, with NaN in every slot
 *                           it must not read (past cacheSeqlens, padding lanes of the last page,
 *                           unused pages)
 *   pagesPermuted           moving the physical pages (and the block table with them) changes no bit
 *   prefillThenDecode       a prefill of P queries and n decode steps of one query each, the cache
 *                           growing by one key per step, equal one causal call over all P + n
 *
 * Page sizes are drawn independently of the lengths, so they often do not divide them; the
 * physical pages are a random permutation, with unused pages among them.
 */
import fc from 'fast-check';
import { defaultOptions, logicalKv, numel, type DecodeKernel, type HostTensor, type KvCache } from '../../src/contract/index.js';
import { normals, stream } from '../../src/data/index.js';
import { runDecodeKernel } from '../../src/kernel/index.js';
import { referenceDecode } from '../../src/reference/index.js';
import { flashKernel } from '../../src/runner/index.js';
import { allFinite, compareTensors, type Tol } from './compare.js';
import { firstOf, type Relation } from './engine.js';
import { run } from './run.js';
import { sliceAxis } from './metamorphic-tensors.js';

export interface DecodeCase {
  readonly B: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly Sq: number;
  readonly D: number;
  readonly Dv: number;
  /** Keys per batch row (cacheSeqlens). */
  readonly lens: readonly number[];
  /** null: a contiguous cache with `extra` slots past the longest row. */
  readonly pageSize: number | null;
  /** Unused pages (paged) or slots past the longest row (contiguous), all NaN. */
  readonly extra: number;
  readonly causal: boolean;
  readonly seed: number;
  /** Seed of the physical page permutation. */
  readonly permutation: number;
}

export function decodeCases(): fc.Arbitrary<DecodeCase> {
  return fc
    .record({
      B: fc.integer({ min: 1, max: 3 }),
      Hkv: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      Sq: fc.integer({ min: 1, max: 3 }),
      D: fc.integer({ min: 1, max: 5 }),
      Dv: fc.integer({ min: 1, max: 5 }),
      lens: fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 3, maxLength: 3 }),
      pageSize: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null, freq: 3 }),
      extra: fc.integer({ min: 0, max: 3 }),
      causal: fc.boolean(),
      seed: fc.nat(),
      permutation: fc.nat(),
    })
    .map((r) => ({ ...r, Hq: r.Hkv * r.group, lens: r.lens.slice(0, r.B) }));
}

/** A seeded shuffle of 0..n-1. */
function shuffle(n: number, seed: number): number[] {
  const u = stream(seed, 'pages');
  const a = Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const m = Math.floor(u() * (k + 1));
    [a[k], a[m]] = [a[m]!, a[k]!];
  }
  return a;
}

/**
 * q and the cache of a case: the logical keys of row b are drawn from one stream whatever the
 * layout, so a contiguous and a paged cache (any permutation) hold the same keys; NaN elsewhere.
 */
export function materializeDecode(c: DecodeCase, permutation = c.permutation): { q: HostTensor; cache: KvCache } {
  const { B, Hq, Hkv, Sq, D, Dv, lens } = c;
  const q = { shape: [B, Hq, Sq, D], data: Float64Array.from(normals(stream(c.seed, 'q'), B * Hq * Sq * D), Math.fround) };
  // Logical keys per row: [Hkv, len, F].
  const logical = (name: string, F: number) => lens.map((len, b) => Float64Array.from(normals(stream(c.seed, `${name}${b}`), Hkv * len * F), Math.fround));
  const [lk, lv] = [logical('k', D), logical('v', Dv)];
  if (c.pageSize === null) {
    const Smax = Math.max(1, ...lens) + c.extra;
    const fill = (L: Float64Array[], F: number): HostTensor => {
      const data = new Float64Array(B * Hkv * Smax * F).fill(NaN);
      for (let b = 0; b < B; b++) for (let h = 0; h < Hkv; h++) data.set(L[b]!.subarray(h * lens[b]! * F, (h + 1) * lens[b]! * F), ((b * Hkv + h) * Smax) * F);
      return { shape: [B, Hkv, Smax, F], data };
    };
    return { q, cache: { kind: 'contiguous', k: fill(lk, D), v: fill(lv, Dv) } };
  }
  const P = c.pageSize;
  const used = lens.map((len) => Math.ceil(len / P));
  const numPages = used.reduce((a, n) => a + n, 0) + c.extra;
  const physical = shuffle(Math.max(numPages, 1), permutation);
  let next = 0;
  const maxPages = Math.max(1, ...used);
  const blockTable = used.map((n) => {
    const row = Array.from({ length: n }, () => physical[next++]!);
    // Entries past the row's pages are never read: point them at whatever page.
    while (row.length < maxPages) row.push(physical[physical.length - 1]!);
    return row;
  });
  const fill = (L: Float64Array[], F: number): HostTensor => {
    const data = new Float64Array(Math.max(numPages, 1) * P * Hkv * F).fill(NaN);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < lens[b]!; j++) {
        const page = blockTable[b]![Math.floor(j / P)]!;
        for (let h = 0; h < Hkv; h++) data.set(L[b]!.subarray((h * lens[b]! + j) * F, (h * lens[b]! + j + 1) * F), ((page * P + (j % P)) * Hkv + h) * F);
      }
    return { shape: [Math.max(numPages, 1), P, Hkv, F], data };
  };
  return { q, cache: { kind: 'paged', kPages: fill(lk, D), vPages: fill(lv, Dv), blockTable } };
}

/** Runs a decode kernel on host inputs (float32, scale 1/√D), returns out as float64. */
export function runDecode(kernel: DecodeKernel, q: HostTensor, cache: KvCache, lens: readonly number[], causal: boolean): HostTensor {
  return runDecodeKernel(kernel, q, cache, lens, { scale: 1 / Math.sqrt(q.shape[3]!), causal, precision: 'float32' });
}

const describeCase = (c: DecodeCase) => `${c.pageSize === null ? 'contiguous' : `paged (pageSize ${c.pageSize})`}, lens [${c.lens.join(',')}], Sq ${c.Sq}${c.causal ? ', causal' : ''}:`;

/** The kernel equals the float64 reference and is finite though every unread slot holds NaN. */
export function decodeMatchesReference(kernel: DecodeKernel, tol: Tol): Relation<DecodeCase> {
  return (c) => {
    const { q, cache } = materializeDecode(c);
    const got = runDecode(kernel, q, cache, c.lens, c.causal);
    const want = referenceDecode(q, cache, c.lens, { scale: 1 / Math.sqrt(c.D), causal: c.causal });
    const label = `${kernel.name} ${describeCase(c)}`;
    return firstOf(allFinite(`${label} out`, got), compareTensors(`${label} out`, got, want, tol, { natural: 1 }));
  };
}

/** Another physical placement of the same pages: the same output, bit for bit. */
export function pagesPermuted(kernel: DecodeKernel): Relation<DecodeCase> {
  return (c) => {
    if (c.pageSize === null) return null;
    const a = materializeDecode(c);
    const b = materializeDecode(c, c.permutation + 1);
    const label = `${kernel.name} ${describeCase(c)} pages permuted`;
    return compareTensors(label, runDecode(kernel, b.q, b.cache, c.lens, c.causal), runDecode(kernel, a.q, a.cache, c.lens, c.causal), 'exact');
  };
}

/**
 * Prefill with the first P queries (cache of P keys), then one query per step with the cache one
 * key longer each time, against one causal call of the contract's flash kernel over all S = P + n:
 * row b uses S = lens[b] (>= 1), P = min(Sq, S).
 */
export function prefillThenDecode(kernel: DecodeKernel, tol: Tol): Relation<DecodeCase> {
  return (c) => {
    const S = Math.max(1, c.lens[0]!);
    const one: DecodeCase = { ...c, B: 1, lens: [S], Sq: S, causal: true };
    const { q, cache } = materializeDecode(one);
    const P = Math.min(c.Sq, S);
    // The cache holds all S keys; step t reads its first t + 1 (cacheSeqlens), the rest are the future.
    const steps: HostTensor[] = [runDecode(kernel, sliceAxis(q, 2, 0, P), cache, [P], true)];
    for (let t = P; t < S; t++) steps.push(runDecode(kernel, sliceAxis(q, 2, t, t + 1), cache, [t + 1], true));
    const decoded = concatRows(steps);
    const k = logicalKv(cache, 0, S); // row 0's keys in the contract layout
    const m = { shapes: { B: 1, Hq: c.Hq, Hkv: c.Hkv, Sq: S, Sk: S, D: c.D, Dv: c.Dv }, options: { ...defaultOptions({ D: c.D }), causal: 'bottom-right' as const }, inputs: { q, k: k.k, v: k.v, dOut: { shape: [1, c.Hq, S, c.Dv], data: new Float64Array(c.Hq * S * c.Dv) } } };
    const full = run(flashKernel, m).out;
    return compareTensors(`${kernel.name} prefill ${P} + ${S - P} decode steps (${one.pageSize === null ? 'contiguous' : `pageSize ${one.pageSize}`}) vs one causal call over ${S}:`, decoded, full, tol, { natural: 1 });
  };
}

function concatRows(parts: HostTensor[]): HostTensor {
  const [, Hq, , Dv] = parts[0]!.shape as number[];
  const S = parts.reduce((a, p) => a + p.shape[2]!, 0);
  const data = new Float64Array(numel([1, Hq!, S, Dv!]));
  let i0 = 0;
  for (const p of parts) {
    const R = p.shape[2]!;
    for (let h = 0; h < Hq!; h++) data.set(p.data.subarray(h * R * Dv!, (h + 1) * R * Dv!), (h * S + i0) * Dv!);
    i0 += R;
  }
  return { shape: [1, Hq!, S, Dv!], data };
}
