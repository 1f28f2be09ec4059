/**
 * The ort targets' direct harness (the CLI path, `check --kernel ort:*`, is the real one): a case travels
 * materialise (src/data) -> reference (its suite's) -> the host kernel's call -> judge (src/oracle,
 * forward tensors only: the ort targets have no backward), declined by the rules a tfjs kernel
 * meets (precisions, features, supports / supportsDecode).
 */
import type { AttentionCase, DecodeCase } from '../../src/case/index.js';
import {
  type HostArray,
  type HostArrayLike,
  type HostKernel,
  type HostKernelOptions,
  type HostTensor,
  hasEmptyRow,
  missingFeatures,
} from '../../src/contract/index.js';
import { materialiseAttention, materialiseDecode } from '../../src/data/index.js';
import type { Verdict } from '../../src/oracle/index.js';
import { attentionSuite, decodeSuite, judgeForwardOnly } from '../../src/runner/index.js';

const f32 = (t: HostTensor): HostArray => ({ shape: t.shape, data: Float32Array.from(t.data) });
const f64 = (t: HostArrayLike): HostTensor => ({ shape: t.shape, data: Float64Array.from(t.data) });

export type HostCheck =
  | { readonly status: 'unsupported'; readonly reason: string }
  | { readonly status: 'threw'; readonly message: string }
  | { readonly status: 'judged'; readonly verdict: Verdict; readonly out: HostTensor };

/** The host call of an attention case (what the executor will hand a host kernel). */
export function attentionCall(c: AttentionCase) {
  const m = materialiseAttention(c);
  const o = m.options;
  const options: HostKernelOptions = {
    ...o,
    mask: o.mask === null ? null : { shape: o.mask.shape, data: o.mask.data },
    dropout: o.dropout,
    alibiSlopes: o.alibiSlopes == null ? null : f32(o.alibiSlopes),
    bias: o.bias == null ? null : f32(o.bias),
    sinks: o.sinks == null ? null : f32(o.sinks),
  } as HostKernelOptions;
  return { m, call: { q: f32(m.inputs.q), k: f32(m.inputs.k), v: f32(m.inputs.v), options, dOut: null } };
}

/** The host call of a decode case. */
export function decodeCall(c: DecodeCase) {
  const m = materialiseDecode(c);
  const cache =
    m.cache.kind === 'contiguous'
      ? { kind: 'contiguous' as const, k: f32(m.cache.k), v: f32(m.cache.v) }
      : { ...m.cache, kPages: f32(m.cache.kPages), vPages: f32(m.cache.vPages) };
  return { m, call: { q: f32(m.q), cache, cacheSeqlens: m.cacheSeqlens, options: m.options } };
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One attention case through a host kernel, judged. */
export async function checkHostAttention(k: HostKernel, c: AttentionCase): Promise<HostCheck> {
  const { m, call } = attentionCall(c);
  if (k.precisions && !k.precisions.includes(c.precision))
    return { status: 'unsupported', reason: `${k.name} does not compute in ${c.precision}` };
  const missing = missingFeatures(m.options, k.features);
  if (missing.length > 0) return { status: 'unsupported', reason: `does not declare ${missing.join(', ')}` };
  const { mask, ...rest } = m.options;
  const query = {
    ...rest,
    mask: mask === null ? null : { shape: mask.shape },
    emptyRows: hasEmptyRow(m.options, m.shapes),
  };
  const ok = k.supports?.(query, m.shapes) ?? true;
  if (ok !== true) return { status: 'unsupported', reason: ok };
  let out: HostTensor;
  try {
    out = f64((await k.run!(call)).out);
  } catch (e) {
    return { status: 'threw', message: messageOf(e) };
  }
  const specs = attentionSuite.specs(undefined as never, c, m, attentionSuite.reference(c, m));
  return { status: 'judged', verdict: judgeForwardOnly(new Map([['out', out]]), specs), out };
}

/** One decode case through a host kernel, judged. */
export async function checkHostDecode(k: HostKernel, c: DecodeCase): Promise<HostCheck> {
  const { m, call } = decodeCall(c);
  if (k.precisions && !k.precisions.includes(c.precision))
    return { status: 'unsupported', reason: `${k.name} does not compute in ${c.precision}` };
  const s = c.shapes;
  const capacity =
    m.cache.kind === 'contiguous' ? m.cache.k.shape[2]! : m.cache.blockTable[0]!.length * m.cache.kPages.shape[1]!;
  const ok =
    k.supportsDecode?.({
      options: m.options,
      cache: m.cache.kind,
      shapes: { B: s.B, Hq: s.Hq, Hkv: s.Hkv, Sq: s.Sq },
      D: s.D,
      Dv: s.Dv,
      capacity,
      pageSize: m.cache.kind === 'paged' ? m.cache.kPages.shape[1]! : null,
      cacheSeqlens: m.cacheSeqlens,
    }) ?? true;
  if (ok !== true) return { status: 'unsupported', reason: ok };
  let out: HostTensor;
  try {
    out = f64(await k.decode!(call));
  } catch (e) {
    return { status: 'threw', message: messageOf(e) };
  }
  const specs = decodeSuite.specs(undefined as never, c, m, decodeSuite.reference(c, m));
  return { status: 'judged', verdict: judgeForwardOnly(new Map([['out', out]]), specs), out };
}

/** What a batch of cases gave: counts by outcome, the failures (case and verdict), the forms drawn. */
export interface HostSample {
  readonly counts: Record<string, number>;
  readonly failures: { readonly case: unknown; readonly what: string }[];
  readonly forms: Set<string>;
}

/** Every case through the kernel (attention or decode by kind), with the forms each call drew. */
export async function sampleHost(
  k: HostKernel & { readonly ortPlan?: (call: never) => { readonly forms: { readonly chosen: object } } },
  cases: readonly (AttentionCase | DecodeCase)[],
  explain: (c: AttentionCase | DecodeCase, out: HostTensor) => boolean = () => false,
): Promise<HostSample> {
  const s: HostSample = { counts: {}, failures: [], forms: new Set() };
  for (const c of cases) {
    const r = c.kind === 'decode' ? await checkHostDecode(k, c) : await checkHostAttention(k, c);
    let key: string = r.status === 'judged' ? r.verdict.status : r.status;
    if (r.status === 'judged' && key !== 'pass' && explain(c, r.out)) key = 'explained';
    s.counts[key] = (s.counts[key] ?? 0) + 1;
    if (r.status !== 'unsupported' && k.ortPlan) {
      const call = c.kind === 'decode' ? decodeCall(c).call : attentionCall(c).call;
      for (const [n, v] of Object.entries(k.ortPlan(call as never).forms.chosen)) s.forms.add(`${n}=${v}`);
    }
    if (key !== 'pass' && key !== 'unsupported' && key !== 'explained')
      s.failures.push({
        case: c,
        what: r.status === 'judged' ? JSON.stringify(r.verdict).slice(0, 400) : JSON.stringify(r),
      });
  }
  return s;
}
