/**
 * Memory layouts: the same q/k/v values handed to a contract-layout kernel with different tfjs
 * provenance, as a real caller would produce them. The kernel always receives [B, H, S, D]
 * tensors; what differs is the chain of ops they come from (and that gradients flow back through):
 *
 *   BHSD        q, k, v uploaded as they are                          (contiguous, the contract)
 *   BSHD        [B, S, H, D] buffers uploaded, then tf.transpose'd   (flash-attn / transformers order)
 *   packed-qkv  one [B, S, Hq·D + Hkv·D + Hkv·Dv] buffer (a fused QKV projection's output), each of
 *               q, k, v sliced from the last dim, reshaped to [B, S, H, D], transposed; when Sq != Sk
 *               q is uploaded alone (BSHD) and k, v share one packed KV buffer (kvpacked)
 *   strided     each tensor cut from a larger flat buffer: it starts `offset` elements in and each
 *               innermost row is followed by `gap` unused elements, filled with NaN: a kernel that
 *               reads outside its view returns NaN
 *
 * Gradients: every view is a selection without overlap, so the gradient of a view is the same
 * view of the gradient of its buffer; `views` is applied to the buffers' gradients to get dq, dk, dv
 * in the contract layout.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend/index.js';
import type { Layout, StridedView } from '../case/index.js';
import type { AttentionInputs, AttentionShapes, HostTensor } from '../contract/index.js';

export interface LaidOut {
  /** Host buffers to upload (as float32): the tensors gradients are taken with respect to. */
  readonly buffers: ReadonlyArray<{ readonly shape: readonly number[]; readonly data: Float32Array }>;
  /** From the buffers (or their gradients) to q, k, v in the contract layout, by tfjs ops. */
  views(buffers: readonly Tensor[]): [Tensor4D, Tensor4D, Tensor4D];
}

/** [B, H, S, D] row-major -> [B, S, H, D] row-major. */
function toBSHD(t: HostTensor): Float32Array {
  const [B, H, S, D] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < S; s++)
        for (let d = 0; d < D; d++) out[((b * S + s) * H + h) * D + d] = t.data[((b * H + h) * S + s) * D + d]!;
  return out;
}

const fromBSHD = (x: Tensor, B: number, S: number, H: number, D: number) =>
  tf.transpose(tf.reshape(x, [B, S, H, D]), [0, 2, 1, 3]) as Tensor4D;

/** Packs tensors given as [B, H, S, Di] into one [B, S, Σ H·Di] buffer. */
function pack(ts: readonly HostTensor[]): { shape: number[]; data: Float32Array } {
  const [B, , S] = ts[0]!.shape as [number, number, number, number];
  const widths = ts.map((t) => t.shape[1]! * t.shape[3]!);
  const W = widths.reduce((a, b) => a + b, 0);
  const data = new Float32Array(B * S * W);
  let col0 = 0;
  ts.forEach((t, n) => {
    const bshd = toBSHD(t);
    const w = widths[n]!;
    for (let r = 0; r < B * S; r++) for (let c = 0; c < w; c++) data[r * W + col0 + c] = bshd[r * w + c]!;
    col0 += w;
  });
  return { shape: [B, S, W], data };
}

/** Slices the packed buffer back into [B, H, S, Di] tensors. */
function unpack(buffer: Tensor, parts: ReadonlyArray<readonly [number, number]>, B: number, S: number): Tensor4D[] {
  let col0 = 0;
  return parts.map(([H, Di]) => {
    const x = tf.slice(buffer, [0, 0, col0], [B, S, H * Di]);
    col0 += H * Di;
    return fromBSHD(x, B, S, H, Di);
  });
}

function stridedBuffer(t: HostTensor, view: StridedView): { shape: number[]; data: Float32Array } {
  const D = t.shape[3]!;
  const rows = t.data.length / D;
  const data = new Float32Array(view.offset + rows * (D + view.gap)).fill(NaN);
  for (let r = 0; r < rows; r++)
    for (let d = 0; d < D; d++) data[view.offset + r * (D + view.gap) + d] = t.data[r * D + d]!;
  return { shape: [data.length], data };
}

function stridedView(buffer: Tensor, shape: readonly number[], view: StridedView): Tensor4D {
  const [B, H, S, D] = shape as [number, number, number, number];
  const rows = B * H * S;
  const body = tf.reshape(tf.slice(buffer, [view.offset], [rows * (D + view.gap)]), [rows, D + view.gap]);
  return tf.reshape(tf.slice(body, [0, 0], [rows, D]), [B, H, S, D]) as Tensor4D;
}

/** How q, k, v of `inputs` are laid out for `layout`. */
export function layOut(
  inputs: Pick<AttentionInputs, 'q' | 'k' | 'v'>,
  s: AttentionShapes,
  layout: Layout,
  view: StridedView,
): LaidOut {
  const { q, k, v } = inputs;
  const f32 = (t: HostTensor) => ({ shape: [...t.shape], data: Float32Array.from(t.data) });
  switch (layout) {
    case 'BHSD':
      return { buffers: [f32(q), f32(k), f32(v)], views: ([a, b, c]) => [a as Tensor4D, b as Tensor4D, c as Tensor4D] };
    case 'BSHD':
      return {
        buffers: [q, k, v].map((t) => ({
          shape: [t.shape[0]!, t.shape[2]!, t.shape[1]!, t.shape[3]!],
          data: toBSHD(t),
        })),
        views: ([a, b, c]) => [
          fromBSHD(a!, s.B, s.Sq, s.Hq, s.D),
          fromBSHD(b!, s.B, s.Sk, s.Hkv, s.D),
          fromBSHD(c!, s.B, s.Sk, s.Hkv, s.Dv),
        ],
      };
    case 'packed-qkv':
      if (s.Sq === s.Sk) {
        return {
          buffers: [pack([q, k, v])],
          views: ([buf]) =>
            unpack(
              buf!,
              [
                [s.Hq, s.D],
                [s.Hkv, s.D],
                [s.Hkv, s.Dv],
              ],
              s.B,
              s.Sq,
            ) as [Tensor4D, Tensor4D, Tensor4D],
        };
      }
      return {
        buffers: [pack([q]), pack([k, v])],
        views: ([qb, kvb]) => [
          unpack(qb!, [[s.Hq, s.D]], s.B, s.Sq)[0]!,
          ...(unpack(
            kvb!,
            [
              [s.Hkv, s.D],
              [s.Hkv, s.Dv],
            ],
            s.B,
            s.Sk,
          ) as [Tensor4D, Tensor4D]),
        ],
      };
    case 'strided':
      return {
        buffers: [stridedBuffer(q, view), stridedBuffer(k, view), stridedBuffer(v, view)],
        views: ([a, b, c]) => [
          stridedView(a!, q.shape, view),
          stridedView(b!, k.shape, view),
          stridedView(c!, v.shape, view),
        ],
      };
  }
}
