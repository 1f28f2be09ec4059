import { describe, expect, it } from 'vitest';
import { allowedMask, varlenOf } from '../../contract/index.js';
import { buildBatch } from './batch.js';
import { maskInputs, packedSequenceIds } from './masks.js';

const rows = (m: Uint8Array, S: number, b = 0) =>
  Array.from({ length: S }, (_, i) => Array.from(m.slice((b * S + i) * S, (b * S + i + 1) * S)).join(''));

describe('model masks from the padding mask and position ids', () => {
  it('an unpadded batch is causal only, and is neither padded nor packed (sdpa must set is_causal)', () => {
    const m = maskInputs(buildBatch([[1, 2, 3]], 'unpadded'));
    expect([m.padding, m.packed]).toEqual([null, null]);
    expect(rows(allowedMask(m), 3)).toEqual(['100', '110', '111']);
  });

  it('left padding hides the pads as keys; a pad query sees nothing', () => {
    const m = maskInputs(
      buildBatch(
        [
          [1, 2, 3],
          [4, 5],
        ],
        'left-padded',
      ),
    );
    expect(rows(allowedMask(m), 3, 1)).toEqual(['000', '010', '011']);
    expect(varlenOf(m)).toEqual({
      indices: Int32Array.from([0, 1, 2, 4, 5]),
      cuSeqlens: Int32Array.from([0, 3, 5]),
      maxSeqlen: 3,
    });
  });

  it('restarted positions split a packed row into documents', () => {
    const b = buildBatch(
      [
        [1, 2],
        [3, 4, 5],
      ],
      'packed',
    );
    expect(Array.from(packedSequenceIds(b.positionIds, 1, 5)!)).toEqual([0, 0, 1, 1, 1]);
    const m = maskInputs(b);
    expect(rows(allowedMask(m), 5)).toEqual(['10000', '11000', '00100', '00110', '00111']);
    expect(Array.from(varlenOf(m).cuSeqlens)).toEqual([0, 2, 5]);
  });

  it('an all-ones padding mask counts as no padding (transformers drops it for sdpa)', () => {
    expect(
      maskInputs(
        buildBatch(
          [
            [1, 2],
            [3, 4],
          ],
          'right-padded',
        ),
      ).padding,
    ).toBeNull();
  });
});
