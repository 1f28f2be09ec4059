/**
 * Host kernel calls as run frames, and result frames as host kernel results (docs/PROTOCOL.md):
 *
 *   attention  options { scale, causal, window, keyLengths, paddingSide, precision, softcap, dropout: { p, seed } }
 *              emptyRows, backward; buffers q, k, v, [mask u8], [keep u8], [alibiSlopes], [bias], [sinks], [dOut]
 *              -> out, [lse], dq, dk, dv, [dbias], [dsinks], [keep]
 *   decode     options { scale, causal, precision }, cache, cacheSeqlens, [blockTable];
 *              buffers q, k, v (contiguous) or kPages, vPages (paged) -> out
 *   lora       spec { rank, alpha, rslora, dropout, precision }; buffers x, W0, A, B, [keep u8], dY
 *              -> y, dx, dA, dB
 */
import {
  type HostArray,
  type HostArrayLike,
  type HostAttentionCall,
  type HostAttentionResult,
  type HostDecodeCall,
  type HostLoraCall,
  type HostLoraResult,
  hasEmptyRow,
} from '../../contract/index.js';
import { scalarOptions } from '../wireOptions.js';
import type { Frame, FrameBuffer } from './frames.js';

/** A run request before its id: the header's fields and the buffers. */
export interface RunRequest {
  readonly header: Record<string, unknown> & { readonly suite: string };
  readonly buffers: FrameBuffer[];
}

const f32 = (name: string, t: HostArray): FrameBuffer => ({ name, dtype: 'float32', shape: t.shape, data: t.data });
const u8 = (name: string, t: { shape: readonly number[]; data: Uint8Array }): FrameBuffer => ({
  name,
  dtype: 'uint8',
  shape: t.shape,
  data: t.data,
});

export function attentionRequest(call: HostAttentionCall): RunRequest {
  const { q, k, v, options: o, dOut } = call;
  const [B, Hq, Sq] = q.shape as [number, number, number, number];
  const Sk = k.shape[2]!;
  const buffers = [f32('q', q), f32('k', k), f32('v', v)];
  if (o.mask !== null) buffers.push(u8('mask', o.mask));
  if (o.dropout?.keep != null && o.dropout.p > 0) buffers.push(u8('keep', o.dropout.keep));
  if (o.alibiSlopes != null) buffers.push(f32('alibiSlopes', o.alibiSlopes));
  if (o.bias != null) buffers.push(f32('bias', o.bias));
  if (o.sinks != null) buffers.push(f32('sinks', o.sinks));
  if (dOut !== null) buffers.push(f32('dOut', dOut));
  const options = scalarOptions(o);
  const emptyRows = hasEmptyRow(o, { B, Hq, Sq, Sk });
  return { header: { suite: 'attention', options, emptyRows, backward: dOut !== null }, buffers };
}

export function decodeRequest(call: HostDecodeCall): RunRequest {
  const { q, cache, cacheSeqlens, options } = call;
  const buffers =
    cache.kind === 'contiguous'
      ? [f32('q', q), f32('k', cache.k), f32('v', cache.v)]
      : [f32('q', q), f32('kPages', cache.kPages), f32('vPages', cache.vPages)];
  const header = {
    suite: 'decode',
    options: { scale: options.scale, causal: options.causal, precision: options.precision },
    cache: cache.kind,
    cacheSeqlens,
    ...(cache.kind === 'paged' ? { blockTable: cache.blockTable } : {}),
  };
  return { header, buffers };
}

export function loraRequest(call: HostLoraCall): RunRequest {
  const { x, W0, A, B, spec, keep, dY } = call;
  const buffers = [f32('x', x), f32('W0', W0), f32('A', A), f32('B', B)];
  if (keep !== null) buffers.push(u8('keep', keep));
  buffers.push(f32('dY', dY));
  const s = { rank: spec.rank, alpha: spec.alpha, rslora: spec.rslora, dropout: spec.dropout };
  return { header: { suite: 'lora', spec: { ...s, precision: spec.precision ?? 'float32' } }, buffers };
}

/** The result's buffers by name; an unknown name or a repeated one is the worker's error. */
function byName(frame: Frame, allowed: readonly string[], what: string): Map<string, HostArrayLike> {
  const m = new Map<string, HostArrayLike>();
  for (const b of frame.buffers) {
    if (!allowed.includes(b.name))
      throw new Error(`worker: ${what} result has a buffer "${b.name}" (expected ${allowed.join(', ')})`);
    if (m.has(b.name)) throw new Error(`worker: ${what} result has buffer "${b.name}" twice`);
    m.set(b.name, { shape: b.shape, data: b.data });
  }
  return m;
}

function required(m: Map<string, HostArrayLike>, name: string, what: string): HostArrayLike {
  const t = m.get(name);
  if (t === undefined) throw new Error(`worker: ${what} result has no buffer "${name}"`);
  return t;
}

const ATTENTION_RESULT = ['out', 'lse', 'dq', 'dk', 'dv', 'dbias', 'dsinks', 'keep'] as const;

/** A result frame as the host kernel's attention result (the judge checks shapes and which tensors came). */
export function attentionResult(frame: Frame, what: string): HostAttentionResult {
  const m = byName(frame, ATTENTION_RESULT, what);
  const out = required(m, 'out', what);
  const rest = Object.fromEntries(ATTENTION_RESULT.filter((n) => n !== 'out' && m.has(n)).map((n) => [n, m.get(n)!]));
  return { out, ...rest };
}

export function decodeResult(frame: Frame, what: string): HostArrayLike {
  return required(byName(frame, ['out'], what), 'out', what);
}

export function loraResult(frame: Frame, what: string): HostLoraResult {
  const m = byName(frame, ['y', 'dx', 'dA', 'dB'], what);
  return {
    y: required(m, 'y', what),
    dx: required(m, 'dx', what),
    dA: required(m, 'dA', what),
    dB: required(m, 'dB', what),
  };
}
