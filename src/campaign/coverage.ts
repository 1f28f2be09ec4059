/**
 * The case space a campaign actually drew, as histograms (report.json, index.html): each case
 * gives one `axis=bucket` per axis of its kind. Numbers up to 16 are their own bucket, larger ones
 * fall in powers of two (17-32, 33-64, ...), so the deep profile's long sequences stay readable.
 *
 *   attention  B, heads (Hq/Hkv), Sq, Sk, D, Dv, mask, causal, dtype, layout, values, padding,
 *              window, dropout, junk
 *   lora       N, in, out, rank, dtype, dropout
 *   training   layout, sequences, longest, layers, heads (Hq/Hkv), steps
 *   decode     cache (contiguous | paged), pageSize, pageDivides (every length a multiple of the page
 *              size: yes | no), B, heads (Hq/Hkv), Sq, longest row, emptyRow, D, Dv, causal, dtype
 */
import { hasPartialPage } from '../case/index.js';
import type { AnyCase } from '../runner/index.js';

export function bucket(n: number): string {
  if (n <= 16) return String(n);
  const hi = 2 ** Math.ceil(Math.log2(n));
  return `${hi / 2 + 1}-${hi}`;
}

/** The `axis=bucket` strings of one case (axis names are prefixed by the case's kind). */
export function coverageOf(c: AnyCase): string[] {
  const out: Array<[string, string | number]> = [];
  switch (c.kind) {
    case 'attention': {
      const s = c.shapes;
      out.push(['B', s.B], ['heads', `${s.Hq}/${s.Hkv}`], ['Sq', s.Sq], ['Sk', s.Sk], ['D', s.D], ['Dv', s.Dv]);
      out.push([
        'mask',
        c.mask === null ? 'none' : `${c.mask.broadcastBatch ? '1' : 'B'}x${c.mask.broadcastHeads ? '1' : 'H'}`,
      ]);
      out.push(['causal', c.causal], ['dtype', c.precision], ['layout', c.layout], ['values', c.values]);
      out.push(
        ['padding', c.keyLengths === null ? 'none' : c.paddingSide],
        ['window', c.window === null ? 'none' : 'yes'],
      );
      out.push(['dropout', c.dropout === null ? 'none' : String(c.dropout.p)], ['junk', c.junk]);
      break;
    }
    case 'lora':
      out.push(
        ['N', c.N],
        ['in', c.in],
        ['out', c.out],
        ['rank', c.rank],
        ['dtype', c.precision],
        ['dropout', c.dropout === null ? 'none' : String(c.dropout.p)],
      );
      break;
    case 'training':
      out.push(
        ['layout', c.batch.layout],
        ['sequences', c.batch.lengths.length],
        ['longest', Math.max(...c.batch.lengths)],
      );
      out.push(['layers', c.model.layers], ['heads', `${c.model.heads}/${c.model.kvHeads}`], ['steps', c.steps]);
      break;
    case 'decode': {
      const s = c.shapes;
      const P = c.cache.kind === 'paged' ? c.cache.pageSize : null;
      out.push(
        ['cache', c.cache.kind],
        ['pageSize', P ?? 'none'],
        ['pageDivides', P === null ? 'none' : hasPartialPage(c) ? 'no' : 'yes'],
      );
      out.push(
        ['B', s.B],
        ['heads', `${s.Hq}/${s.Hkv}`],
        ['Sq', s.Sq],
        ['longest', Math.max(...c.cacheSeqlens)],
        ['emptyRow', c.cacheSeqlens.includes(0) ? 'yes' : 'no'],
      );
      out.push(['D', s.D], ['Dv', s.Dv], ['causal', String(c.causal)], ['dtype', c.precision]);
      break;
    }
    case 'upstream':
      out.push(['op', c.op]);
  }
  return out.map(([axis, v]) => `${c.kind}.${axis}=${typeof v === 'number' ? bucket(v) : v}`);
}

/** Counts by kind.axis, then bucket. */
export type Coverage = Record<string, Record<string, number>>;

export function addCoverage(into: Coverage, sample: readonly string[]): void {
  for (const s of sample) {
    const eq = s.indexOf('=');
    const axis = s.slice(0, eq);
    const b = s.slice(eq + 1);
    const h = (into[axis] ??= {});
    h[b] = (h[b] ?? 0) + 1;
  }
}
