import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { encodeModel, type NodeSpec, specKey } from './onnxModel.js';

const { onnx } = onnxProto;

const spec: NodeSpec = {
  opType: 'Attention',
  domain: '',
  opset: 24,
  inputs: [
    { name: 'Q', dtype: 'float16', rank: 4 },
    { name: 'K', dtype: 'float16', rank: 4 },
    { name: 'V', dtype: 'float16', rank: 4 },
    null,
    null,
    null,
    { name: 'nonpad_kv_seqlen', dtype: 'int64', rank: 1 },
  ],
  outputs: [{ name: 'Y', dtype: 'float16', rank: 4 }, null, null, null],
  attributes: { is_causal: { int: 1 }, scale: { float: 0.25 } },
};

describe('encodeModel', () => {
  it('writes one node with the skipped optional inputs as empty names, trailing ones dropped', () => {
    const m = onnx.ModelProto.decode(encodeModel(spec));
    const node = m.graph!.node![0]!;
    expect(node.opType).toBe('Attention');
    expect(node.input).toEqual(['Q', 'K', 'V', '', '', '', 'nonpad_kv_seqlen']);
    expect(node.output).toEqual(['Y']);
    expect(m.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([['', 24]]);
    expect(node.attribute!.map((a) => [a.name, a.name === 'scale' ? a.f : Number(a.i)])).toEqual([
      ['is_causal', 1],
      ['scale', 0.25],
    ]);
  });

  it('declares symbolic dims and the dtypes of the inputs (float16 = 10, int64 = 7)', () => {
    const m = onnx.ModelProto.decode(encodeModel(spec));
    const q = m.graph!.input![0]!.type!.tensorType!;
    expect(q.elemType).toBe(10);
    expect(q.shape!.dim!.map((d) => d.dimParam)).toEqual(['Q_0', 'Q_1', 'Q_2', 'Q_3']);
    expect(m.graph!.input![3]!.type!.tensorType!.elemType).toBe(7);
  });

  it('imports com.microsoft version 1 for a contrib op', () => {
    const m = onnx.ModelProto.decode(encodeModel({ ...spec, opType: 'GroupQueryAttention', domain: 'com.microsoft' }));
    expect(m.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 24],
      ['com.microsoft', 1],
    ]);
  });

  it('specKey ignores the order attributes were written in and tells other models apart', () => {
    const swapped = { ...spec, attributes: { scale: { float: 0.25 }, is_causal: { int: 1 } } };
    expect(specKey(swapped)).toBe(specKey(spec));
    expect(specKey({ ...spec, opset: 23 })).not.toBe(specKey(spec));
    expect(
      specKey({ ...spec, outputs: [spec.outputs[0]!, { name: 'present_key', dtype: 'float16', rank: 4 }] }),
    ).not.toBe(specKey(spec));
  });
});
