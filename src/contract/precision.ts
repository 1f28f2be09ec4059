/**
 * Emulated low precision on the host: round a float64 to the nearest float32, bfloat16 or
 * float16 value, ties to even, as the hardware conversion does (with overflow to ±Infinity and,
 * for float16, gradual underflow through subnormals).
 *
 *   format     sign  exponent  mantissa  max finite      smallest normal
 *   float32    1     8         23        3.4028e38       1.1755e-38
 *   bfloat16   1     8         7         3.3895e38       1.1755e-38
 *   float16    1     5         10        65504           6.1035e-5
 */
import type { Precision } from './types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16: keep the top 16 bits of the float32 pattern, rounding the rest to nearest even. */
function toBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000) return f32[0]!; // Inf and NaN pass through
  const lsb = (bits >>> 16) & 1;
  u32[0] = ((bits + 0x7fff + lsb) & 0xffff0000) >>> 0;
  return f32[0]!;
}

/** float16: round the float64 value directly (double rounding through float32 would be wrong). */
function toFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return x > 0 ? Infinity : -Infinity; // 65520 = 65504 + half an ulp rounds up
  // Quantum: 2^(e - 10) for normals, 2^-24 in the subnormal range.
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one near powers of two; correct it.
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const quantum = 2 ** (Math.max(e, -14) - 10);
  const q = a / quantum;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 !== 0) r -= 1; // Math.round rounds half up: make it half to even
  return Math.sign(x) * r * quantum;
}

/** Rounds one value to the given precision. */
export function roundTo(precision: Precision, x: number): number {
  switch (precision) {
    case 'float32':
      return Math.fround(x);
    case 'bfloat16':
      return toBfloat16(x);
    case 'float16':
      return toFloat16(x);
  }
}

/** Rounds every element of `data` into a new Float64Array. */
export function roundArray(precision: Precision, data: ArrayLike<number>): Float64Array {
  const out = new Float64Array(data.length);
  for (let n = 0; n < data.length; n++) out[n] = roundTo(precision, data[n]!);
  return out;
}

/** Unit roundoff u = 2^-p of each precision (half the gap between 1 and the next value). */
export const UNIT_ROUNDOFF: Record<Precision, number> = {
  float32: 2 ** -24,
  bfloat16: 2 ** -8,
  float16: 2 ** -11,
};

/**
 * The absolute rounding step near zero of each precision: float16's subnormals are 2^-24 apart, so
 * a value below its smallest normal (6.1e-5) rounds with an absolute error up to 2^-25; float32 and
 * bfloat16 share float32's range, whose subnormals a backend may flush (to 0 below 2^-126).
 */
export const UNDERFLOW: Record<Precision, number> = {
  float32: 2 ** -126,
  bfloat16: 2 ** -126,
  float16: 2 ** -24,
};
