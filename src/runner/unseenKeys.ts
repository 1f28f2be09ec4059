/**
 * Why a NaN reached a kernel's output in a case with NaN junk. The junk sits at keys no query of
 * their kv-head group may see (src/data), so a kernel that reads them, as P·V over all keys does
 * (0·NaN = NaN), turns correct math into NaN: the oracle alone would say "out NONFINITE got NaN
 * where ref=0", which reads as "your empty rows are NaN". Here the kernel runs again:
 *
 *   1. with huge finite junk at every hidden key: if it is then finite, the NaN came from the junk;
 *   2. with NaN at half of the hidden keys (huge at the others), keeping the half that still gives
 *      NaN, down to one key, which the message names.
 *
 * A few extra runs (1 + log2 of the hidden keys), and only for a case that already failed.
 */
import type { AttentionCase } from '../case/index.js';
import { type AttentionKernel, type HostKernel, type HostTensor, unravel } from '../contract/index.js';
import { invisibleKeys, materialiseAttention } from '../data/index.js';
import { ATTENTION_AXES, attentionTensors } from '../oracle/index.js';
import { runAttention } from './runAttention.js';

/** The first non-finite element over `tensors` (in their order), or null. */
export function firstNonFinite(tensors: ReadonlyMap<string, HostTensor>): { tensor: string; index: number[] } | null {
  for (const [name, t] of tensors) {
    // An lse of -inf is the contract's value for a row with no visible key, not a leak.
    const n = t.data.findIndex((x) => !Number.isFinite(x) && !(name === 'lse' && x === -Infinity));
    if (n >= 0) return { tensor: name, index: unravel(t.shape, n) };
  }
  return null;
}

/**
 * The tensors of `kernel` on case `c` with NaN junk only at the hidden keys in `nan` (huge junk at the others); null if
 * it did not run.
 */
async function runWithNanAt(
  kernel: AttentionKernel | HostKernel,
  c: AttentionCase,
  nan: ReadonlySet<number>,
): Promise<Map<string, HostTensor> | null> {
  const m = materialiseAttention(c, { nanRows: (row) => nan.has(row) });
  const o = await runAttention(kernel, m, c.layout, c.view);
  if (o.status === 'ok') return attentionTensors(o.result);
  if (o.status === 'forward-only') return new Map([['out', o.out]]);
  return null;
}

const where = (tensor: string, index: readonly number[]) => {
  const axes = ATTENTION_AXES[tensor as keyof typeof ATTENTION_AXES];
  return `${tensor} @ ${axes ? index.map((x, n) => `${axes[n]}=${x}`).join(' ') : `[${index.join(',')}]`}`;
};

/**
 * The reason a NaN reached an output of `c` (a case with NaN junk), when it came from reading keys
 * no query may see: `reads keys it must not see (0·NaN): ...` naming one such key and where its NaN
 * lands; null when the kernel gives a non-finite value without any NaN junk too (another bug).
 */
export async function unseenKeyRead(kernel: AttentionKernel | HostKernel, c: AttentionCase): Promise<string | null> {
  if (c.junk !== 'nan') return null;
  const hidden = invisibleKeys(materialiseAttention({ ...c, junk: 'none' }).options, c.shapes);
  let rows = [...hidden.keys()].filter((r) => hidden[r] === 1);
  const leak = async (nan: readonly number[]) => {
    const t = await runWithNanAt(kernel, c, new Set(nan));
    return t === null ? null : firstNonFinite(t);
  };
  if (rows.length === 0 || (await leak([])) !== null) return null;
  let at = await leak(rows);
  if (at === null) return null;
  while (rows.length > 1) {
    const half = rows.slice(0, rows.length >> 1);
    const rest = rows.slice(rows.length >> 1);
    const inHalf = await leak(half);
    const inRest = inHalf === null ? await leak(rest) : null;
    if (inHalf === null && inRest === null) break; // only NaN at keys of both halves together gives NaN
    [rows, at] = inHalf !== null ? [half, inHalf] : [rest, inRest!];
  }
  const { Hkv, Sk } = c.shapes;
  const name = (row: number) =>
    `key ${row % Sk} (b=${Math.floor(row / (Hkv * Sk))}, kv head ${Math.floor(row / Sk) % Hkv})`;
  const keys =
    rows.length === 1
      ? `NaN at ${name(rows[0]!)}`
      : `NaN at ${rows.length} such keys together (first ${name(rows[0]!)})`;
  return `reads keys it must not see (0·NaN): ${keys}, which no query may see, reaches ${where(at.tensor, at.index)}`;
}
