/**
 * The scalar options of a host attention call as plain JSON, the same on every wire that carries a
 * call out of this process (worker frames: worker/requests.ts; browser pages: browser/browserKernel.ts).
 * Tensors (mask, ALiBi slopes, bias, sinks, the dropout keep mask) travel as buffers beside them.
 */
import type { HostAttentionCall } from '../contract/index.js';

export function scalarOptions(o: HostAttentionCall['options']) {
  return {
    scale: o.scale,
    causal: o.causal,
    window: o.window,
    keyLengths: o.keyLengths,
    paddingSide: o.paddingSide,
    precision: o.precision,
    softcap: o.softcap ?? null,
    dropout: o.dropout === null ? null : { p: o.dropout.p, seed: o.dropout.seed },
  };
}
