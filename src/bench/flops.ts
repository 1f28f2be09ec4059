/**
 * Floating-point operations of attention, counted as FlashAttention's papers count them: the
 * forward is two matmuls, Q·Kᵀ and P·V, 2·Sq·Sk·D and 2·Sq·Sk·Dv per (batch, query head), i.e.
 * 4·B·H·S²·D for D = Dv and Sq = Sk = S; the backward costs 2.5 times the forward (five matmuls
 * against two), so forward + backward = 3.5 · 4·B·H·S²·D. Softmax, masking and rounding are not
 * counted (they are O(S²), not O(S²·D)), so GFLOP/s is "effective": comparable across kernels that
 * compute the same thing, whatever each does besides the matmuls. Causal counts half.
 */
export function attentionFlops(B: number, H: number, S: number, D: number, causal = false): number {
  // Causal attention needs half the products (flash-attn's benchmarks divide by 2 the same way).
  return (causal ? 0.5 : 1) * 3.5 * 4 * B * H * S * S * D;
}

/** n x n by n x n. */
export function matMulFlops(n: number): number {
  return 2 * n * n * n;
}
