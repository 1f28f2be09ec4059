/**
 * Tensors between the contract and ONNX Runtime: float32 <-> float16 bits, the contract's BHSD
 * layout <-> the [B, S, H·D] layout of 3-D attention inputs, and the feeds of a session run.
 *
 *   BHSD [B, H, S, D]  <->  BSH [B, S, H·D]      element (b, h, s, d) at ((b·S + s)·H + h)·D + d
 */
import type { OnnxDtype } from './onnxModel.js';
import type { OrtModule } from './runtime.js';

/** A tensor as it is fed to or read from a session. */
export interface OrtArray {
  readonly dtype: OnnxDtype;
  readonly dims: readonly number[];
  readonly data: Float32Array | Uint8Array | Int32Array | BigInt64Array;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> float16 bits, round to nearest even (values already exact in float16 convert exactly). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> ±0
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m;
  }
  const m = mant >>> 13;
  const rest = mant & 0x1fff;
  let out = sign | (e << 10) | m;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1) === 1)) out++;
  return out;
}

/** float16 bits -> the number they hold. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** [B, H, S, D] -> [B, S, H·D] (copy). */
export function bhsdToBsh(x: Float32Array, B: number, H: number, S: number, D: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < S; s++) {
        const from = ((b * H + h) * S + s) * D;
        out.set(x.subarray(from, from + D), ((b * S + s) * H + h) * D);
      }
  return out;
}

/** [B, S, H·D] -> [B, H, S, D] (copy). */
export function bshToBhsd(x: ArrayLike<number>, B: number, H: number, S: number, D: number): Float64Array {
  const out = new Float64Array(B * H * S * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < S; s++)
        for (let d = 0; d < D; d++) out[((b * H + h) * S + s) * D + d] = x[((b * S + s) * H + h) * D + d]!;
  return out;
}

/** Keys [from, from + n) of every (b, h) row of a [B, H, S, F] tensor, in a buffer of `cap` >= n slots per row. */
export function sliceKeys(
  x: Float32Array,
  rows: number,
  S: number,
  F: number,
  from: number,
  n: number,
  cap = n,
  fill = 0,
): Float32Array {
  const out = new Float32Array(rows * cap * F).fill(fill);
  for (let r = 0; r < rows; r++) out.set(x.subarray((r * S + from) * F, (r * S + from + n) * F), r * cap * F);
  return out;
}

/** The session's tensor for a feed: float32 data goes in as float16 bits when the dtype says so. */
export function toOrtTensor(ort: OrtModule, a: OrtArray): InstanceType<OrtModule['Tensor']> {
  const dims = [...a.dims];
  if (a.dtype === 'float16') {
    const src = a.data as Float32Array;
    const bits = new Uint16Array(src.length);
    for (let n = 0; n < src.length; n++) bits[n] = toHalfBits(src[n]!);
    return new ort.Tensor('float16', bits, dims);
  }
  if (a.dtype === 'bool') return new ort.Tensor('bool', a.data as Uint8Array, dims);
  if (a.dtype === 'int32') return new ort.Tensor('int32', a.data as Int32Array, dims);
  if (a.dtype === 'int64') return new ort.Tensor('int64', a.data as BigInt64Array, dims);
  return new ort.Tensor('float32', a.data as Float32Array, dims);
}

/** A session output as float64 values (float16 bits decoded). */
export function fromOrtTensor(t: { readonly type: string; readonly dims: readonly number[]; readonly data: unknown }): {
  readonly dims: readonly number[];
  readonly data: Float64Array;
} {
  const src = t.data as ArrayLike<number>;
  const data = new Float64Array(src.length);
  if (t.type === 'float16') for (let n = 0; n < src.length; n++) data[n] = fromHalfBits(src[n]!);
  else for (let n = 0; n < src.length; n++) data[n] = Number(src[n]!);
  return { dims: t.dims, data };
}
