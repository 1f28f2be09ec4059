/**
 * The KV-cache decode suite's stages (flash_attn_with_kvcache: a contiguous or paged cache,
 * cacheSeqlens, bottom-right causal within a row, forward only):
 *
 *   materialise  src/data: q and each row's keys from the seeds, rounded to the case's precision,
 *                laid out in the cache (pages shuffled), NaN in every slot no query may read
 *   reference    src/reference `referenceDecode`, float64; the same-precision baseline (the same,
 *                rounded at the contract's points) and out's error scales
 *   run          the kernel's `decode` on the active backend (src/execute `runDecodeKernel`); a NaN in
 *                out that finite values in the unread slots make go away is named as a read of them
 *                (the verdict's `why:`)
 *   specs        out, judged as attention's out (src/oracle `attentionTensorSpec`: the same error model)
 */
import {
  admitsDecodeCase,
  type DecodeCase,
  type DecodeCaseConstraints,
  decodeCase,
  decodeCaseSchema,
  hasPartialPage,
  parseDecodeCase,
  resolveDecodeConstraints,
} from '../../case/index.js';
import {
  type DecodeKernel,
  decodeShapes,
  type HostKernel,
  type HostTensor,
  isHostKernel,
  roundTo,
  unravel,
} from '../../contract/index.js';
import { type MaterialisedDecode, materialiseDecode, withUnreadSlots } from '../../data/index.js';
import { declinedReason, runDecodeKernel, runHostDecode } from '../../execute/index.js';
import { attentionTensorSpec, logitRoundings } from '../../oracle/index.js';
import { decodeTermScales, referenceDecode } from '../../reference/index.js';
import { type KernelOutcome, messageOf, parsedOnly, type Simplification, type Suite } from '../suite.js';

export interface DecodeExpectation {
  readonly reference: HostTensor;
  readonly baseline: HostTensor;
  readonly scales: ReturnType<typeof decodeTermScales>;
}

/** out of the kernel on the material (float32 up, NaN stays NaN, float64 down); throws what the kernel throws. */
const decodeOut = (kernel: DecodeKernel | HostKernel, m: MaterialisedDecode): Promise<HostTensor> =>
  isHostKernel(kernel)
    ? runHostDecode(kernel, m.q, m.cache, m.cacheSeqlens, m.options)
    : runDecodeKernel(kernel, m.q, m.cache, m.cacheSeqlens, m.options);

/** Why a host kernel declines a decode case (its precisions, then `supportsDecode`), or null. */
function declines(kernel: HostKernel, m: MaterialisedDecode): string | null {
  const p = kernel.precisions;
  if (p !== undefined && !p.includes(m.options.precision)) return `${kernel.name} computes in ${p.join(', ')} only`;
  if (!kernel.supportsDecode) return null;
  const s = decodeShapes(m.q.shape, m.cache, m.cacheSeqlens);
  const [kT, vT] = m.cache.kind === 'contiguous' ? [m.cache.k, m.cache.v] : [m.cache.kPages, m.cache.vPages];
  const answer = kernel.supportsDecode({
    options: m.options,
    cache: m.cache.kind,
    shapes: { B: s.B, Hq: s.Hq, Hkv: s.Hkv, Sq: s.Sq },
    D: kT.shape[3]!,
    Dv: vT.shape[3]!,
    capacity: s.capacity,
    pageSize: m.cache.kind === 'paged' ? m.cache.kPages.shape[1]! : null,
    cacheSeqlens: m.cacheSeqlens,
  });
  return answer === true ? null : String(answer);
}

const keys = (n: number) => `${n} key${n === 1 ? '' : 's'}`;
const span = (what: string, from: number, to: number) => (from === to ? `${what} ${from}` : `${what}s ${from}..${to}`);

/** Which slots of row b must not be read, in words. */
function unreadSlotsOf(c: DecodeCase, m: MaterialisedDecode, b: number): string {
  const len = c.cacheSeqlens[b]!;
  if (m.cache.kind === 'contiguous') {
    const S = m.cache.k.shape[2]!;
    return (
      `row ${b} holds ${keys(len)} in a cache of ${S} slots: ${span('slot', len, S - 1)} ` +
      `${len === S - 1 ? 'is' : 'are'} past cacheSeqlens`
    );
  }
  const P = m.cache.kPages.shape[1]!;
  const unused = c.cache.kind === 'paged' ? c.cache.unusedPages : 0;
  const pages = unused > 0 ? `; the cache has ${unused} unused page${unused === 1 ? '' : 's'}` : '';
  if (len % P === 0) return `row ${b} holds ${keys(len)} in pages of ${P} (no padding lane)${pages}`;
  const last = m.cache.blockTable[b]![Math.floor(len / P)]!;
  return (
    `row ${b} holds ${keys(len)} in pages of ${P}: ${span('lane', len % P, P - 1)} of its last page ` +
    `(physical page ${last}) ${len % P === P - 1 ? 'is' : 'are'} padding${pages}`
  );
}

/** The run stage (see the header). */
async function runDecodeCase(
  k: { readonly label: string; readonly decode?: DecodeKernel | HostKernel },
  c: DecodeCase,
  m: MaterialisedDecode,
): Promise<KernelOutcome<MaterialisedDecode>> {
  if (!k.decode) return { status: 'unsupported', reason: `${k.label} is not a decode kernel` };
  if (isHostKernel(k.decode)) {
    try {
      const reason = declines(k.decode, m);
      if (reason !== null) return { status: 'unsupported', reason };
    } catch (e) {
      return { status: 'threw', phase: 'forward', message: `supportsDecode: ${messageOf(e)}` };
    }
  }
  let out: HostTensor;
  try {
    out = await decodeOut(k.decode, m);
  } catch (e) {
    const declined = declinedReason(e);
    if (declined !== null) return { status: 'unsupported', reason: declined };
    return { status: 'threw', phase: 'forward', message: messageOf(e) };
  }
  const tensors = new Map([['out', out]]);
  const bad = out.data.findIndex((x) => !Number.isFinite(x));
  if (bad < 0) return { status: 'ok', tensors };
  let cause: string | null = null;
  try {
    const finite = await decodeOut(k.decode, withUnreadSlots(m, 0));
    // The NaN's batch row (out is [B, Hq, Sq, Dv]) is the row whose unread slots are named.
    const b = unravel(out.shape, bad)[0]!;
    if (finite.data.every(Number.isFinite))
      cause =
        `reads cache slots no query may read (NaN there reaches out; finite values there give a finite ` +
        `out): ${unreadSlotsOf(c, m, b)}`;
  } catch {
    // The rerun is only to explain; the verdict stands without it.
  }
  return { status: 'ok', tensors, ...(cause !== null ? { cause } : {}) };
}

/** One line a person reads: the cache, the lengths, the call. */
export function describeDecodeCase(c: DecodeCase): string {
  const s = c.shapes;
  const unused =
    c.cache.kind === 'paged' && c.cache.unusedPages > 0
      ? `, ${c.cache.unusedPages} unused page${c.cache.unusedPages === 1 ? '' : 's'}`
      : '';
  const cache =
    c.cache.kind === 'contiguous'
      ? `contiguous cache, Smax ${Math.max(1, ...c.cacheSeqlens) + c.cache.extraSlots}`
      : `paged cache, pageSize ${c.cache.pageSize}${unused}`;
  const partial = hasPartialPage(c) ? ' (a length is not a multiple of pageSize)' : '';
  const heads = s.Hq === s.Hkv ? `H ${s.Hq}` : `Hq ${s.Hq}, Hkv ${s.Hkv} (GQA)`;
  return (
    `decode: ${cache}; cacheSeqlens [${c.cacheSeqlens.join(', ')}]${partial}; Sq ${s.Sq}; ${heads}; D ` +
    `${s.D}, Dv ${s.Dv}; ${c.causal ? 'causal' : 'not causal'}; ` +
    `${c.scale === null ? '' : `scale ${c.scale}; `}${c.precision}`
  );
}

/** Simpler neighbours of a failing case, simplest-looking first (filtered by the schema). */
export function decodeNeighbours(c: DecodeCase): Simplification<DecodeCase>[] {
  const s = c.shapes;
  const lens = c.cacheSeqlens;
  const out: Simplification<DecodeCase>[] = [];
  const add = (step: string, n: DecodeCase) => out.push({ step, case: n });
  const shapes = (patch: Partial<DecodeCase['shapes']>): DecodeCase => ({ ...c, shapes: { ...s, ...patch } });
  if (s.B > 1)
    for (let b = 0; b < s.B; b++) add(`keep batch row ${b}`, { ...shapes({ B: 1 }), cacheSeqlens: [lens[b]!] });
  if (s.B > 2) add('B - 1', { ...shapes({ B: s.B - 1 }), cacheSeqlens: lens.slice(0, -1) });
  if (c.cache.kind === 'paged') add('contiguous cache', { ...c, cache: { kind: 'contiguous', extraSlots: 0 } });
  if (c.cache.kind === 'paged' && c.cache.unusedPages > 0)
    add('no unused page', { ...c, cache: { ...c.cache, unusedPages: 0 } });
  if (c.cache.kind === 'contiguous' && c.cache.extraSlots > 0)
    add('no extra slot', { ...c, cache: { ...c.cache, extraSlots: 0 } });
  if (s.Hq > s.Hkv) add('drop GQA (Hq = Hkv)', shapes({ Hq: s.Hkv }));
  if (s.Hkv > 1) add('one kv head', shapes({ Hkv: 1, Hq: s.Hq / s.Hkv }));
  if (s.Hq > 1 && s.Hkv === 1) add('one query head', shapes({ Hq: 1 }));
  if (c.causal) add('not causal', { ...c, causal: false });
  if (c.scale !== null) add('default scale', { ...c, scale: null });
  if (c.precision !== 'float32') add('float32', { ...c, precision: 'float32' });
  if (s.Sq > 1) add('Sq = 1', shapes({ Sq: 1 }));
  lens.forEach((len, b) => {
    if (len > 1) add(`cacheSeqlens[${b}] - 1`, { ...c, cacheSeqlens: lens.map((l, x) => (x === b ? len - 1 : l)) });
  });
  if (c.cache.kind === 'paged' && c.cache.pageSize > 2)
    add('pageSize - 1', { ...c, cache: { ...c.cache, pageSize: c.cache.pageSize - 1 } });
  if (s.D > 1) add('D = 1', shapes({ D: 1 }));
  if (s.Dv > 1) add('Dv = 1', shapes({ Dv: 1 }));
  if (s.D > 1) add('D - 1', shapes({ D: s.D - 1 }));
  if (s.Dv > 1) add('Dv - 1', shapes({ Dv: s.Dv - 1 }));
  return parsedOnly(out, parseDecodeCase);
}

export function decodeCaseSize(c: DecodeCase): number {
  const s = c.shapes;
  const cache = c.cache.kind === 'contiguous' ? c.cache.extraSlots : 1 + c.cache.pageSize + c.cache.unusedPages;
  const flags = [c.causal, c.scale !== null, c.precision !== 'float32'].filter(Boolean).length;
  return s.B + s.Hq + s.Hkv + s.Sq + s.D + s.Dv + c.cacheSeqlens.reduce((a, l) => a + l, 0) + cache + flags;
}

const host = (shape: number[], data: readonly number[]): HostTensor => ({ shape, data: Float64Array.from(data) });

export const decodeSuite: Suite<DecodeCase, MaterialisedDecode, DecodeExpectation, DecodeCaseConstraints> = {
  kind: 'decode',
  schema: decodeCaseSchema,
  parse: parseDecodeCase,
  arbitrary: (constraints) => decodeCase(constraints),
  admits: (constraints, c) => admitsDecodeCase(resolveDecodeConstraints(constraints), c),
  materialise: materialiseDecode,
  reference: (c, m) => ({
    reference: referenceDecode(m.q, m.cache, m.cacheSeqlens, m.options),
    baseline: referenceDecode(m.q, m.cache, m.cacheSeqlens, m.options, (x) => roundTo(c.precision, x)),
    scales: decodeTermScales(m.q, m.cache, m.cacheSeqlens, m.options),
  }),
  run: runDecodeCase,
  specs: (_k, c, _m, e) => [
    attentionTensorSpec('out', c.precision, e.reference, e.baseline, {
      ...e.scales,
      logit: e.scales.logit * logitRoundings(c.shapes.D),
      normalised: e.scales.keys,
    }),
  ],
  neighbours: decodeNeighbours,
  size: decodeCaseSize,
  describe: describeDecodeCase,
  inputs: (m) => {
    const c = m.cache;
    const lens: readonly [string, HostTensor] = ['cacheSeqlens', host([m.cacheSeqlens.length], m.cacheSeqlens)];
    if (c.kind === 'contiguous') return [['q', m.q], ['k', c.k], ['v', c.v], lens];
    return [
      ['q', m.q],
      ['kPages', c.kPages],
      ['vPages', c.vPages],
      ['blockTable', host([c.blockTable.length, c.blockTable[0]!.length], c.blockTable.flat())],
      lens,
    ];
  },
};
