/**
 * The consistency of a KV-cache decode golden (version 2, kind 'decode'), after its schema: data
 * lengths, then the decode contract's shapes (src/contract/decode.ts decodeShapes: q against the
 * cache, cacheSeqlens within the cache, the block table entries a row reads naming pages), then
 * expected.out [B,Hq,Sq,Dv]. Each failure is one GoldenError naming the field as it sits in the file.
 */
import { decodeShapes, type KvCache } from '../contract/index.js';
import { checkLengths, contractCheck, type Fail, headerOf, host, sameAs } from './fields.js';
import type { DecodeGoldenFile, Golden } from './goldenFile.js';

export function decodeGolden(file: string, g: DecodeGoldenFile, fail: Fail): Golden {
  const { options: o, inputs: i, expected: e } = g;
  const c = i.cache;
  checkLengths('inputs', { q: i.q }, fail);
  checkLengths(
    'inputs.cache',
    c.kind === 'contiguous' ? { k: c.k, v: c.v } : { kPages: c.kPages, vPages: c.vPages },
    fail,
  );
  checkLengths('expected', e, fail);
  const s = contractCheck(
    () => decodeShapes(i.q.shape, c, i.cacheSeqlens, ''),
    (f) => `inputs.${f}`,
    fail,
  );
  sameAs('expected.out.shape', e.out.shape, 'out [B,Hq,Sq,Dv] =', [s.B, s.Hq, s.Sq, s.Dv], fail);
  const cache: KvCache =
    c.kind === 'contiguous'
      ? { kind: 'contiguous', k: host(c.k), v: host(c.v) }
      : {
          kind: 'paged',
          kPages: host(c.kPages),
          vPages: host(c.vPages),
          blockTable: c.blockTable.map((row) => [...row]),
        };
  return {
    kind: 'decode',
    ...headerOf(file, g),
    options: { scale: o.scale, causal: o.causal, precision: 'float32' },
    inputs: { q: host(i.q), cache, cacheSeqlens: [...i.cacheSeqlens] },
    expected: { out: host(e.out) },
  };
}
