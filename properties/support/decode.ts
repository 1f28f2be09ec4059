/**
 * KV-cache decode relations (src/contract/decode.ts) over the core's decode cases (src/case
 * `decodeCase`: contiguous or paged caches, page sizes drawn independently of the lengths, shuffled
 * physical pages, unused pages, NaN in every slot no query may read), run through the decode
 * suite's own stages (materialise, run: src/runner `decodeSuite`):
 *
 *   matchesReference     (differential.ts) the kernel passes the oracle on a decode case
 *   pagesPermuted        moving the physical pages (and the block table with them) changes no bit
 *   prefillThenDecode    a prefill of P queries and n decode steps of one query each, the cache
 *                        growing by one key per step, equal one causal call over all P + n
 */
import type { DecodeCase } from '../../src/case/index.js';
import { defaultOptions, type HostTensor, logicalKv, numel } from '../../src/contract/index.js';
import { type MaterialisedDecode, materialiseDecode } from '../../src/data/index.js';
import { decodeSuite, describeDecodeCase, flashKernel, type KernelUnderTest } from '../../src/runner/index.js';
import { compareTensors, type Tol } from './compare.js';
import type { Relation } from './engine.js';
import { sliceAxis } from './metamorphic-tensors.js';
import { run } from './run.js';

/** out of the kernel's decode on material `m` of case `c`; throws, failing the relation, unless it ran. */
export async function decodeOut(k: KernelUnderTest, c: DecodeCase, m: MaterialisedDecode): Promise<HostTensor> {
  const o = await decodeSuite.run(k, c, m);
  if (o.status !== 'ok')
    throw new Error(`${k.label} ${o.status === 'threw' ? `threw: ${o.message}` : `declined: ${o.reason}`}`);
  return o.tensors.get('out')!;
}

/** Another physical placement of the same pages: the same output, bit for bit. */
export function pagesPermuted(k: KernelUnderTest): Relation<DecodeCase> {
  return async (c) => {
    if (c.cache.kind !== 'paged') return null;
    const moved: DecodeCase = { ...c, cache: { ...c.cache, permutation: (c.cache.permutation + 1) >>> 0 } };
    const label = `${k.label} ${describeDecodeCase(c)}, pages permuted`;
    return compareTensors(
      label,
      await decodeOut(k, moved, materialiseDecode(moved)),
      await decodeOut(k, c, materialiseDecode(c)),
      'exact',
    );
  };
}

/**
 * Prefill with the first P queries (cache of P keys), then one query per step with the cache one
 * key longer each time, against one causal call of the contract's flash kernel over all S = P + n:
 * row 0 of the case with S = cacheSeqlens[0] (>= 1) queries, P = min(Sq, S).
 */
export function prefillThenDecode(k: KernelUnderTest, tol: Tol): Relation<DecodeCase> {
  return async (c) => {
    const S = Math.max(1, c.cacheSeqlens[0]!);
    const one: DecodeCase = { ...c, shapes: { ...c.shapes, B: 1, Sq: S }, cacheSeqlens: [S], causal: true };
    const m = materialiseDecode(one);
    const P = Math.min(c.shapes.Sq, S);
    // The cache holds all S keys; step t reads its first t + 1 (cacheSeqlens), the rest are the future.
    const step = (from: number, to: number) =>
      decodeOut(k, one, { ...m, q: sliceAxis(m.q, 2, from, to), cacheSeqlens: [to] });
    const steps: HostTensor[] = [await step(0, P)];
    for (let t = P; t < S; t++) steps.push(await step(t, t + 1));
    const { Hq, Hkv, D, Dv } = one.shapes;
    const kv = logicalKv(m.cache, 0, S); // row 0's keys in the contract layout
    const material = {
      shapes: { B: 1, Hq, Hkv, Sq: S, Sk: S, D, Dv },
      options: {
        ...defaultOptions({ D }),
        scale: m.options.scale,
        causal: 'bottom-right' as const,
        precision: m.options.precision,
      },
      inputs: { q: m.q, k: kv.k, v: kv.v, dOut: { shape: [1, Hq, S, Dv], data: new Float64Array(Hq * S * Dv) } },
    };
    const full = run(flashKernel, material).out;
    const cache = c.cache.kind === 'contiguous' ? 'contiguous' : `pageSize ${c.cache.pageSize}`;
    return compareTensors(
      `${k.label} prefill ${P} + ${S - P} decode steps (${cache}) vs one causal call over ${S}:`,
      concatRows(steps),
      full,
      tol,
      { natural: 1 },
    );
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
