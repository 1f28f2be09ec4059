/**
 * `flashDecodeKernel`: flash-attn's flash_attn_with_kvcache (a contiguous cache) and its paged form
 * (block_table, as FlashInfer and vLLM page their caches), forward only, behind the decode contract
 * (src/contract/decode.ts):
 *
 *   q [B, Hq, Sq, D]; cache k [B, Hkv, Smax, D] or pages [numPages, pageSize, Hkv, D] + blockTable [B, maxPages];
 *   cacheSeqlens [B]  ->  out [B, Hq, Sq, Dv]; bottom-right causal within each row (j <= i + len_b - Sq).
 *
 * Per batch row b, the row's len_b keys are gathered from the cache by index, logical slot j from
 * physical page blockTable[b][floor(j / pageSize)], lane j % pageSize; only those: the padding lanes
 * of a last page that len_b does not fill, unused pages and the contiguous cache past len_b are
 * never read (flashinfer-ai/flashinfer#3716, Dao-AILab/flash-attention#1417). Then FlashAttention-2's
 * forward (forward.ts) over the gathered keys, as one flash call per row (rows differ in length).
 * A row with len_b = 0 has output 0.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { type DecodeKernel, defineDecodeKernel } from '../../src/contract/index.js';
import { DEFAULT_BC, DEFAULT_BR, flashAttentionWithLse } from './flash.js';
import { permute } from './operands.js';

export const flashDecodeKernel: DecodeKernel = defineDecodeKernel({
  name: 'flash-decode',
  decode(q, cache, cacheSeqlens, opts, tf) {
    const [B, Hq, Sq, D] = q.shape as [number, number, number, number];
    const pool =
      cache.kind === 'contiguous' ? null : { k: cache.kPages, v: cache.vPages, pageSize: cache.kPages.shape[1]! };
    const Hkv = cache.kind === 'contiguous' ? cache.k.shape[1]! : cache.kPages.shape[2]!;
    const Dv = (cache.kind === 'contiguous' ? cache.v : cache.vPages).shape[3]!;
    const bshd = (x: Tensor) => permute(tf, x, [0, 2, 1, 3]) as Tensor4D;
    return tf.tidy(() => {
      const rows: Tensor[] = [];
      for (let b = 0; b < B; b++) {
        const len = cacheSeqlens[b]!;
        if (len === 0) {
          rows.push(tf.zeros([1, Hq, Sq, Dv]));
          continue;
        }
        let k: Tensor4D;
        let v: Tensor4D;
        if (cache.kind === 'contiguous') {
          k = bshd(tf.slice(cache.k, [b, 0, 0, 0], [1, Hkv, len, D]));
          v = bshd(tf.slice(cache.v, [b, 0, 0, 0], [1, Hkv, len, Dv]));
        } else {
          // Logical slot j of row b -> flat physical slot page·pageSize + lane; only j < len_b.
          const { pageSize } = pool!;
          const slots = Int32Array.from(
            { length: len },
            (_, j) => cache.blockTable[b]![Math.floor(j / pageSize)]! * pageSize + (j % pageSize),
          );
          const gather = (pages: Tensor, F: number) =>
            tf.reshape(tf.gather(tf.reshape(pages, [-1, Hkv * F]), tf.tensor1d(slots, 'int32')), [
              1,
              len,
              Hkv,
              F,
            ]) as Tensor4D;
          k = gather(pool!.k, D);
          v = gather(pool!.v, Dv);
        }
        const qb = bshd(tf.slice(q, [b, 0, 0, 0], [1, Hq, Sq, D]));
        const { out, lse } = flashAttentionWithLse(tf, qb, k, v, {
          scale: opts.scale,
          restrictions: {
            causal: opts.causal ? 'bottom-right' : 'none',
            window: null,
            keyLengths: null,
            paddingSide: 'right',
            mask: null,
          },
          Br: DEFAULT_BR,
          Bc: DEFAULT_BC,
          dropout: null,
          precision: opts.precision,
        });
        lse.dispose();
        rows.push(bshd(out));
      }
      return rows.length === 1 ? rows[0]! : tf.concat(rows, 0);
    });
  },
});
