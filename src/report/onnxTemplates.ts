/**
 * The two scripts of an ONNX repro (onnxRepro.ts), each standalone: read model.onnx, inputs.json and
 * expected.json beside it, run the model on ONNX Runtime, put Y in the contract's layout
 * [B, H, S, Dv] and print the worst difference from the float64 expected output against the allowance.
 * float16 inputs are stored as their bits; in float32 ones NaN is null and ±Infinity the strings
 * 'Infinity' and '-Infinity' (JSON has neither). Exit status 1 when Y is over the allowance.
 */

export const NODE_SCRIPT = `// Runs model.onnx with onnxruntime-node and prints how far Y is from the float64 expected
// output.
// npm install onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=skip for CPU only); node repro.mjs
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
const read = (f) => readFileSync(new URL(f, import.meta.url));
const [inputs, exp] = [JSON.parse(read('inputs.json')), JSON.parse(read('expected.json'))];
const num = (x) => (typeof x === 'string' ? Number(x) : (x ?? NaN)); // NaN is null, ±Infinity a string
const of = { float32: (d) => Float32Array.from(d, num), float16: (d) => Uint16Array.from(d),
  bool: (d) => Uint8Array.from(d), int32: (d) => Int32Array.from(d), int64: (d) => BigInt64Array.from(d, BigInt) };
const feeds = Object.fromEntries(inputs.map((t) => [t.name, new ort.Tensor(t.dtype, of[t.dtype](t.data), t.dims)]));
const session = await ort.InferenceSession.create(read('model.onnx'),
  { executionProviders: [exp.ep], logSeverityLevel: 4 });
const ran = await session.run(feeds).catch((e) => e);
if (ran instanceof Error) {
  console.log(\`onnxruntime-node \${ort.env.versions.node} \${exp.op}: threw \${ran.message.split('\\n')[0]}\`);
  process.exit(1);
}
const y = ran[exp.output.name];
const half = (b) => (b & 0x7c00) === 0x7c00 ? (b & 0x3ff ? NaN : b & 0x8000 ? -Infinity : Infinity)
  : (b & 0x8000 ? -1 : 1) * ((b & 0x7c00) ? 1 + (b & 0x3ff) / 1024 : (b & 0x3ff) / 1024)
    * 2 ** Math.max(((b >> 10) & 31) - 15, -14);
const got = y.type === 'float16' ? Array.from(y.data, half) : Array.from(y.data, Number);
const { layout, B, H, S, F, Dv } = exp.output;
let worst = { err: -1 };
for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) for (let d = 0; d < Dv; d++) {
  const ref = exp.out[((b * H + h) * S + s) * Dv + d];
  const g = got[layout === 'BHSD' ? ((b * H + h) * S + s) * F + d : ((b * S + s) * H + h) * F + d];
  const err = ref === null ? 0 : Number.isFinite(g) ? Math.abs(g - ref) : Infinity;
  if (err > worst.err) worst = { err, at: [b, h, s, d], g, ref };
}
const bad = worst.err > exp.allowed;
console.log(\`onnxruntime-node \${ort.env.versions.node} \${exp.op}: max |Y - expected| = \${worst.err} \` +
  \`at [b,h,s,d] = [\${worst.at}] (got \${worst.g}, expected \${worst.ref}); \` +
  \`allowed \${exp.allowed}: \${bad ? 'MISMATCH' : 'ok'}\`);
process.exitCode = bad ? 1 : 0;
`;

export const PYTHON_SCRIPT = `"""Runs model.onnx with the onnxruntime package and prints how far Y is from the float64
expected output.
pip install onnxruntime numpy; python3 repro.py"""
import json, pathlib, sys
import numpy as np
import onnxruntime as ort

here = pathlib.Path(__file__).parent
inputs = json.loads((here / "inputs.json").read_text())
exp = json.loads((here / "expected.json").read_text())
nan = lambda d: [np.nan if x is None else float(x) for x in d]
def arr(t):
    if t["dtype"] == "float16":
        return np.array(t["data"], np.uint16).view(np.float16).reshape(t["dims"])
    kind = {"float32": np.float32, "bool": np.bool_, "int32": np.int32, "int64": np.int64}[t["dtype"]]
    return np.array(nan(t["data"]) if t["dtype"] == "float32" else t["data"], kind).reshape(t["dims"])
providers = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}[exp["ep"]]
options = ort.SessionOptions()
options.log_severity_level = 4
sess = ort.InferenceSession(str(here / "model.onnx"), options, providers=[providers])
try:
    y = sess.run([exp["output"]["name"]], {t["name"]: arr(t) for t in inputs})[0].astype(np.float64)
except Exception as e:  # the op rejected the model or its inputs
    print(f"onnxruntime {ort.__version__} {exp['op']}: threw {str(e).splitlines()[0]}")
    sys.exit(1)
o = exp["output"]
B, H, S, F, Dv = o["B"], o["H"], o["S"], o["F"], o["Dv"]
y = (y.reshape(B, H, S, F) if o["layout"] == "BHSD" else y.reshape(B, S, H, F).transpose(0, 2, 1, 3))[..., :Dv]
ref = np.array(nan(exp["out"])).reshape(B, H, S, Dv)
err = np.where(np.isfinite(ref), np.abs(np.where(np.isfinite(y), y, np.inf) - np.nan_to_num(ref)), 0.0)
at = np.unravel_index(int(np.argmax(err)), err.shape)
bad = err[at] > exp["allowed"]
print(f"onnxruntime {ort.__version__} {exp['op']}: max |Y - expected| = {err[at]} "
      f"at [b,h,s,d] = {[int(i) for i in at]} (got {y[at]}, expected {ref[at]}); "
      f"allowed {exp['allowed']}: {'MISMATCH' if bad else 'ok'}")
sys.exit(1 if bad else 0)
`;
