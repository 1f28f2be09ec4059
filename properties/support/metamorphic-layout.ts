/**
 * Layout and stride invariance: the same q, k, v values in any memory layout give the same out,
 * dq, dk, dv. Two forms:
 *
 *   layoutInvariance         a contract kernel fed through the runner's layout chains
 *                            (src/runner/layout.ts: BSHD transposed, packed QKV sliced, strided views
 *                            with NaN in the gaps) equals the same kernel fed BHSD
 *   stridedLayoutInvariance  a kernel that reads its inputs as a real one does, from a flat buffer
 *                            through an offset and four strides (`TensorView`), equals itself fed BHSD
 *
 * tfjs tensors are always logically contiguous, so a tfjs kernel cannot mis-read strides by itself;
 * the strided form is where that bug class (pytorch#112577) lives, and what a kernel taking native
 * layouts has to get right. Its views are the layouts of layout.ts written as strides:
 *
 *   BHSD        [B,H,S,D] contiguous           strides [H·S·D, S·D, D, 1]
 *   BSHD        [B,S,H,D] buffer                strides [S·H·D, D, H·D, 1]
 *   packed-qkv  [B,S,W], W = Σ H·Di, q|k|v at column offsets 0 | Hq·D | Hq·D + Hkv·D (Sq = Sk;
 *               else q alone and k|v packed)  strides [S·W, Di, W, 1]
 *   strided     row of D + gap, from `offset`   strides [H·S·(D+gap), S·(D+gap), D+gap, 1]
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectRows } from '../../kernels/common/selectRows.js';
import { tf } from '../../src/backend/index.js';
import { type AttentionCase, DEFAULT_VIEW, type Layout, type StridedView } from '../../src/case/index.js';
import {
  type AttentionKernel,
  type AttentionShapes,
  type HostTensor,
  type KernelOptions,
  numel,
  splitOutput,
} from '../../src/contract/index.js';
import { kernelOptions } from '../../src/execute/index.js';
import { layOut, type Material } from '../../src/runner/index.js';
import { compareResults, naturalOf, type Tol } from './compare.js';
import type { Relation } from './engine.js';
import { type KernelArg, kernelFor, materialise, run, withGrads } from './run.js';

/** Where one [B, H, S, D] tensor sits in a buffer: element (b,h,s,d) is at offset + Σ index·stride. */
export interface TensorView {
  readonly buffer: number;
  readonly offset: number;
  readonly strides: readonly [number, number, number, number];
  readonly shape: readonly [number, number, number, number];
}

/** A kernel fed raw buffers and the views of q, k, v in them; returns out [B, Hq, Sq, Dv]. */
export type StridedKernel = (
  buffers: readonly Tensor[],
  views: readonly [TensorView, TensorView, TensorView],
  opts: KernelOptions,
) => Tensor;

/** The views of q, k, v in the buffers `layOut` makes for `layout`. */
export function viewsOf(s: AttentionShapes, layout: Layout, view: StridedView): [TensorView, TensorView, TensorView] {
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = s;
  const shapes = [
    [B, Hq, Sq, D],
    [B, Hkv, Sk, D],
    [B, Hkv, Sk, Dv],
  ] as const;
  const make = (n: number, buffer: number, offset: number, strides: [number, number, number, number]): TensorView => ({
    buffer,
    offset,
    strides,
    shape: shapes[n]!,
  });
  const each = (f: (H: number, S: number, Di: number) => [number, number, number, number], offset = 0) =>
    shapes.map(([, H, S, Di], n) => make(n, n, offset, f(H, S, Di))) as [TensorView, TensorView, TensorView];
  switch (layout) {
    case 'BHSD':
      return each((H, S, Di) => [H * S * Di, S * Di, Di, 1]);
    case 'BSHD':
      return each((H, S, Di) => [S * H * Di, Di, H * Di, 1]);
    case 'strided':
      return each((H, S, Di) => [H * S * (Di + view.gap), S * (Di + view.gap), Di + view.gap, 1], view.offset);
    case 'packed-qkv': {
      const widths = [Hq * D, Hkv * D, Hkv * Dv];
      if (Sq === Sk) {
        const W = widths[0]! + widths[1]! + widths[2]!;
        const col = [0, widths[0]!, widths[0]! + widths[1]!];
        return shapes.map(([, , S, Di], n) => make(n, 0, col[n]!, [S * W, Di, W, 1])) as [
          TensorView,
          TensorView,
          TensorView,
        ];
      }
      const Wkv = widths[1]! + widths[2]!;
      return [
        make(0, 0, 0, [Sq * widths[0]!, D, widths[0]!, 1]),
        make(1, 1, 0, [Sk * Wkv, D, Wkv, 1]),
        make(2, 1, widths[1]!, [Sk * Wkv, Dv, Wkv, 1]),
      ];
    }
  }
}

/** Reads a view from its buffer by gathering every element at its strided address. */
export function readView(buffer: Tensor, v: TensorView): Tensor4D {
  const [B, H, S, D] = v.shape;
  const idx = new Int32Array(numel(v.shape));
  let n = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < S; s++)
        for (let d = 0; d < D; d++)
          idx[n++] = v.offset + b * v.strides[0] + h * v.strides[1] + s * v.strides[2] + d * v.strides[3];
  // selectRows, not tf.gather: gather has no gradient on wasm (tfjs#8082).
  return tf.reshape(selectRows(tf, tf.reshape(buffer, [-1, 1]), idx), [B, H, S, D]) as Tensor4D;
}

/** A contract kernel behind the strided form: q, k, v read through their strides. */
export function readingStrides(kernel: AttentionKernel): StridedKernel {
  return (buffers, views, opts) => {
    const [q, k, v] = views.map((w) => readView(buffers[w.buffer]!, w)) as [Tensor4D, Tensor4D, Tensor4D];
    return splitOutput(kernel.forward(q, k, v, opts, tf)).out;
  };
}

/** A strided kernel's out and gradients on `m` laid out as `layout` (gradients mapped back to the contract layout). */
export function runStrided(kernel: StridedKernel, m: Material, layout: Layout, view: StridedView) {
  const laid = layOut(m.inputs, m.shapes, layout, view);
  const views = viewsOf(m.shapes, layout, view);
  const buffers: HostTensor[] = laid.buffers.map((b) => ({ shape: b.shape, data: Float64Array.from(b.data) }));
  // The kernel options (mask, dropout keep mask) are made inside withGrads's tidy, and disposed by it.
  const r = withGrads(
    (...bs: Tensor[]) => kernel(bs, views, kernelOptions(m.options, m.shapes)),
    buffers,
    m.inputs.dOut,
  );
  let grads: HostTensor[] = [];
  tf.tidy(() => {
    const views = laid.views(r.grads.map((g) => tf.tensor(Float32Array.from(g.data), [...g.shape])));
    grads = views.map((t) => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) }));
  });
  return { out: r.out, dq: grads[0]!, dk: grads[1]!, dv: grads[2]! };
}

/** The case's layout (and strided view) through the runner vs BHSD, same kernel. */
export function layoutInvariance(k: KernelArg, tol: Tol): Relation<AttentionCase> {
  return (c) => {
    const m = materialise(c);
    const kernel = kernelFor(k, c);
    const view = c.view ?? DEFAULT_VIEW;
    return compareResults(
      `${kernel.name} ${c.layout}${c.layout === 'strided' ? ` (offset ${view.offset}, gap ${view.gap})` : ''} vs BHSD:`,
      run(kernel, m, c.layout, view),
      run(kernel, m),
      tol,
      naturalOf(m),
    );
  };
}

/** A strided kernel on the case's layout vs the same kernel on BHSD buffers. */
export function stridedLayoutInvariance(kernel: StridedKernel, tol: Tol): Relation<AttentionCase> {
  return (c) => {
    const m = materialise(c);
    const view = c.view ?? DEFAULT_VIEW;
    return compareResults(
      `strided read of ${c.layout} vs BHSD:`,
      runStrided(kernel, m, c.layout, view),
      runStrided(kernel, m, 'BHSD', view),
      tol,
      naturalOf(m),
    );
  };
}
