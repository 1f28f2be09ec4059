/**
 * A training batch as transformers' Llama sees it: token ids [B, S], position ids [B, S], a 2D
 * padding mask [B, S] (1 = token, 0 = padding) or null, and labels [B, S] already shifted (the
 * label at t is the token at t + 1 of the same sequence; -100 = ignored, as PyTorch's
 * cross_entropy ignore_index).
 *
 *   layout          rows                      attentionMask   positions
 *   unpadded        B rows of equal length    null            0 1 2 3
 *   right-padded    tokens then pads          [1 1 1 0]       0 1 2 1
 *   left-padded     pads then tokens          [0 1 1 1]       1 0 1 2
 *   packed          1 row, sequences joined   null            0 1 2 0 1     (restarted: one per document)
 *
 * Pads carry token 0 and position 1 (transformers fills masked positions with 1). `docIds` is the
 * ground truth the float64 reference attends by (same document, causal); the tfjs model never
 * reads it: it must recover the same structure from the mask and the position ids, as transformers does.
 */

export const BATCH_LAYOUTS = ['unpadded', 'right-padded', 'left-padded', 'packed'] as const;
export type BatchLayout = (typeof BATCH_LAYOUTS)[number];
export const IGNORE_INDEX = -100;

export interface Batch {
  readonly B: number;
  readonly S: number;
  readonly layout: BatchLayout;
  readonly inputIds: Int32Array;
  readonly positionIds: Int32Array;
  readonly attentionMask: Uint8Array | null;
  readonly labels: Int32Array;
  /** Document of each token, -1 at padding; row-major [B, S]. */
  readonly docIds: Int32Array;
}

/**
 * Lays `sequences` out in `layout`. Padded layouts pad to the longest sequence; 'unpadded' needs
 * sequences of one length; 'packed' joins them all into one row.
 */
export function buildBatch(sequences: readonly (readonly number[])[], layout: BatchLayout): Batch {
  if (sequences.length === 0 || sequences.some((s) => s.length === 0)) {
    throw new Error(
      `batch: every sequence needs at least one token, received lengths [${sequences.map((s) => s.length).join(',')}]`,
    );
  }
  const rows: Array<Array<{ id: number; pos: number; doc: number; label: number } | null>> = [];
  const tokens = (seq: readonly number[], doc: number) =>
    seq.map((id, t) => ({ id, pos: t, doc, label: t + 1 < seq.length ? seq[t + 1]! : IGNORE_INDEX }));
  if (layout === 'packed') {
    rows.push(sequences.flatMap((seq, doc) => tokens(seq, doc)));
  } else {
    const S = Math.max(...sequences.map((s) => s.length));
    if (layout === 'unpadded' && sequences.some((s) => s.length !== S)) {
      throw new Error(
        `batch: layout 'unpadded' needs equal lengths, received [${sequences.map((s) => s.length).join(',')}]`,
      );
    }
    sequences.forEach((seq, doc) => {
      const pads = new Array<null>(S - seq.length).fill(null);
      rows.push(layout === 'left-padded' ? [...pads, ...tokens(seq, doc)] : [...tokens(seq, doc), ...pads]);
    });
  }
  const B = rows.length;
  const S = rows[0]!.length;
  const inputIds = new Int32Array(B * S);
  const positionIds = new Int32Array(B * S).fill(1);
  const labels = new Int32Array(B * S).fill(IGNORE_INDEX);
  const docIds = new Int32Array(B * S).fill(-1);
  const padded = layout === 'right-padded' || layout === 'left-padded';
  const attentionMask = padded ? new Uint8Array(B * S) : null;
  for (const [b, row] of rows.entries())
    for (const [t, tok] of row.entries()) {
      if (tok === null) continue;
      const n = b * S + t;
      inputIds[n] = tok.id;
      positionIds[n] = tok.pos;
      labels[n] = tok.label;
      docIds[n] = tok.doc;
      if (attentionMask) attentionMask[n] = 1;
    }
  return { B, S, layout, inputIds, positionIds, attentionMask, labels, docIds };
}

/** Number of tokens whose label counts in the loss. */
export function labelCount(batch: Batch): number {
  let n = 0;
  for (const l of batch.labels) if (l !== IGNORE_INDEX) n++;
  return n;
}
