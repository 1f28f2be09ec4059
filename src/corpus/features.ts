/**
 * The features of a case that decide which bug it shows, for failure signatures (signature.ts):
 * only what is not the simplest value is listed, so a shrunk case (where every feature the bug
 * does not need has gone back to its simplest value) lists exactly what the failure needs.
 *
 *   attention  causal (the alignment only when Sq != Sk: with Sq = Sk both are the same mask),
 *              mask (its broadcast shape), padding (the side, only when a row is padded), gqa,
 *              dtype, layout, empty-rows (a query row sees no key), tile (a length is not a
 *              multiple of the kernel's tile: a partial last tile; only for a kernel known to
 *              tile: built-in flash runs the case's blocks, a user kernel may declare `tiles`;
 *              for any other kernel the case's blocks mean nothing, and counting them split one
 *              bug of sdpa into `[causal=top-left]` and `[causal=top-left tile=partial]`),
 *              window, dropout, junk, values
 *   lora       dtype, rslora, dropout, b-zero, rank>1
 *   training   layout (of the batch), gqa, steps>1, dropout
 *   decode     cache=paged (contiguous is the simplest), page=partial (some length is not a multiple
 *              of the page size: a last page with padding lanes), causal (only when Sq > 1: one
 *              query sees its whole row either way), gqa, dtype, empty-rows (a row of length 0, or
 *              causal queries before a row's first key), scale
 *   upstream   op
 *
 * Semantics over syntax: two cases that mean the same computation have the same features
 * (padding keyLengths that pad nothing is no padding).
 */
import {
  type AttentionCase,
  type DecodeCase,
  hasPartialPage,
  type LoraCase,
  type UpstreamCase,
} from '../case/index.js';
import { hasEmptyRow, type Tiles } from '../contract/index.js';
import { materialiseAttention } from '../data/index.js';
import type { AnyCase } from '../runner/index.js';
import type { TrainingCase } from '../training/index.js';

/** Feature name -> value ('yes' for a flag); absent = the simplest value. */
export type Features = Readonly<Record<string, string>>;

/**
 * The tiles a kernel runs an attention case in: fixed ones it declares, or 'case' (the case's own blocks, as built-in
 * flash); undefined when it does not say.
 */
export type TileRule = Tiles | 'case' | undefined;

function attentionFeatures(c: AttentionCase, tiles: TileRule): Features {
  const s = c.shapes;
  const f: Record<string, string> = {};
  if (c.causal !== 'none') f.causal = s.Sq === s.Sk ? 'aligned' : c.causal;
  if (c.mask !== null) f.mask = `${c.mask.broadcastBatch ? '1' : 'B'}x${c.mask.broadcastHeads ? '1' : 'H'}`;
  if (c.keyLengths?.some((l) => l < s.Sk)) f.padding = c.paddingSide;
  if (s.Hq > s.Hkv) f.gqa = 'yes';
  if (c.precision !== 'float32') f.dtype = c.precision;
  if (c.layout !== 'BHSD') f.layout = c.layout;
  const m = materialiseAttention(c);
  if (hasEmptyRow(m.options, m.shapes)) f['empty-rows'] = 'yes';
  const t = tiles === 'case' ? c.blocks : tiles;
  if (t !== undefined && (s.Sq % t.Br !== 0 || s.Sk % t.Bc !== 0)) f.tile = 'partial';
  if (c.window !== null) f.window = 'yes';
  if (c.dropout !== null && c.dropout.p > 0) f.dropout = 'yes';
  if (c.junk !== 'none') f.junk = c.junk;
  if (c.values === 'large' || c.values === 'near-ties') f.values = c.values;
  return f;
}

function loraFeatures(c: LoraCase): Features {
  const f: Record<string, string> = {};
  if (c.precision !== 'float32') f.dtype = c.precision;
  if (c.rslora) f.rslora = 'yes';
  if (c.dropout !== null && c.dropout.p > 0) f.dropout = 'yes';
  if (c.bZero) f['b-zero'] = 'yes';
  if (c.rank > 1) f['rank>1'] = 'yes';
  return f;
}

function trainingFeatures(c: TrainingCase): Features {
  const f: Record<string, string> = {};
  if (c.batch.layout !== 'unpadded') f.layout = c.batch.layout;
  if (c.model.kvHeads < c.model.heads) f.gqa = 'yes';
  if (c.steps > 1) f['steps>1'] = 'yes';
  if (c.lora.dropout > 0) f.dropout = 'yes';
  return f;
}

function decodeFeatures(c: DecodeCase): Features {
  const s = c.shapes;
  const f: Record<string, string> = {};
  if (c.cache.kind === 'paged') f.cache = 'paged';
  if (hasPartialPage(c)) f.page = 'partial';
  if (c.causal && s.Sq > 1) f.causal = 'yes';
  if (s.Hq > s.Hkv) f.gqa = 'yes';
  if (c.precision !== 'float32') f.dtype = c.precision;
  // Query i of a row sees keys j <= i + len - Sq: the first query sees none when len < Sq (causal), all when len = 0.
  if (c.cacheSeqlens.some((len) => len === 0 || (c.causal && len < s.Sq))) f['empty-rows'] = 'yes';
  if (c.scale !== null) f.scale = 'yes';
  return f;
}

const FEATURES_OF: {
  readonly [K in AnyCase['kind']]: (c: Extract<AnyCase, { kind: K }>, tiles: TileRule) => Features;
} = {
  attention: attentionFeatures,
  lora: loraFeatures,
  training: trainingFeatures,
  decode: decodeFeatures,
  upstream: (c: UpstreamCase) => ({ op: c.op }),
};

/** The features of any case (see the file header); `tiles`: those of the kernel it failed on. */
export function featuresOf(c: AnyCase, tiles?: TileRule): Features {
  return (FEATURES_OF[c.kind] as (c: AnyCase, tiles: TileRule) => Features)(c, tiles);
}
