"""The attention class of forgot_is_causal.py with the line its copy lacked (adapters#722): with no mask, the
call is causal. attnfuzz finds nothing:

    attnfuzz check --kernel py:examples/forgot-is-causal/correct.py --time 600
"""
from forgot_is_causal import FEATURES, attend, supports  # noqa: F401 - the same class, fixed

__all__ = ["FEATURES", "forward", "supports"]


def forward(q, k, v, opts):
    attention_mask = None if not opts.restricted() or opts.only_top_left_causal() else opts.visible()
    is_causal = attention_mask is None and opts.causal == "top-left"  # the fix: no mask means causal
    return attend(q, k, v, attention_mask, is_causal, opts.scale)
