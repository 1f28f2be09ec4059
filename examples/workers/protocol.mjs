/**
 * attnfuzz's worker protocol (docs/PROTOCOL.md, version 1) in plain Node, without importing attnfuzz:
 * a frame is "ATFZ", the header's length and the payload's length (u32 little-endian each), the
 * JSON header, then the buffers it lists, raw little-endian, back to back.
 *
 *   serve(hello, handle)   sends the hello, then answers each run frame with handle(header, buffers):
 *                          an array of result buffers, or throws (an error frame with its message),
 *                          or throws Declined (a declined frame: the case is reported unsupported)
 *
 * Nothing else may be written to stdout: log to stderr.
 */

const MAGIC = Buffer.from('ATFZ', 'latin1');
const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array };

export const PROTOCOL = 1;

/** The worker declines the case: attnfuzz reports it unsupported, with this reason. */
export class Declined extends Error {}

/** One frame to stdout: header, then the buffers [{ name, dtype, shape, data }]. */
export function writeFrame(header, buffers = []) {
  const described = buffers.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
  const json = Buffer.from(JSON.stringify({ ...header, buffers: described }), 'utf8');
  const payload = buffers.map((b) => Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
  const prefix = Buffer.alloc(12);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(json.length, 4);
  prefix.writeUInt32LE(
    payload.reduce((n, p) => n + p.length, 0),
    8,
  );
  process.stdout.write(Buffer.concat([prefix, json, ...payload]));
}

/** The buffers of a frame by name, each { shape, data } copied into its own typed array. */
function readBuffers(header, payload) {
  const out = {};
  let at = 0;
  for (const b of header.buffers ?? []) {
    const Array_ = ARRAYS[b.dtype];
    const bytes = b.shape.reduce((a, d) => a * d, 1) * Array_.BYTES_PER_ELEMENT;
    const copy = new Uint8Array(bytes);
    copy.set(payload.subarray(at, at + bytes));
    out[b.name] = { shape: b.shape, data: new Array_(copy.buffer) };
    at += bytes;
  }
  return out;
}

/** Sends `hello`, then answers every run frame until stdin ends. */
export function serve(hello, handle) {
  writeFrame({ type: 'hello', protocol: PROTOCOL, ...hello });
  let pending = Buffer.alloc(0);
  process.stdin.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 12) {
      if (!pending.subarray(0, 4).equals(MAGIC)) throw new Error('stdin: not a frame');
      const h = pending.readUInt32LE(4);
      const p = pending.readUInt32LE(8);
      if (pending.length < 12 + h + p) return;
      const header = JSON.parse(pending.subarray(12, 12 + h).toString('utf8'));
      const buffers = readBuffers(header, pending.subarray(12 + h, 12 + h + p));
      pending = pending.subarray(12 + h + p);
      if (header.type === 'close') process.exit(0);
      answer(header, buffers, handle);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

function answer(header, buffers, handle) {
  const id = header.id;
  let result;
  try {
    result = handle(header, buffers);
  } catch (e) {
    if (e instanceof Declined) writeFrame({ type: 'declined', id, reason: e.message });
    else writeFrame({ type: 'error', id, message: `${e.name}: ${e.message}` });
    return;
  }
  if (result !== undefined) writeFrame({ type: 'result', id }, result);
}
