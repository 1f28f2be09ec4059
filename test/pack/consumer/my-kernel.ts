// A user kernel, as in the README: loaded by the installed CLI through tsx's tsImport.
import { defineAttentionKernel, flashKernel } from 'attnfuzz';
export default defineAttentionKernel({
  name: 'top-left-causal',
  // Broken on purpose: bottom-right causality computed top-left (differs when Sq != Sk).
  forward: (q, k, v, opts, tf) =>
    flashKernel.forward(q, k, v, opts.causal === 'bottom-right' ? { ...opts, causal: 'top-left' } : opts, tf),
});
