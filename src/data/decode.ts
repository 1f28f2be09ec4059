/**
 * The tensors of a KV-cache decode case (src/case DecodeCase), made from its seeds:
 *
 *   q                      [B, Hq, Sq, D], N(0, 1), from the stream 'q'
 *   row b's keys / values  [Hkv, len_b, D|Dv], N(0, 1), from the streams 'k<b>' / 'v<b>': the same
 *                          logical keys whatever the cache's layout (contiguous, paged, any permutation)
 *   the cache              contiguous [B, Hkv, Smax, F], Smax = max(1, longest row) + extraSlots; or
 *                          pages [numPages, pageSize, Hkv, F] and blockTable [B, maxPages]: row b's
 *                          ceil(len_b / pageSize) pages, then unusedPages more, in an order shuffled
 *                          by the case's permutation; a row's block-table entries past its pages point
 *                          at the last physical page (never read, like any slot past len_b)
 *
 * Every value is rounded to the case's precision (the kernel and the reference see the same ones).
 * Every slot no query may read holds NaN: past cacheSeqlens, the padding lanes of a last page,
 * unused pages. A decode kernel must never read them, not even as 0·x (the contract), so a NaN in
 * its output where the reference is finite is a read of one of them.
 */
import type { DecodeCase } from '../case/index.js';
import { type DecodeOptions, type HostTensor, type KvCache, roundArray } from '../contract/index.js';
import { normals, stream } from './streams.js';

export interface MaterialisedDecode {
  readonly q: HostTensor;
  readonly cache: KvCache;
  readonly cacheSeqlens: readonly number[];
  readonly options: DecodeOptions;
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

export function materialiseDecode(c: DecodeCase): MaterialisedDecode {
  const { B, Hq, Hkv, Sq, D, Dv } = c.shapes;
  const lens = c.cacheSeqlens;
  const p = c.precision;
  const q = { shape: [B, Hq, Sq, D], data: roundArray(p, normals(stream(c.seed, 'q'), B * Hq * Sq * D)) };
  const options: DecodeOptions = { scale: c.scale ?? 1 / Math.sqrt(D), causal: c.causal, precision: p };
  // Logical keys and values of each row: [Hkv, len, F].
  const logical = (name: string, F: number) =>
    lens.map((len, b) => roundArray(p, normals(stream(c.seed, `${name}${b}`), Hkv * len * F)));
  const [lk, lv] = [logical('k', D), logical('v', Dv)];
  if (c.cache.kind === 'contiguous') {
    const Smax = Math.max(1, ...lens) + c.cache.extraSlots;
    const fill = (L: Float64Array[], F: number): HostTensor => {
      const data = new Float64Array(B * Hkv * Smax * F).fill(NaN);
      for (let b = 0; b < B; b++)
        for (let h = 0; h < Hkv; h++)
          data.set(L[b]!.subarray(h * lens[b]! * F, (h + 1) * lens[b]! * F), (b * Hkv + h) * Smax * F);
      return { shape: [B, Hkv, Smax, F], data };
    };
    return { q, cache: { kind: 'contiguous', k: fill(lk, D), v: fill(lv, Dv) }, cacheSeqlens: lens, options };
  }
  const P = c.cache.pageSize;
  const used = lens.map((len) => Math.ceil(len / P));
  const numPages = Math.max(1, used.reduce((a, n) => a + n, 0) + c.cache.unusedPages);
  const physical = shuffle(numPages, c.cache.permutation);
  let next = 0;
  const maxPages = Math.max(1, ...used);
  const blockTable = used.map((n) => {
    const row = Array.from({ length: n }, () => physical[next++]!);
    while (row.length < maxPages) row.push(physical[numPages - 1]!);
    return row;
  });
  const fill = (L: Float64Array[], F: number): HostTensor => {
    const data = new Float64Array(numPages * P * Hkv * F).fill(NaN);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < lens[b]!; j++) {
        const page = blockTable[b]![Math.floor(j / P)]!;
        for (let h = 0; h < Hkv; h++)
          data.set(
            L[b]!.subarray((h * lens[b]! + j) * F, (h * lens[b]! + j + 1) * F),
            ((page * P + (j % P)) * Hkv + h) * F,
          );
      }
    return { shape: [numPages, P, Hkv, F], data };
  };
  return {
    q,
    cache: { kind: 'paged', kPages: fill(lk, D), vPages: fill(lv, Dv), blockTable },
    cacheSeqlens: lens,
    options,
  };
}

/**
 * The same material with every slot no query may read (all NaN) set to `value`: what a kernel that reads them would see
 * with finite junk.
 */
export function withUnreadSlots(m: MaterialisedDecode, value: number): MaterialisedDecode {
  const fill = (t: HostTensor): HostTensor => ({
    shape: t.shape,
    data: t.data.map((x) => (Number.isNaN(x) ? value : x)),
  });
  const cache: KvCache =
    m.cache.kind === 'contiguous'
      ? { ...m.cache, k: fill(m.cache.k), v: fill(m.cache.v) }
      : { ...m.cache, kPages: fill(m.cache.kPages), vPages: fill(m.cache.vPages) };
  return { ...m, cache };
}
