import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, GarbageError, MAX_HEADER_BYTES } from './frames.js';

const frame = (header: Record<string, unknown>, buffers = []) => Buffer.concat(encodeFrame(header, buffers));

describe('frames', () => {
  it('a frame read back gives its header and buffers, whatever the chunks it arrives in', () => {
    const q = Float32Array.from([1.5, -2, 3.25, Number.NaN]);
    const mask = Uint8Array.from([1, 0, 1]);
    const bytes = Buffer.concat([
      frame({ type: 'run', id: 7 }, [
        { name: 'q', dtype: 'float32', shape: [2, 2], data: q },
        { name: 'mask', dtype: 'uint8', shape: [3], data: mask },
      ] as never),
      frame({ type: 'close' }),
    ]);
    for (const size of [1, 5, 13, bytes.length]) {
      const reader = new FrameReader();
      const got = [];
      for (let at = 0; at < bytes.length; at += size) got.push(...reader.push(bytes.subarray(at, at + size)));
      expect(got.map((f) => f.header.type)).toEqual(['run', 'close']);
      expect(got[0]!.header).toMatchObject({ id: 7, buffers: [{ name: 'q', dtype: 'float32', shape: [2, 2] }, {}] });
      expect([...got[0]!.buffers[0]!.data]).toEqual([...q]);
      expect(got[0]!.buffers[1]!.data).toEqual(mask);
      expect(reader.pending).toBe(0);
    }
  });

  it('buffers are copied out aligned, from a frame at any offset of the stream', () => {
    const data = Float64Array.from([1 / 3, -0]);
    const reader = new FrameReader();
    const [f] = reader.push(
      Buffer.concat([
        Buffer.alloc(0),
        frame({ type: 'result' }, [{ name: 'x', dtype: 'float64', shape: [2], data }] as never),
      ]).subarray(0),
    );
    expect(f!.buffers[0]!.data).toBeInstanceOf(Float64Array);
    expect(Object.is(f!.buffers[0]!.data[1], -0)).toBe(true);
  });

  it('a stray print is garbage at its first bytes, quoted', () => {
    const reader = new FrameReader();
    expect(() => reader.push(Buffer.from('hello world\n'))).toThrow(GarbageError);
    expect(() => new FrameReader().push(Buffer.from('Traceback (most recent call last):\n'))).toThrow(
      'garbage on stdout: "Traceback (most recent call last):\\n" (a frame starts with "ATFZ")',
    );
    // A partial magic is not yet garbage: it may be a frame's first bytes.
    expect(new FrameReader().push(Buffer.from('AT'))).toEqual([]);
  });

  it('a header that is not JSON, too long, or whose buffers do not add up is garbage', () => {
    const bad = (json: string, payload = 0) => {
      const head = Buffer.alloc(12);
      head.write('ATFZ', 0, 'latin1');
      head.writeUInt32LE(Buffer.byteLength(json), 4);
      head.writeUInt32LE(payload, 8);
      return Buffer.concat([head, Buffer.from(json), Buffer.alloc(payload)]);
    };
    expect(() => new FrameReader().push(bad('{oops'))).toThrow(/header is not JSON/);
    expect(() => new FrameReader().push(bad('{"id": 1}'))).toThrow(/header has no "type"/);
    expect(() =>
      new FrameReader().push(bad('{"type":"result","buffers":[{"name":"out","dtype":"float32","shape":[3]}]}', 8)),
    ).toThrow("garbage on stdout: payload has 8 bytes, the header's buffers need 12");
    expect(() =>
      new FrameReader().push(bad('{"type":"result","buffers":[{"name":"out","dtype":"int8","shape":[1]}]}', 1)),
    ).toThrow(/buffers\[0\] is not \{ name, dtype: float32\|float64\|int32\|uint8, shape \}/);
    const huge = Buffer.alloc(12);
    huge.write('ATFZ', 0, 'latin1');
    huge.writeUInt32LE(MAX_HEADER_BYTES + 1, 4);
    expect(() => new FrameReader().push(huge)).toThrow(/header of \d+ bytes/);
  });

  it('encoding refuses a buffer whose data does not fill its shape', () => {
    expect(() =>
      encodeFrame({ type: 'run' }, [{ name: 'q', dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }]),
    ).toThrow(/buffer q has 3 elements/);
  });
});
