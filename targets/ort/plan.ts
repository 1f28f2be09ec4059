/**
 * What an op adapter makes of one call: the model (a NodeSpec), the feeds by input name, and how
 * to read the op's Y back into the contract's out [B, Hq, Sq, Dv]. The kernel runs it through the
 * session cache; `attnfuzz export --onnx` writes it out as a standalone repro.
 */
import type { HostArrayLike, Precision } from '../../src/contract/index.js';
import type { Forms } from './forms.js';
import { encodeModel, type NodeSpec, type OnnxDtype, type ValueSpec } from './onnxModel.js';
import type { RunOutputs } from './sessions.js';
import { bhsdToBsh, bshToBhsd, type OrtArray, toHalfBits } from './tensors.js';

/** Y [B, H, S, F] (BHSD) or [B, S, H·F] (BSH); F may exceed the contract's Dv when the adapter padded head dims. */
export interface OutputLayout {
  readonly name: string;
  readonly layout: 'BHSD' | 'BSH';
  readonly B: number;
  readonly H: number;
  readonly S: number;
  readonly F: number;
  readonly Dv: number;
}

export interface OpPlan {
  readonly spec: NodeSpec;
  readonly feeds: ReadonlyMap<string, OrtArray>;
  readonly output: OutputLayout;
  readonly forms: Forms;
}

/** The dtype the op computes in: float16 for float16 cases, float32 otherwise. */
export const dtypeOf = (p: Precision): OnnxDtype => (p === 'float16' ? 'float16' : 'float32');

/** Inputs, outputs and feeds, added in order (null: an optional input or output left out). */
export class PlanBuilder {
  readonly inputs: (ValueSpec | null)[] = [];
  readonly outputs: (ValueSpec | null)[] = [];
  readonly feeds = new Map<string, OrtArray>();

  input(name: string, a: OrtArray | null): this {
    if (a === null) {
      this.inputs.push(null);
      return this;
    }
    this.inputs.push({ name, dtype: a.dtype, rank: a.dims.length });
    this.feeds.set(name, a);
    return this;
  }

  output(name: string, dtype: OnnxDtype, rank: number, requested = true): this {
    this.outputs.push(requested ? { name, dtype, rank } : null);
    return this;
  }
}

/** A [B, H, S, F] tensor as the op takes it: BHSD as is, or BSH ([B, S, H·F]). */
export function laidOut(
  x: Float32Array,
  dims: readonly [number, number, number, number],
  layout: 'BHSD' | 'BSH',
  dtype: OnnxDtype,
): OrtArray {
  const [B, H, S, F] = dims;
  return layout === 'BHSD' ? { dtype, dims, data: x } : { dtype, dims: [B, S, H * F], data: bhsdToBsh(x, B, H, S, F) };
}

/** [B, H, S, F] -> [B, H, S, Fp] with zeros in the added features (Fp >= F). */
export function padFeatures(x: Float32Array, rows: number, F: number, Fp: number): Float32Array {
  if (Fp === F) return x;
  const out = new Float32Array(rows * Fp);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * F, (r + 1) * F), r * Fp);
  return out;
}

/** The contract's out [B, H, S, Dv] from the op's outputs. */
export function readOut(o: OutputLayout, outputs: RunOutputs): HostArrayLike {
  const y = outputs.get(o.name);
  if (y === undefined) throw new Error(`ort: the session returned no ${o.name}`);
  const { B, H, S, F, Dv } = o;
  const want = o.layout === 'BHSD' ? [B, H, S, F] : [B, S, H * F];
  // A Y of another shape is the op's answer, judged by shape as it is.
  if (y.dims.length !== want.length || y.dims.some((d, a) => d !== want[a])) return { shape: y.dims, data: y.data };
  const bhsd = o.layout === 'BHSD' ? y.data : bshToBhsd(y.data, B, H, S, F);
  if (F === Dv) return { shape: [B, H, S, Dv], data: bhsd };
  const out = new Float64Array(B * H * S * Dv);
  for (let r = 0; r < B * H * S; r++) out.set(bhsd.subarray(r * F, r * F + Dv), r * Dv);
  return { shape: [B, H, S, Dv], data: out };
}

/** A plan as plain data for a repro (src/report onnxRepro.ts's OnnxReproParts). */
export interface ReproParts {
  readonly op: string;
  readonly model: Uint8Array;
  /** float32 data: NaN as null, ±Infinity as the strings 'Infinity' and '-Infinity' (JSON has neither). */
  readonly inputs: { name: string; dtype: OnnxDtype; dims: number[]; data: (number | string | null)[] }[];
  readonly output: OutputLayout;
  readonly forms: string;
  readonly runtime: string;
  readonly ep: string;
}

/** A number JSON can carry: NaN as null, ±Infinity as a string (JSON.stringify would write null for both). */
export function jsonNumber(x: number | bigint): number | string | null {
  const n = Number(x);
  if (Number.isNaN(n)) return null;
  return Number.isFinite(n) ? n : String(n);
}

export function reproParts(plan: OpPlan, runtime: string, ep: string): ReproParts {
  const inputs = [...plan.feeds].map(([name, a]) => {
    const data =
      a.dtype === 'float16'
        ? Array.from(a.data as Float32Array, toHalfBits)
        : Array.from(a.data as ArrayLike<number | bigint>, jsonNumber);
    return { name, dtype: a.dtype, dims: [...a.dims], data };
  });
  const op = plan.spec.domain === '' ? plan.spec.opType : `${plan.spec.domain}.${plan.spec.opType}`;
  return { op, model: encodeModel(plan.spec), inputs, output: plan.output, forms: plan.forms.describe(), runtime, ep };
}
