/**
 * The case streams as hashes, to prove a refactor of src/case changes no generated case: the first
 * 200 cases of five seeds of each arbitrary (attention, LoRA, decode) under several constraint sets,
 * the counterexamples fast-check shrinks to for a few properties, the resolved constraints and the
 * constraint errors. Run before and after, and diff:
 *
 *   npx tsx bench/case-stream-hash.ts > before.json   (change the code)
 *   npx tsx bench/case-stream-hash.ts | diff before.json -
 *
 * The corpus and many tests replay cases by seed, so any difference is a change of behaviour.
 * stderr: how often each attention option is drawn with the default constraints (20000 cases).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import * as C from '../src/case/index.js';

const seeds = [1, 42, 7, 123456, 2024];
const attentionSets: Record<string, object> = {
  default: {},
  deep: { maxCache: 4096 },
  small: { maxBatch: 2, maxHeads: 4, maxSeq: 7, maxHeadDim: 5 },
  score: { allowSoftcap: true, allowAlibi: true, allowBias: true, allowSinks: true, junk: ['none', 'huge', 'nan'] },
  tiles: { tiles: { Br: 64, Bc: 32 }, precisions: ['bfloat16'] },
  off: {
    allowMask: false,
    allowDropout: false,
    allowWindow: false,
    allowPadding: false,
    allowScale: false,
    largeShare: 0,
  },
  fixed: { fixed: { causal: 'top-left', shapes: { B: 2, Hkv: 2, Sk: 5 }, keyLengths: [3, 5] } },
};
const out: Record<string, string> = {};
const h = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);
for (const [name, k] of Object.entries(attentionSets))
  for (const seed of seeds)
    out[`attention/${name}/${seed}`] = h(fc.sample(C.attentionCase(k as never), { numRuns: 200, seed }));
for (const [name, k] of Object.entries({
  default: {},
  small: { maxN: 4, maxFeatures: 6, maxRank: 4 },
  off: { allowDropout: false, allowBZero: false, fixed: { rslora: true } },
}))
  for (const seed of seeds) out[`lora/${name}/${seed}`] = h(fc.sample(C.loraCase(k as never), { numRuns: 200, seed }));
for (const [name, k] of Object.entries({
  default: {},
  deep: { maxSeqlen: 1024, maxPageSize: 64 },
  off: { allowCausal: false, allowScale: false, caches: ['paged'] },
}))
  for (const seed of seeds)
    out[`decode/${name}/${seed}`] = h(fc.sample(C.decodeCase(k as never), { numRuns: 200, seed }));
// shrinking
const shrink = <T>(arb: fc.Arbitrary<T>, pred: (c: T) => boolean, seed: number) =>
  h(fc.check(fc.property(arb, pred), { seed, numRuns: 500 }).counterexample);
for (const seed of seeds) {
  out[`shrink/attention/${seed}`] = shrink(C.attentionCase(), (c) => c.shapes.Sk < 9 || c.mask === null, seed);
  out[`shrink/lora/${seed}`] = shrink(C.loraCase(), (c) => c.rank < 3, seed);
  out[`shrink/decode/${seed}`] = shrink(C.decodeCase(), (c) => c.cache.kind !== 'paged' || c.shapes.Sq < 2, seed);
}
// resolved constraints
out.resolved = h([
  C.resolveAttentionConstraints({}),
  C.resolveAttentionConstraints({ maxSeq: 8, junk: ['nan', 'none'] }),
  C.resolveLoraConstraints({}),
  C.resolveDecodeConstraints({}),
]);
// errors
const errs: string[] = [];
for (const bad of [
  { maxSeq: 0 },
  { maxSeqq: 1 },
  { precisions: ['bf16'] },
  { precisions: [] },
  { largeShare: 2 },
  { fixed: 3 },
  { fixed: { shapes: { Hq: 3, Hkv: 2 } } },
  { fixed: { keyLengths: [1] } },
  { tiles: { Br: 0, Bc: 1 } },
])
  try {
    C.attentionCase(bad as never);
    errs.push('ok');
  } catch (e) {
    errs.push((e as Error).message);
  }
out.errors = h(errs);
console.log(JSON.stringify(out, null, 1));
// shares
const s = fc.sample(C.attentionCase(), { numRuns: 20000, seed: 5 });
const share = (f: (c: C.AttentionCase) => boolean) => (s.filter(f).length / s.length).toFixed(3);
console.error(
  'mask',
  share((c) => c.mask !== null),
  'dropout',
  share((c) => c.dropout !== null),
  'window',
  share((c) => c.window !== null),
  'padding',
  share((c) => c.keyLengths !== null),
  'scale',
  share((c) => c.scale !== null),
);
