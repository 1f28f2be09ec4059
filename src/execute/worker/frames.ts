/**
 * The frames of the worker protocol (docs/PROTOCOL.md), both directions:
 *
 *   offset 0   4 bytes    "ATFZ"                  magic: a stray print is told from a frame at once
 *   offset 4   u32 LE     H                       header length in bytes
 *   offset 8   u32 LE     P                       payload length in bytes
 *   offset 12  H bytes    UTF-8 JSON object       { "type": ..., "buffers": [{ name, dtype, shape }], ... }
 *   then       P bytes    the buffers             in header order, back to back, little-endian, no padding
 *
 * No base64 and no JSON arrays of numbers: a tensor travels as its raw bytes, once each way.
 */

export const MAGIC = 'ATFZ';
const PREFIX = 12;
/** Larger headers are not JSON a worker meant to send: read as garbage. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Larger payloads are not tensors of any case attnfuzz draws (1 GiB). */
export const MAX_PAYLOAD_BYTES = 1 << 30;

export const DTYPES = { float32: 4, float64: 8, int32: 4, uint8: 1 } as const;
export type Dtype = keyof typeof DTYPES;

/** A typed array of each dtype. */
export type TypedArrayOf<D extends Dtype> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;

/** One buffer of a frame: its name, dtype, shape and data (length = product of shape). */
export interface FrameBuffer {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

/** A frame as read: its header (with `buffers` described) and the buffers, copied out of the stream. */
export interface Frame {
  readonly header: Record<string, unknown> & { readonly type: string };
  readonly buffers: readonly FrameBuffer[];
}

/** The stream broke the protocol: what came instead of a frame, as the verdict names it. */
export class GarbageError extends Error {
  constructor(detail: string) {
    super(`garbage on stdout: ${detail}`);
  }
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The bytes of one frame: prefix, header, then each buffer's bytes as they lie in memory (no copy of the data). */
export function encodeFrame(header: Record<string, unknown>, buffers: readonly FrameBuffer[] = []): Buffer[] {
  for (const b of buffers)
    if (b.data.length !== elements(b.shape))
      throw new Error(`frame: buffer ${b.name} has ${b.data.length} elements, shape [${b.shape}] needs more or fewer`);
  const described = { ...header, buffers: buffers.map(({ name, dtype, shape }) => ({ name, dtype, shape })) };
  const json = Buffer.from(JSON.stringify(described), 'utf8');
  const payload = buffers.reduce((n, b) => n + b.data.byteLength, 0);
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 4);
  prefix.writeUInt32LE(payload, 8);
  return [prefix, json, ...buffers.map((b) => Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))];
}

/** Up to 60 characters of what came, printable, for a garbage message. */
export function preview(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.subarray(0, 60)).toString('latin1');
  return JSON.stringify(text) + (bytes.length > 60 ? '...' : '');
}

function parseHeader(json: Buffer): {
  header: Frame['header'];
  described: { name: string; dtype: Dtype; shape: number[] }[];
} {
  let header: unknown;
  try {
    header = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new GarbageError(`header is not JSON (${(e as Error).message}): ${preview(json)}`);
  }
  if (typeof header !== 'object' || header === null || typeof (header as { type?: unknown }).type !== 'string')
    throw new GarbageError(`header has no "type": ${preview(json)}`);
  const list = (header as { buffers?: unknown }).buffers ?? [];
  if (!Array.isArray(list)) throw new GarbageError(`header "buffers" is not a list: ${preview(json)}`);
  const described = list.map((b, i) => {
    const { name, dtype, shape } = (b ?? {}) as { name?: unknown; dtype?: unknown; shape?: unknown };
    const okShape = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);
    if (typeof name !== 'string' || typeof dtype !== 'string' || !(dtype in DTYPES) || !okShape)
      throw new GarbageError(
        `header buffers[${i}] is not { name, dtype: ${Object.keys(DTYPES).join('|')}, shape }: ` +
          `${JSON.stringify(b)?.slice(0, 80)}`,
      );
    return { name, dtype: dtype as Dtype, shape: shape as number[] };
  });
  return { header: header as Frame['header'], described };
}

const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

/** The buffers described by a header, copied out of the payload into aligned typed arrays. */
function readBuffers(described: ReturnType<typeof parseHeader>['described'], payload: Buffer): FrameBuffer[] {
  const need = described.reduce((n, b) => n + elements(b.shape) * DTYPES[b.dtype], 0);
  if (need !== payload.length)
    throw new GarbageError(`payload has ${payload.length} bytes, the header's buffers need ${need}`);
  let at = 0;
  return described.map((b) => {
    const bytes = elements(b.shape) * DTYPES[b.dtype];
    const copy = new Uint8Array(bytes);
    copy.set(payload.subarray(at, at + bytes));
    at += bytes;
    return { ...b, data: new ARRAYS[b.dtype](copy.buffer) };
  });
}

/**
 * Reads frames from a byte stream fed chunk by chunk. `push` returns the frames completed by the
 * chunk; it throws GarbageError at the first byte that cannot start or continue a frame.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  /** Bytes received and not yet part of a whole frame. */
  get pending(): number {
    return this.size;
  }

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      const f = this.next();
      if (f === null) return frames;
      frames.push(f);
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    return all.subarray(0, n);
  }

  /** The first n bytes (n <= pending); chunks are joined only when the first is shorter. */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!.subarray(0, n);
  }

  private next(): Frame | null {
    if (this.size === 0) return null;
    const head = this.peek(Math.min(this.size, PREFIX));
    const magic = head.subarray(0, Math.min(4, head.length));
    if (!Buffer.from(MAGIC, 'latin1').subarray(0, magic.length).equals(magic))
      throw new GarbageError(`${preview(this.peek(Math.min(this.size, 64)))} (a frame starts with "${MAGIC}")`);
    if (head.length < PREFIX) return null;
    const h = head.readUInt32LE(4);
    const p = head.readUInt32LE(8);
    if (h > MAX_HEADER_BYTES) throw new GarbageError(`header of ${h} bytes (at most ${MAX_HEADER_BYTES})`);
    if (p > MAX_PAYLOAD_BYTES) throw new GarbageError(`payload of ${p} bytes (at most ${MAX_PAYLOAD_BYTES})`);
    if (this.size < PREFIX + h + p) return null;
    const frame = this.take(PREFIX + h + p);
    const { header, described } = parseHeader(frame.subarray(PREFIX, PREFIX + h));
    return { header, buffers: readBuffers(described, frame.subarray(PREFIX + h)) };
  }
}
