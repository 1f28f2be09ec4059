/**
 * Known upstream issues of onnxruntime 1.30 that the targets found (docs/findings/onnxruntime-1.30.md):
 * the forms that reach one are not drawn, so a campaign finds something new, unless a kernel is made
 * with `drawKnown` (to see whether an issue still reproduces, or is fixed in a newer release).
 */
export const KNOWN_ISSUES = {
  'mha-past-without-present':
    'MultiHeadAttention (CPU) ignores past_key/past_value when present_key/present_value are not requested',
  'attention-short-mask':
    'Attention (opset 24, CPU) rejects an attn_mask whose last dim is shorter than total_sequence_length',
  'mha-unidirectional-cross':
    'MultiHeadAttention (CPU) unidirectional with kv_sequence_length > sequence_length: rows 0..S-2 are top-left ' +
    'causal (offset past_sequence_length), the last row sees every key',
  'gqa-empty-row-nan':
    'GroupQueryAttention (CPU) gives NaN for a row with no visible key in float16, or with softcap set, or ' +
    'when total_sequence_length is 1 (0 otherwise)',
} as const;

export type KnownIssue = keyof typeof KNOWN_ISSUES;

/** True when the forms of `issue` are to be avoided: always, unless the kernel draws known issues. */
export const avoids = (o: { readonly drawKnown?: boolean }, _issue: KnownIssue): boolean => o.drawKnown !== true;
