"""The seed bug in PyTorch (adapter-hub/adapters#721), as an attnfuzz Python kernel.

transformers hands an attention class no mask at all when a batch has no padding, and expects the
class to make the call causal itself (sdpa_attention_forward: is_causal = attention_mask is None and
...). The adapters library's copy of the SDPA class did not have that line: with no mask, the call
was not causal, and every token saw the tokens after it.

    attnfuzz check --kernel py:examples/forgot-is-causal/forgot_is_causal.py --time 60

correct.py is the same class with the line.
"""
import inspect
import math

import torch.nn.functional as F

SDPA = getattr(F, "scaled_dot_product_attention", None)  # PyTorch >= 2.0
HAS_SCALE = SDPA is not None and "scale" in inspect.signature(SDPA).parameters  # >= 2.1

FEATURES = {}  # no softcap, ALiBi, bias or sinks


def supports(opts, shapes):
    if opts.dropout_p > 0:
        return "SDPA draws its own dropout mask: checked with dropout_p=0 only"
    return True


def forward(q, k, v, opts):
    # The model's mask: none when the only restriction is causal (an unpadded batch), else every restriction.
    attention_mask = None if not opts.restricted() or opts.only_top_left_causal() else opts.visible()
    is_causal = False  # BUG: the copied class never sets is_causal = attention_mask is None
    return attend(q, k, v, attention_mask, is_causal, opts.scale)


def attend(q, k, v, attn_mask, is_causal, scale):
    """SDPA in float32 (PyTorch 1.13's rounds Q.K^T to bfloat16), GQA by repeating k and v, and 0 for a row that
    sees no key (SDPA before 2.5 gives NaN there)."""
    dtype = q.dtype
    q, k, v = q.float(), k.float(), v.float()
    if k.shape[1] != q.shape[1]:
        k = k.repeat_interleave(q.shape[1] // k.shape[1], dim=1)
        v = v.repeat_interleave(q.shape[1] // v.shape[1], dim=1)
    seen = None
    if attn_mask is not None:
        seen = attn_mask.any(dim=-1, keepdim=True)
        attn_mask = attn_mask | ~seen  # a row with no key attends anywhere, and is zeroed below
    if HAS_SCALE:
        out = SDPA(q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale)
    else:
        # SDPA before 2.1 scales by 1/sqrt(D): fold the rest into q, rounded once (float64 product).
        q = (q.double() * (scale * math.sqrt(q.shape[-1]))).to(q.dtype)
        if SDPA is not None:
            out = SDPA(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
        else:
            out = F._scaled_dot_product_attention(q, k, v, attn_mask, 0.0, False, is_causal)[0]
    if seen is not None:
        out = out * seen
    return out.to(dtype)
