// Runs model.onnx with onnxruntime-node and prints how far Y is from the float64 expected
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
  console.log(`onnxruntime-node ${ort.env.versions.node} ${exp.op}: threw ${ran.message.split('\n')[0]}`);
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
console.log(`onnxruntime-node ${ort.env.versions.node} ${exp.op}: max |Y - expected| = ${worst.err} ` +
  `at [b,h,s,d] = [${worst.at}] (got ${worst.g}, expected ${worst.ref}); ` +
  `allowed ${exp.allowed}: ${bad ? 'MISMATCH' : 'ok'}`);
process.exitCode = bad ? 1 : 0;
