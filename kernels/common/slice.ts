/**
 * tf.slice and tf.split without the host round trip on wasm.
 *
 * tfjs-backend-wasm 4.22's Slice kernel (and SplitV and Unpack, which call it once per piece) first
 * reads its whole input back into a fresh host array (BackendWasm.readSync = HEAPU8.slice), then
 * copies the piece it wants out of that: cutting a tensor into n blocks copies all of it n times
 * through new host memory. Measured on the 2-core machine: one 256-row block of a 2 MiB [8192, 64]
 * tensor 0.98 ms, against 0.33 ms to clone the whole tensor; cutting a [4, 2048, 64] tensor into its
 * 32 (head, block) pieces, 21 ms by halving. In a flash step that was 27% of the process's CPU.
 *
 * So on wasm `slice` and `splitBlocks` run kernels of their own (HEAP_SLICE, HEAP_SPLIT: registered
 * once; the split is one engine op for all its pieces) that copy only the slices inside the wasm
 * heap, run by contiguous run, with the same results as tf.slice and tf.split. They have no
 * gradient: they are for the insides of kernels under tf.customGrad, where nothing is taped. On every
 * other backend they are tf.slice and tf.split.
 *
 *   slice(tf, x [4, 10, 3], [1, 2, 0], [2, 5, 3])  ->  x[1:3, 2:7, 0:3]     (2 runs of 15 values)
 *   splitBlocks(tf, x [.., 10, ..], 1, [4, 4, 2])  ->  [.., 4, ..], [.., 4, ..], [.., 2, ..]
 */
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../../src/contract/index.js';

const HEAP_SLICE = 'AttnfuzzHeapSlice';
const HEAP_SPLIT = 'AttnfuzzHeapSplit';

/** The two BackendWasm methods its own kernels use to read and write the heap. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Copies x[begin : begin + size] into a new heap tensor, contiguous run by contiguous run. */
function copySlice(backend: HeapBackend, x: TensorInfo, begin: readonly number[], size: readonly number[]): TensorInfo {
  // The output first: allocating it may grow the heap, which detaches older views of it.
  const out = backend.makeOutput([...size], x.dtype);
  if (size.some((n) => n === 0)) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, n) => p * n, 1));
  // Axes after k are taken whole, so each index of the axes before k starts one contiguous run.
  let k = shape.length - 1;
  while (k > 0 && size[k] === shape[k]) k--;
  const run = size[k]! * strides[k]!;
  const idx = new Array<number>(k).fill(0);
  for (let at = 0; at < dst.length; at += run) {
    let from = begin[k]! * strides[k]!;
    for (let a = 0; a < k; a++) from += (begin[a]! + idx[a]!) * strides[a]!;
    dst.set(src.subarray(from, from + run), at);
    for (let a = k - 1; a >= 0 && ++idx[a]! === size[a]; a--) idx[a] = 0;
  }
  return out;
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

function heapSlice({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  return copySlice(backend as HeapBackend, inputs.x!, attrs!.begin as number[], attrs!.size as number[]);
}

/** tf.split's pieces in one kernel call: one engine op however many pieces. */
function heapSplit({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const x = inputs.x!;
  const axis = attrs!.axis as number;
  const begin = x.shape.map(() => 0);
  const size = [...x.shape];
  return (attrs!.sizes as number[]).map((n) => {
    size[axis] = n;
    const piece = copySlice(backend as HeapBackend, x, begin, size);
    begin[axis]! += n;
    return piece;
  });
}

function register(tf: TF): void {
  if (tf.getKernel(HEAP_SLICE, 'wasm') !== undefined) return;
  for (const [kernelName, kernelFunc] of [
    [HEAP_SLICE, heapSlice],
    [HEAP_SPLIT, heapSplit],
  ] as const)
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc } as KernelConfig);
}

/** x[begin : begin + size], as tf.slice (size given in full, no -1). */
export function slice(tf: TF, x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  if (tf.getBackend() !== 'wasm' || x.dtype === 'string') return tf.slice(x, [...begin], [...size]);
  register(tf);
  return tf.engine().runKernel(HEAP_SLICE, { x }, { begin: [...begin], size: [...size] }) as Tensor;
}

/** tf.split(x, sizes, axis): new tensors the caller disposes; x is left alone. */
export function splitBlocks(tf: TF, x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== x.shape[axis]) {
    throw new Error(`splitBlocks: sizes [${sizes}] sum to ${total}, not to x.shape[${axis}] = ${x.shape[axis]}`);
  }
  // One piece is x itself: a reshape to the same shape is a new tensor on the same data, no copy.
  if (sizes.length === 1) return [tf.reshape(x, x.shape)];
  if (tf.getBackend() !== 'wasm' || x.dtype === 'string') return tf.split(x, [...sizes], axis);
  register(tf);
  return tf.engine().runKernel(HEAP_SPLIT, { x }, { axis, sizes: [...sizes] }) as unknown as Tensor[];
}
