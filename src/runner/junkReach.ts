/**
 * Why a case with huge finite junk failed, when the junk is the reason: a key no query may see
 * (src/data writes ±1e24, or ±32 in float16, into K and V there) reached an output. The classic
 * cause is an additive mask: the kernel adds a large finite negative (-1e9, finfo.min) to a masked
 * logit instead of excluding the key, and the junk key's own logit, scale·q·k of order 1e24, is
 * larger still, so it wins the softmax (tfjs-layers' MultiHeadAttention does this). The same
 * design breaks under large logit offsets and when mask + logit overflows in float16. The oracle
 * alone prints a huge `out` and no reason; here the kernel runs again, judged by the same specs:
 *
 *   1. without the junk (the drawn values at those keys): if it then passes, the junk did it;
 *   2. with junk at half of the hidden keys, keeping the half that still fails, down to one key,
 *      which the message names with its logit.
 *
 * A few extra runs (2 + log2 of the hidden keys), only for a case that already failed.
 */
import type { AttentionCase } from '../case/index.js';
import type { AttentionKernel, HostKernel, HostTensor } from '../contract/index.js';
import { invisibleKeys, materialiseAttention } from '../data/index.js';
import { attentionTensors } from '../oracle/index.js';
import { runAttention } from './runAttention.js';

/** True when the kernel's tensors fail the case's specs (the verdict the check reached). */
export type Fails = (tensors: ReadonlyMap<string, HostTensor>) => boolean;

/** Whether the kernel fails case `c` with huge junk only at the hidden keys in `junk`. */
async function failsWithJunkAt(
  kernel: AttentionKernel | HostKernel,
  c: AttentionCase,
  junk: ReadonlySet<number>,
  fails: Fails,
): Promise<boolean> {
  const m = materialiseAttention(c, { junkRows: (row) => junk.has(row) });
  const o = await runAttention(kernel, m, c.layout, c.view);
  if (o.status === 'ok') return fails(attentionTensors(o.result));
  if (o.status === 'forward-only') return fails(new Map([['out', o.out]]));
  return false;
}

/** The largest |scale·q_i·k_j| over the queries of key row `row`'s kv-head group, signed. */
function largestLogit(c: AttentionCase, row: number): number {
  const m = materialiseAttention(c, { junkRows: (r) => r === row });
  const { Hq, Hkv, Sq, Sk, D } = c.shapes;
  const [b, g, j] = [Math.floor(row / (Hkv * Sk)), Math.floor(row / Sk) % Hkv, row % Sk];
  const group = Hq / Hkv;
  let best = 0;
  for (let h = g * group; h < (g + 1) * group; h++)
    for (let i = 0; i < Sq; i++) {
      let s = 0;
      for (let d = 0; d < D; d++)
        s += m.inputs.q.data[((b * Hq + h) * Sq + i) * D + d]! * m.inputs.k.data[((b * Hkv + g) * Sk + j) * D + d]!;
      s *= m.options.scale;
      if (Math.abs(s) > Math.abs(best)) best = s;
    }
  return best;
}

/**
 * The reason a case with huge junk failed, when removing the junk makes it pass: the key whose junk
 * reaches an output, its logit, and the likely cause; null when the junk is not the reason.
 */
export async function hugeJunkRead(
  kernel: AttentionKernel | HostKernel,
  c: AttentionCase,
  fails: Fails,
): Promise<string | null> {
  if (c.junk !== 'huge') return null;
  const hidden = invisibleKeys(materialiseAttention({ ...c, junk: 'none' }).options, c.shapes);
  let rows = [...hidden.keys()].filter((r) => hidden[r] === 1);
  const failsAt = (junk: readonly number[]) => failsWithJunkAt(kernel, c, new Set(junk), fails);
  if (rows.length === 0 || (await failsAt([])) || !(await failsAt(rows))) return null;
  while (rows.length > 1) {
    const half = rows.slice(0, rows.length >> 1);
    const rest = rows.slice(rows.length >> 1);
    if (await failsAt(half)) rows = half;
    else if (await failsAt(rest)) rows = rest;
    else break; // only the junk of keys in both halves together makes it fail
  }
  const { Hkv, Sk } = c.shapes;
  const row = rows[0]!;
  const key = `key ${row % Sk} (b=${Math.floor(row / (Hkv * Sk))}, kv head ${Math.floor(row / Sk) % Hkv})`;
  const which = rows.length === 1 ? key : `${rows.length} such keys together (first ${key})`;
  return (
    `a key no query may see reaches the output with its finite junk: ${which}, logit scale·q·k up to ` +
    `${largestLogit(c, row).toExponential(2)}; likely a finite additive mask (a large negative added to the ` +
    'logit) instead of excluding the key, which a larger logit beats (so do large logit offsets and float16 ' +
    'overflow); if that is the design, check the rest with --junk none'
  );
}
