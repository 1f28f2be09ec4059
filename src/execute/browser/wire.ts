/**
 * The binary message between attnfuzz and its browser page, the same code on both sides (the page
 * bundle imports this file). Tensors travel as their bytes, never as JSON numbers or base64:
 *
 *   offset 0   'AFZ1'                      magic
 *          4   u32 little-endian n         length of the header
 *          8   n bytes of UTF-8 JSON       { meta, tensors: [{ name, dtype, shape, offset, length }] }
 *          ..  zero padding to 8 bytes
 *          ..  each tensor's bytes at its `offset` (from the start of the data block), 8-aligned
 *
 * `meta` is any JSON value (the options of a call without their tensors, or a run's answer).
 */

/** The element types a message carries. */
export type WireDtype = 'float32' | 'float64' | 'int32' | 'uint8' | 'uint16' | 'int64';

/** A typed array of one of the wire's element types (uint16: float16 bits; int64: ONNX indices). */
export type WireArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | BigInt64Array;

/** A tensor as the wire carries it. */
export interface WireTensor {
  readonly shape: readonly number[];
  readonly data: WireArray;
}

interface TensorEntry {
  readonly name: string;
  readonly dtype: WireDtype;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

const MAGIC = 0x31_5a_46_41; // 'AFZ1' read as a little-endian u32
const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  int64: BigInt64Array,
} as const;

function dtypeOf(a: WireArray): WireDtype {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof BigInt64Array) return 'int64';
  throw new Error(`wire: unsupported array type ${Object.prototype.toString.call(a)}`);
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** One message: `meta` and the named tensors. */
export function pack(meta: unknown, tensors: ReadonlyArray<readonly [string, WireTensor]>): Uint8Array {
  const entries: TensorEntry[] = [];
  let at = 0;
  for (const [name, t] of tensors) {
    entries.push({ name, dtype: dtypeOf(t.data), shape: [...t.shape], offset: at, length: t.data.length });
    at = align8(at + t.data.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const start = align8(8 + header.length);
  const out = new Uint8Array(start + at);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  tensors.forEach(([, t], n) => {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), start + entries[n]!.offset);
  });
  return out;
}

/** A message read back: its meta and tensors by name (views into `bytes` where aligned, else copies). */
export function unpack<M = unknown>(bytes: Uint8Array): { meta: M; tensors: Map<string, WireTensor> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== MAGIC)
    throw new Error(`wire: not an attnfuzz message (${bytes.byteLength} bytes, no 'AFZ1' magic)`);
  const n = view.getUint32(4, true);
  const { meta, tensors } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as {
    meta: M;
    tensors: TensorEntry[];
  };
  const start = align8(8 + n);
  const out = new Map<string, WireTensor>();
  for (const e of tensors) {
    const C = CTORS[e.dtype];
    const from = bytes.byteOffset + start + e.offset;
    const end = from + e.length * C.BYTES_PER_ELEMENT;
    if (end > bytes.byteOffset + bytes.byteLength)
      throw new Error(`wire: tensor ${e.name} runs past the end of the message`);
    const data =
      from % C.BYTES_PER_ELEMENT === 0
        ? new C(bytes.buffer as ArrayBuffer, from, e.length)
        : new C(bytes.buffer.slice(from, end) as ArrayBuffer);
    out.set(e.name, { shape: e.shape, data });
  }
  return { meta, tensors: out };
}
