/**
 * One-node ONNX models, written with onnx-proto (ONNX's onnx.proto compiled with protobufjs): the
 * op under test with its inputs and outputs as graph inputs and outputs. Dims are symbolic
 * (`dim_param`), as in an exported model with dynamic batch and sequence axes, so one model (and
 * one session) serves every size of a form; only the ranks and dtypes are fixed.
 *
 *   graph(inputs: Q, K, V, attn_mask, ...) -> Attention -> (Y, present_key, ...)
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type OnnxDtype = 'float32' | 'float16' | 'bool' | 'int32' | 'int64';

const ELEM: Record<OnnxDtype, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  bool: onnx.TensorProto.DataType.BOOL,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A graph input or output: its name, dtype and rank (dims are named `<name>_<axis>`). */
export interface ValueSpec {
  readonly name: string;
  readonly dtype: OnnxDtype;
  readonly rank: number;
}

export type AttrValue = { readonly int: number } | { readonly float: number };

/** The op of a one-node model. `null` in inputs or outputs: an optional one left out (an empty name). */
export interface NodeSpec {
  readonly opType: string;
  readonly domain: '' | 'com.microsoft';
  /** Opset of the default domain (23, 24); com.microsoft is always version 1. */
  readonly opset: number;
  readonly inputs: readonly (ValueSpec | null)[];
  readonly outputs: readonly (ValueSpec | null)[];
  readonly attributes: Readonly<Record<string, AttrValue>>;
}

/** IR version 10 (ONNX 1.16): opsets 23 and 24 load in onnxruntime 1.30 with it. */
const IR_VERSION = 10;

function valueInfo(v: ValueSpec) {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.dtype],
        shape: { dim: Array.from({ length: v.rank }, (_, a) => ({ dimParam: `${v.name}_${a}` })) },
      },
    },
  });
}

function attribute(name: string, v: AttrValue) {
  const T = onnx.AttributeProto.AttributeType;
  return 'int' in v ? { name, type: T.INT, i: v.int } : { name, type: T.FLOAT, f: v.float };
}

/** Trailing omitted inputs are dropped; inner ones stay as '' (ONNX's way of skipping an optional input). */
function names(vs: readonly (ValueSpec | null)[]): string[] {
  const out = vs.map((v) => v?.name ?? '');
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** The model's bytes (a serialised ModelProto). */
export function encodeModel(spec: NodeSpec): Uint8Array {
  const node = onnx.NodeProto.create({
    opType: spec.opType,
    domain: spec.domain,
    input: names(spec.inputs),
    output: names(spec.outputs),
    attribute: Object.entries(spec.attributes).map(([k, v]) => attribute(k, v)),
  });
  const present = (vs: readonly (ValueSpec | null)[]) => vs.filter((v): v is ValueSpec => v !== null);
  const graph = onnx.GraphProto.create({
    name: `attnfuzz_${spec.opType}`,
    node: [node],
    input: present(spec.inputs).map(valueInfo),
    output: present(spec.outputs).map(valueInfo),
  });
  const opsetImport = [{ domain: '', version: spec.opset }];
  if (spec.domain !== '') opsetImport.push({ domain: spec.domain, version: 1 });
  const model = onnx.ModelProto.create({ irVersion: IR_VERSION, producerName: 'attnfuzz', opsetImport, graph });
  return onnx.ModelProto.encode(model).finish();
}

/** A key that tells two specs apart exactly when their models differ (the session cache's key). */
export function specKey(spec: NodeSpec): string {
  const attrs = Object.keys(spec.attributes)
    .sort()
    .map((k) => [k, spec.attributes[k]]);
  return JSON.stringify([spec.opType, spec.domain, spec.opset, spec.inputs, spec.outputs, attrs]);
}
