#!/usr/bin/env python3
"""Writes corpus/golden/*.json: attnfuzz-golden files computed by PyTorch (version 1; version 2 for
the score options: softcap, ALiBi, float bias, sinks, with lse, dbias and dsinks, and for KV-cache
decode, kind "decode").

The bridge to PyTorch: every file holds tiny inputs and the outputs and gradients PyTorch computes
for them in float64 autograd. The attention math below is written from the contract
(src/contract/types.ts), NOT ported from the TypeScript reference, so the goldens are an external
check of it:

  - the boolean mask [B, Hq, Sq, Sk] is built explicitly from the options (causal top-left
    j <= i, bottom-right j <= i + Sk - Sq, window [l, r] around the bottom-right diagonal with
    -1 = unbounded, key lengths with right/left padding, the broadcast boolean mask);
  - K and V are expanded to Hq heads with repeat_interleave (query head h reads kv head h // g);
  - S = scale * Q K^T; masked entries are -inf; a row with no visible key softmaxes a zero row
    and is then zeroed, so its output and gradients are exactly 0 (never NaN);
  - out = P V; the gradients are those of sum(out * dOut), by torch.autograd.grad.

Where it applies (no empty row), the result is cross-checked against torch 1.13's
F._scaled_dot_product_attention (boolean mask, default scale emulated by rescaling q).
Version 2 (score_golden), in the contract's order, as plain tensor operations:
  S = scale * Q K^T -> softcap c*tanh(S/c) -> -inf where invisible -> + alibi + bias, where
  alibi = -slope * |i + Sk - Sq - j| (slopes [Hq] or [B, Hq]) and bias [B|1, Hq|1, Sq, Sk];
  sinks [Hq] join as one more softmax column that is then dropped; lse = logsumexp over the keys
  and the sink (-inf for a row with no visible key, whose output and gradients are 0);
  dbias and dsinks by autograd (dbias summed over the bias's broadcast dims by autograd itself).
Without softcap and sinks, and with no empty row, it is cross-checked against torch 1.13's SDPA
with ALiBi + bias as a float attn_mask (-inf where invisible).
KV-cache decode (decode_golden, src/contract/decode.ts): each batch row's logical keys are gathered
from the cache by index (contiguous: the first len_b slots; paged: slot j from page
blockTable[b][j // pageSize], lane j % pageSize), expanded to Hq heads, S = scale * Q K^T with
bottom-right causal within the row (query i sees key j iff j <= i + len_b - Sq), softmax, P V; a
query row that sees no key (len_b = 0, or causal with len_b < Sq) is 0. Every slot the contract
does not read (past len_b, padding lanes of a last page, unused pages) is NaN in the file. The
same logical keys are laid out both ways and the paged result must equal the contiguous one bit for
bit; each row is cross-checked against torch 1.13's SDPA on its gathered keys (rows that see a key).
LoRA: y = x W0^T + s x A^T B^T, s = alpha / r or alpha / sqrt(r); cross-checked against the
merged form x (W0 + s B A)^T.

Inputs are drawn in float32 (torch.manual_seed per file) and widened to float64, so float32
kernels see exactly the values PyTorch saw. CI never runs this script: the JSON files are
committed. Run with a Python that has torch:

  /usr/bin/python3 scripts/make_goldens.py [out_dir]
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

F64 = torch.float64
PRODUCER = f"torch {torch.__version__} float64 autograd, scripts/make_goldens.py"


def rand(*shape):
    """Standard normal values that are exact in float32, as float64."""
    return torch.randn(*shape, dtype=torch.float32).to(F64)


def tensor_json(t):
    t = t.detach().to(F64).contiguous()
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def tensor_json2(t):
    """Version 2: non-finite values as the strings "-Infinity", "Infinity", "NaN" (JSON has no literal)."""
    t = t.detach().to(F64).contiguous()

    def num(x):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return float(x)

    return {"shape": list(t.shape), "data": [num(float(x)) for x in t.reshape(-1).tolist()]}


def mask_json(m):
    return {"shape": list(m.shape), "data": [int(x) for x in m.reshape(-1).tolist()]}


# ---------------------------------------------------------------- attention


def visibility(B, Hq, Sq, Sk, causal, window, key_lengths, padding_side, mask):
    """Explicit boolean [B, Hq, Sq, Sk]: True = query i may attend to key j."""
    i = torch.arange(Sq).view(Sq, 1)
    j = torch.arange(Sk).view(1, Sk)
    diag = i + (Sk - Sq)
    vis = torch.ones(B, Hq, Sq, Sk, dtype=torch.bool)
    if causal == "top-left":
        vis &= (j <= i)
    elif causal == "bottom-right":
        vis &= (j <= diag)
    if window is not None:
        left, right = window
        if left >= 0:
            vis &= (j >= diag - left)
        if right >= 0:
            vis &= (j <= diag + right)
    if key_lengths is not None:
        for b, n in enumerate(key_lengths):
            keys = torch.arange(Sk)
            valid = keys < n if padding_side == "right" else keys >= Sk - n
            vis[b] &= valid.view(1, 1, Sk)
    if mask is not None:
        vis &= mask.expand(B, Hq, Sq, Sk)
    return vis


def attention(q, k, v, scale, vis):
    Hq, Hkv = q.shape[1], k.shape[1]
    g = Hq // Hkv
    K = k.repeat_interleave(g, dim=1)
    V = v.repeat_interleave(g, dim=1)
    S = scale * (q @ K.transpose(-1, -2))
    S = S.masked_fill(~vis, float("-inf"))
    nonempty = vis.any(dim=-1, keepdim=True)
    S = torch.where(nonempty, S, torch.zeros_like(S))  # an empty row softmaxes zeros ...
    P = torch.softmax(S, dim=-1)
    P = torch.where(nonempty, P, torch.zeros_like(P))  # ... and is then dropped
    return P @ V


def sdpa_crosscheck(q, k, v, dOut, scale, vis, out, grads):
    """torch 1.13's SDPA (boolean mask, scale 1/sqrt(D)) must agree where no row is empty."""
    g = q.shape[1] // k.shape[1]
    qq, kk, vv = (t.detach().clone().requires_grad_(True) for t in (q, k, v))
    D = q.shape[-1]
    nonempty = vis.any(dim=-1, keepdim=True)
    o, _ = F._scaled_dot_product_attention(
        qq * (scale * math.sqrt(D)), kk.repeat_interleave(g, 1), vv.repeat_interleave(g, 1), vis | ~nonempty, 0.0,
        False, False
    )
    if not bool(nonempty.all()):
        # 1.13 SDPA has no notion of an empty row: compare the forward on the rows that see a key.
        err = ((o - out) * nonempty).abs().max().item()
        if err > 1e-12 * max(1.0, out.abs().max().item()):
            raise SystemExit(f"make_goldens: SDPA cross-check failed on out (non-empty rows): max abs {err}")
        return "sdpa agrees on out of non-empty rows"
    ref = torch.autograd.grad((o * dOut).sum(), (qq, kk, vv))
    for name, a, b in [("out", o, out)] + list(zip(("dq", "dk", "dv"), ref, grads)):
        err = (a - b).abs().max().item()
        if err > 1e-12 * max(1.0, b.abs().max().item()):
            raise SystemExit(f"make_goldens: SDPA cross-check failed on {name}: max abs {err}")
    return "sdpa agrees"


def seeded_inputs(seed, B, Hq, Hkv, Sq, Sk, D, Dv, scale, mask_shape, mask_fn):
    """q, k, v, dOut, the mask and the resolved Dv and scale, drawn in one fixed order from `seed`."""
    torch.manual_seed(seed)
    Dv = D if Dv is None else Dv
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    q, k, v = rand(B, Hq, Sq, D), rand(B, Hkv, Sk, D), rand(B, Hkv, Sk, Dv)
    dOut = rand(B, Hq, Sq, Dv)
    mask = None
    if mask_shape is not None:
        mask = torch.rand(*mask_shape) < 0.7
        if mask_fn is not None:
            mask_fn(mask)
    return q, k, v, dOut, mask, Dv, scale


def attention_golden(name, hint, B=1, Hq=2, Hkv=2, Sq=4, Sk=4, D=4, Dv=None, scale=None, causal="none",
                     window=None, key_lengths=None, padding_side="right", mask_shape=None, mask_fn=None, seed=0):
    q, k, v, dOut, mask, Dv, scale = seeded_inputs(seed, B, Hq, Hkv, Sq, Sk, D, Dv, scale, mask_shape, mask_fn)
    vis = visibility(B, Hq, Sq, Sk, causal, window, key_lengths, padding_side, mask)
    for t in (q, k, v):
        t.requires_grad_(True)
    out = attention(q, k, v, scale, vis)
    grads = torch.autograd.grad((out * dOut).sum(), (q, k, v))
    if not all(torch.isfinite(t).all() for t in (out, *grads)):
        raise SystemExit(f"make_goldens: {name}: non-finite result")
    check = sdpa_crosscheck(q, k, v, dOut, scale, vis, out, grads)
    empty = int((~vis.any(dim=-1)).sum())
    return name, check, {
        "format": "attnfuzz-golden",
        "version": 1,
        "kind": "attention",
        "producer": PRODUCER,
        "name": name,
        "hint": f"{hint}; empty rows: {empty}; float64 autograd of sum(out*dOut) with an explicit boolean mask, "
                f"repeat_interleave GQA, softmax ({check})",
        "options": {
            "scale": scale,
            "causal": causal,
            "window": list(window) if window is not None else None,
            "keyLengths": list(key_lengths) if key_lengths is not None else None,
            "paddingSide": padding_side,
            "mask": mask_json(mask) if mask is not None else None,
        },
        "inputs": {"q": tensor_json(q), "k": tensor_json(k), "v": tensor_json(v), "dOut": tensor_json(dOut)},
        "expected": {"out": tensor_json(out), "dq": tensor_json(grads[0]), "dk": tensor_json(grads[1]),
                     "dv": tensor_json(grads[2])},
    }


def score_attention(q, k, v, scale, vis, softcap, alibi_slopes, bias, sinks):
    """out [B,Hq,Sq,Dv] and lse [B,Hq,Sq] with the score options, written from the contract."""
    B, Hq, Sq = q.shape[0], q.shape[1], q.shape[2]
    Sk = k.shape[2]
    g = Hq // k.shape[1]
    K = k.repeat_interleave(g, dim=1)
    V = v.repeat_interleave(g, dim=1)
    S = scale * (q @ K.transpose(-1, -2))
    if softcap is not None:
        S = softcap * torch.tanh(S / softcap)
    S = S.masked_fill(~vis, float("-inf"))
    if alibi_slopes is not None:
        i = torch.arange(Sq, dtype=F64).view(Sq, 1)
        j = torch.arange(Sk, dtype=F64).view(1, Sk)
        dist = (i + (Sk - Sq) - j).abs()
        slopes = alibi_slopes.view(1, Hq, 1, 1) if alibi_slopes.dim() == 1 else alibi_slopes.view(B, Hq, 1, 1)
        S = S - slopes * dist
    if bias is not None:
        S = S + bias
    nonempty = vis.any(dim=-1, keepdim=True)
    S = torch.where(nonempty, S, torch.zeros_like(S))  # an empty row softmaxes zeros ...
    cols = S if sinks is None else torch.cat([S, sinks.view(1, Hq, 1, 1).expand(B, Hq, Sq, 1)], dim=-1)
    P = torch.softmax(cols, dim=-1)[..., :Sk]
    P = torch.where(nonempty, P, torch.zeros_like(P))  # ... and is then dropped
    lse = torch.logsumexp(cols, dim=-1, keepdim=True)
    lse = torch.where(nonempty, lse, torch.full_like(lse, float("-inf"))).squeeze(-1)
    return P @ V, lse


def score_golden(name, hint, B=1, Hq=2, Hkv=2, Sq=4, Sk=5, D=4, Dv=None, scale=None, causal="none", window=None,
                 key_lengths=None, padding_side="right", mask_shape=None, mask_fn=None, softcap=None, alibi=None,
                 bias_shape=None, sinks=False, seed=0):
    """A version-2 file. alibi: None, "hq" (the standard slopes 2^(-8h/Hq)) or "b-hq" (random [B, Hq])."""
    q, k, v, dOut, mask, Dv, scale = seeded_inputs(seed, B, Hq, Hkv, Sq, Sk, D, Dv, scale, mask_shape, mask_fn)
    slopes = None
    if alibi == "hq":
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / Hq) for h in range(Hq)], dtype=F64)
    elif alibi == "b-hq":
        slopes = torch.rand(B, Hq, dtype=torch.float32).to(F64)
    bias = rand(*bias_shape) if bias_shape is not None else None
    sink = (2 * rand(Hq)) if sinks else None
    vis = visibility(B, Hq, Sq, Sk, causal, window, key_lengths, padding_side, mask)
    leaves = [q, k, v] + [t for t in (bias, sink) if t is not None]
    for t in leaves:
        t.requires_grad_(True)
    out, lse = score_attention(q, k, v, scale, vis, softcap, slopes, bias, sink)
    grads = torch.autograd.grad((out * dOut).sum(), leaves)
    if not all(torch.isfinite(t).all() for t in (out, *grads)):
        raise SystemExit(f"make_goldens: {name}: non-finite result")
    empty = int((~vis.any(dim=-1)).sum())
    check = "no SDPA cross-check (softcap and sinks are not in SDPA; an empty row is not in 1.13 SDPA)"
    if softcap is None and not sinks and empty == 0:
        g = Hq // Hkv
        add = torch.zeros(B, Hq, Sq, Sk, dtype=F64)
        if slopes is not None:
            i = torch.arange(Sq, dtype=F64).view(Sq, 1)
            j = torch.arange(Sk, dtype=F64).view(1, Sk)
            sl = slopes.view(1, Hq, 1, 1) if slopes.dim() == 1 else slopes.view(B, Hq, 1, 1)
            add = add - sl * (i + (Sk - Sq) - j).abs()
        if bias is not None:
            add = add + bias.detach()
        float_mask = add.masked_fill(~vis, float("-inf"))
        o, _ = F._scaled_dot_product_attention(
            q.detach() * (scale * math.sqrt(D)), k.detach().repeat_interleave(g, 1), v.detach().repeat_interleave(g, 1),
            float_mask, 0.0, False, False)
        err = (o - out).abs().max().item()
        if err > 1e-12 * max(1.0, out.abs().max().item()):
            raise SystemExit(f"make_goldens: {name}: SDPA (float attn_mask) cross-check failed on out: max abs {err}")
        check = "sdpa with ALiBi + bias as a float attn_mask agrees on out"
    expected = {"out": tensor_json2(out), "dq": tensor_json2(grads[0]), "dk": tensor_json2(grads[1]),
                "dv": tensor_json2(grads[2]), "lse": tensor_json2(lse)}
    rest = list(grads[3:])
    if bias is not None:
        expected["dbias"] = tensor_json2(rest.pop(0))
    if sink is not None:
        expected["dsinks"] = tensor_json2(rest.pop(0))
    return name, check, {
        "format": "attnfuzz-golden",
        "version": 2,
        "kind": "attention",
        "producer": PRODUCER,
        "name": name,
        "hint": f"{hint}; empty rows: {empty}; float64 autograd of sum(out*dOut) with softcap, ALiBi, bias and sinks "
                f"as tensor operations ({check})",
        "options": {
            "scale": scale,
            "causal": causal,
            "window": list(window) if window is not None else None,
            "keyLengths": list(key_lengths) if key_lengths is not None else None,
            "paddingSide": padding_side,
            "mask": mask_json(mask) if mask is not None else None,
            "softcap": softcap,
            "alibiSlopes": tensor_json2(slopes) if slopes is not None else None,
            "bias": tensor_json2(bias) if bias is not None else None,
            "sinks": tensor_json2(sink) if sink is not None else None,
        },
        "inputs": {"q": tensor_json2(q), "k": tensor_json2(k), "v": tensor_json2(v), "dOut": tensor_json2(dOut)},
        "expected": expected,
    }


# ---------------------------------------------------------------- LoRA


def lora_golden(name, hint, N=3, fin=5, fout=4, rank=2, alpha=4.0, rslora=False, zero_B=False, seed=0):
    torch.manual_seed(seed)
    x, W0, A = rand(N, fin), rand(fout, fin), rand(rank, fin)
    B = torch.zeros(fout, rank, dtype=F64) if zero_B else rand(fout, rank)
    dY = rand(N, fout)
    s = alpha / math.sqrt(rank) if rslora else alpha / rank
    for t in (x, A, B):
        t.requires_grad_(True)
    y = x @ W0.T + s * ((x @ A.T) @ B.T)
    dx, dA, dB = torch.autograd.grad((y * dY).sum(), (x, A, B))
    merged = x.detach() @ (W0 + s * B.detach() @ A.detach()).T
    if (merged - y).abs().max().item() > 1e-12 * max(1.0, y.abs().max().item()):
        raise SystemExit(f"make_goldens: {name}: merged form disagrees")
    return name, "merged agrees", {
        "format": "attnfuzz-golden",
        "version": 1,
        "kind": "lora-linear",
        "producer": PRODUCER,
        "name": name,
        "hint": f"{hint}; s = {s!r}; float64 autograd of sum(y*dY), cross-checked against the merged form",
        "options": {"rank": rank, "alpha": alpha, "rslora": rslora},
        "inputs": {"x": tensor_json(x), "W0": tensor_json(W0), "A": tensor_json(A), "B": tensor_json(B),
                   "dY": tensor_json(dY)},
        "expected": {"y": tensor_json(y), "dx": tensor_json(dx), "dA": tensor_json(dA), "dB": tensor_json(dB)},
    }


# ---------------------------------------------------------------- KV-cache decode


def contiguous_cache(rows, extra):
    """[B, Hkv, Smax, F] from each row's logical [Hkv, len_b, F], Smax = longest + extra; NaN past len_b."""
    B, Hkv, F_ = len(rows), rows[0].shape[0], rows[0].shape[2]
    smax = max(r.shape[1] for r in rows) + extra
    cache = torch.full((B, Hkv, smax, F_), float("nan"), dtype=F64)
    for b, r in enumerate(rows):
        cache[b, :, :r.shape[1]] = r
    return cache


def page_table(lens, page_size, extra, generator):
    """blockTable [B, maxPages]: the pages of all rows and `extra` unused ones, shuffled physically.
    Entries past a row's pages are never read; they point at the last physical page (unused if extra > 0)."""
    used = [-(-n // page_size) for n in lens]
    num_pages = sum(used) + extra
    physical = torch.randperm(num_pages, generator=generator).tolist()
    max_pages = max(1, *used)
    table, nxt = [], 0
    for n in used:
        table.append(physical[nxt:nxt + n] + [physical[-1]] * (max_pages - n))
        nxt += n
    return table, num_pages


def paged_cache(rows, table, num_pages, page_size):
    """[numPages, pageSize, Hkv, F]: logical slot j of row b at page table[b][j // pageSize], lane j % pageSize;
    NaN elsewhere."""
    Hkv, F_ = rows[0].shape[0], rows[0].shape[2]
    pages = torch.full((num_pages, page_size, Hkv, F_), float("nan"), dtype=F64)
    for b, r in enumerate(rows):
        for j in range(r.shape[1]):
            pages[table[b][j // page_size], j % page_size] = r[:, j]
    return pages


def gather_contiguous(cache, lens):
    """Row b's logical keys [Hkv, len_b, F]: the first len_b slots."""
    return [cache[b, :, :n] for b, n in enumerate(lens)]


def gather_paged(pages, table, lens):
    """Row b's logical keys [Hkv, len_b, F], slot by slot through the block table."""
    P = pages.shape[1]
    out = []
    for b, n in enumerate(lens):
        phys = torch.tensor([table[b][j // P] for j in range(n)], dtype=torch.long)
        lane = torch.tensor([j % P for j in range(n)], dtype=torch.long)
        out.append(pages[phys, lane].permute(1, 0, 2))  # [len, Hkv, F] -> [Hkv, len, F]
    return out


def decode_visibility(Sq, n, causal):
    """[Sq, n]: query i sees key j iff j <= i + n - Sq (bottom-right causal within the row)."""
    i = torch.arange(Sq).view(Sq, 1)
    j = torch.arange(n).view(1, n)
    return (j <= i + (n - Sq)) if causal else torch.ones(Sq, n, dtype=torch.bool)


def decode_attention(q, ks, vs, scale, causal):
    """out [B, Hq, Sq, Dv] from each row's gathered keys: GQA by repeat_interleave, masked softmax, 0 for a row
    with no key."""
    B, Hq, Sq, _ = q.shape
    Dv = vs[0].shape[2]
    out = torch.zeros(B, Hq, Sq, Dv, dtype=F64)
    for b in range(B):
        n = ks[b].shape[1]
        if n == 0:
            continue  # no key: output 0
        g = Hq // ks[b].shape[0]
        K, V = ks[b].repeat_interleave(g, dim=0), vs[b].repeat_interleave(g, dim=0)
        vis = decode_visibility(Sq, n, causal)
        S = (scale * (q[b] @ K.transpose(-1, -2))).masked_fill(~vis, float("-inf"))
        nonempty = vis.any(dim=-1, keepdim=True)
        P = torch.softmax(torch.where(nonempty, S, torch.zeros_like(S)), dim=-1)
        out[b] = torch.where(nonempty, P, torch.zeros_like(P)) @ V
    return out


def decode_sdpa_crosscheck(name, q, ks, vs, scale, causal, out):
    """torch 1.13's SDPA on each row's gathered keys, on the query rows that see a key."""
    D = q.shape[-1]
    for b in range(q.shape[0]):
        n = ks[b].shape[1]
        if n == 0:
            continue
        g = q.shape[1] // ks[b].shape[0]
        vis = decode_visibility(q.shape[2], n, causal)
        nonempty = vis.any(dim=-1, keepdim=True)
        o, _ = F._scaled_dot_product_attention(
            (q[b] * (scale * math.sqrt(D)))[None], ks[b].repeat_interleave(g, 0)[None],
            vs[b].repeat_interleave(g, 0)[None], (vis | ~nonempty).expand(1, q.shape[1], *vis.shape), 0.0, False, False)
        err = ((o[0] - out[b]) * nonempty).abs().max().item()
        if err > 1e-12 * max(1.0, out[b].abs().max().item()):
            raise SystemExit(f"make_goldens: {name}: SDPA cross-check failed on out, row {b}: max abs {err}")
    return "paged = contiguous; sdpa agrees on out of rows that see a key"


def decode_golden(name, hint, lens, Hq=2, Hkv=2, Sq=1, D=4, Dv=None, scale=None, causal=False, page_size=None,
                  extra=1, seed=0):
    """A version-2 file of kind "decode". page_size None: a contiguous cache with `extra` slots past the
    longest row; else a paged one with `extra` unused pages. Both layouts are built from the same logical
    keys and must give the same out, bit for bit; unread slots are NaN in the file."""
    torch.manual_seed(seed)
    B = len(lens)
    Dv = D if Dv is None else Dv
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    q = rand(B, Hq, Sq, D)
    ks = [rand(Hkv, n, D) for n in lens]
    vs = [rand(Hkv, n, Dv) for n in lens]
    P = page_size if page_size is not None else 3
    table, num_pages = page_table(lens, P, max(extra, 1), torch.Generator().manual_seed(seed))
    contiguous = {"kind": "contiguous", "k": contiguous_cache(ks, extra), "v": contiguous_cache(vs, extra)}
    paged = {"kind": "paged", "kPages": paged_cache(ks, table, num_pages, P),
             "vPages": paged_cache(vs, table, num_pages, P), "blockTable": table}
    out = decode_attention(q, gather_contiguous(contiguous["k"], lens), gather_contiguous(contiguous["v"], lens),
                           scale, causal)
    out_paged = decode_attention(q, gather_paged(paged["kPages"], table, lens),
                                 gather_paged(paged["vPages"], table, lens), scale, causal)
    if not torch.equal(out, out_paged):
        raise SystemExit(f"make_goldens: {name}: paged and contiguous caches disagree")
    if not torch.isfinite(out).all():
        raise SystemExit(f"make_goldens: {name}: non-finite result")
    check = decode_sdpa_crosscheck(name, q, ks, vs, scale, causal, out)
    cache = contiguous if page_size is None else paged
    layout = (f"contiguous, Smax {cache['k'].shape[2]}" if page_size is None else
              f"paged, pageSize {P}, {num_pages} pages, blockTable {table}")
    empty = sum(int((~decode_visibility(Sq, n, causal).any(dim=-1)).sum()) * Hq if n > 0 else Sq * Hq for n in lens)
    return name, check, {
        "format": "attnfuzz-golden",
        "version": 2,
        "kind": "decode",
        "producer": PRODUCER,
        "name": name,
        "hint": f"{hint}; {layout}, cacheSeqlens {list(lens)}; empty query rows: {empty}; every unread slot is NaN; "
                f"float64 from each row's keys gathered slot by slot, repeat_interleave GQA, softmax ({check})",
        "options": {"scale": scale, "causal": causal},
        "inputs": {"q": tensor_json2(q), "cacheSeqlens": list(lens),
                   "cache": {k: (tensor_json2(t) if torch.is_tensor(t) else t) for k, t in cache.items()}},
        "expected": {"out": tensor_json2(out)},
    }


# ---------------------------------------------------------------- the corpus


def empty_row(m):
    m[..., 0, :] = False  # one fully masked query row (per broadcast slice)


def goldens():
    a = attention_golden
    s = score_golden
    d = decode_golden
    return [
        a("attention-plain-sq4-sk4-d4", "no restriction, Hq = Hkv = 2", seed=1),
        a("attention-sq3-sk6", "Sq < Sk, no restriction", Sq=3, Sk=6, seed=2),
        a("attention-sq6-sk3", "Sq > Sk, no restriction", Sq=6, Sk=3, seed=3),
        a("attention-sq1-sk5-decode", "decode step Sq = 1, no restriction", Sq=1, Sk=5, seed=4),
        a("attention-causal-tl-sq1-sk5", "decode step with top-left causal: sees key 0 only", Sq=1, Sk=5,
          causal="top-left", seed=5),
        a("attention-causal-br-sq1-sk5", "decode step with bottom-right causal: sees every key", Sq=1, Sk=5,
          causal="bottom-right", seed=6),
        a("attention-causal-tl-sq5-sk5", "top-left causal, square", Sq=5, Sk=5, causal="top-left", seed=7),
        a("attention-causal-tl-sq3-sk5", "top-left causal, Sq < Sk", Sq=3, Sk=5, causal="top-left", seed=8),
        a("attention-causal-tl-sq5-sk3", "top-left causal, Sq > Sk", Sq=5, Sk=3, causal="top-left", seed=9),
        a("attention-causal-br-sq5-sk3-empty", "bottom-right causal, Sq > Sk: the first rows see no key",
          Sq=5, Sk=3, causal="bottom-right", seed=10),
        a("attention-gqa3-causal-br-sq3-sk5", "GQA Hq=3 Hkv=1 with bottom-right causal, Sq < Sk", Hq=3, Hkv=1,
          Sq=3, Sk=5, causal="bottom-right", seed=11),
        a("attention-gqa2-h4-kv2", "GQA ratio 2 (Hq=4, Hkv=2)", Hq=4, Hkv=2, Sq=3, Sk=4, seed=12),
        a("attention-gqa3-h6-kv2", "GQA ratio 3 (Hq=6, Hkv=2)", Hq=6, Hkv=2, Sq=2, Sk=3, D=3, seed=13),
        a("attention-gqa4-h4-kv1-b2", "GQA ratio 4 (Hq=4, Hkv=1), B = 2", B=2, Hq=4, Hkv=1, Sq=2, Sk=3, seed=14),
        a("attention-dv6-d4", "Dv != D (D=4, Dv=6)", D=4, Dv=6, Sq=3, Sk=4, seed=15),
        a("attention-dv2-d5", "Dv < D, odd D (D=5, Dv=2)", D=5, Dv=2, Sq=3, Sk=3, seed=16),
        a("attention-d1", "head dim D = Dv = 1", D=1, Sq=3, Sk=4, seed=17),
        a("attention-odd-d7", "odd head dim D = 7", D=7, Sq=2, Sk=3, Hq=1, Hkv=1, seed=18),
        a("attention-scale-2.5", "non-default scale 2.5 (large logits)", scale=2.5, Sq=3, Sk=4, seed=19),
        a("attention-scale-0.1-causal-tl", "non-default scale 0.1 with top-left causal", scale=0.1, Sq=4, Sk=4,
          causal="top-left", seed=20),
        a("attention-window-1-1-sq5-sk5", "symmetric window [1, 1]", Sq=5, Sk=5, window=(1, 1), seed=21),
        a("attention-window-2-0-sq3-sk6", "asymmetric window [2, 0] (left 2, right 0), Sq < Sk", Sq=3, Sk=6,
          window=(2, 0), seed=22),
        a("attention-window-0-2-sq5-sk4", "asymmetric window [0, 2], Sq > Sk", Sq=5, Sk=4, window=(0, 2), seed=23),
        a("attention-window-m1-1-sq4-sk6", "window [-1, 1]: unbounded left", Sq=4, Sk=6, window=(-1, 1), seed=24),
        a("attention-window-1-m1-sq4-sk4", "window [1, -1]: unbounded right", Sq=4, Sk=4, window=(1, -1), seed=25),
        a("attention-window-1-1-causal-br-sq6-sk3", "window [1, 1] with bottom-right causal, Sq > Sk (empty rows)",
          Sq=6, Sk=3, window=(1, 1), causal="bottom-right", seed=26),
        a("attention-keylen-right-b2", "key lengths [3, 5] with right padding", B=2, Sq=3, Sk=5,
          key_lengths=[3, 5], seed=27),
        a("attention-keylen-left-b2", "key lengths [2, 5] with left padding", B=2, Sq=3, Sk=5, key_lengths=[2, 5],
          padding_side="left", seed=28),
        a("attention-keylen-right-zero-b2", "key lengths [0, 3], right padding: batch row 0 fully padded (empty rows)",
          B=2, Sq=3, Sk=4, key_lengths=[0, 3], seed=29),
        a("attention-keylen-left-causal-tl-b2", "key lengths [2, 4], left padding with top-left causal (empty rows)",
          B=2, Sq=4, Sk=4, key_lengths=[2, 4], padding_side="left", causal="top-left", seed=30),
        a("attention-mask-1-1", "boolean mask [1,1,Sq,Sk] broadcast over batch and heads", B=2, Sq=3, Sk=4,
          mask_shape=(1, 1, 3, 4), seed=31),
        a("attention-mask-b-1", "boolean mask [B,1,Sq,Sk] broadcast over heads", B=2, Sq=3, Sk=4,
          mask_shape=(2, 1, 3, 4), seed=32),
        a("attention-mask-1-h", "boolean mask [1,Hq,Sq,Sk] broadcast over batch", B=2, Sq=3, Sk=4,
          mask_shape=(1, 2, 3, 4), seed=33),
        a("attention-mask-b-h-empty-row", "full boolean mask [B,Hq,Sq,Sk] with a fully masked query row", B=2,
          Sq=3, Sk=4, mask_shape=(2, 2, 3, 4), mask_fn=empty_row, seed=34),
        a("attention-all-options-gqa2", "every restriction at once: GQA 2, bottom-right causal, window [2, -1], "
          "left padding, mask [B,1,Sq,Sk], scale 0.7", B=2, Hq=4, Hkv=2, Sq=3, Sk=5, D=3, Dv=2, scale=0.7,
          causal="bottom-right", window=(2, -1), key_lengths=[4, 5], padding_side="left", mask_shape=(2, 1, 3, 5),
          seed=35),
        # version 2: the score options, at least three files each
        s("attention-v2-softcap-1-scale-2", "softcap 1 with scale 2: every logit bent", scale=2.0, softcap=1.0,
          seed=50),
        s("attention-v2-softcap-5-causal-br", "softcap 5, bottom-right causal, Sq < Sk", Sq=3, Sk=6, scale=1.5,
          softcap=5.0, causal="bottom-right", seed=51),
        s("attention-v2-softcap-30-gqa-keylen", "softcap 30 (Gemma 2's final cap), GQA 2, left padding", B=2, Hq=4,
          Hkv=2, Sq=3, Sk=5, scale=3.0, softcap=30.0, key_lengths=[3, 5], padding_side="left", seed=52),
        s("attention-v2-alibi-hq", "ALiBi, the standard slopes 2^(-8h/Hq), Hq = 4", Hq=4, Hkv=4, Sq=4, Sk=6,
          alibi="hq", seed=53),
        s("attention-v2-alibi-b-hq-causal-tl", "ALiBi slopes [B, Hq], top-left causal", B=2, Sq=4, Sk=4,
          alibi="b-hq", causal="top-left", seed=54),
        s("attention-v2-alibi-decode", "ALiBi on a decode step Sq = 1 against 7 keys", Sq=1, Sk=7, alibi="hq",
          seed=55),
        s("attention-v2-bias-b-h", "float bias [B, Hq, Sq, Sk], no broadcast", B=2, Sq=3, Sk=4,
          bias_shape=(2, 2, 3, 4), seed=56),
        s("attention-v2-bias-1-1-keylen", "float bias [1, 1, Sq, Sk] (dbias summed over B and Hq), right padding",
          B=2, Sq=3, Sk=5, bias_shape=(1, 1, 3, 5), key_lengths=[5, 2], seed=57),
        s("attention-v2-bias-b-1-mask-empty-row", "float bias [B, 1, Sq, Sk] with a mask hiding a whole row",
          B=2, Sq=3, Sk=4, bias_shape=(2, 1, 3, 4), mask_shape=(2, 2, 3, 4), mask_fn=empty_row, seed=58),
        s("attention-v2-bias-1-h-window-alibi", "float bias [1, Hq, Sq, Sk] plus ALiBi, window [1, 1]", Hq=4, Hkv=2,
          Sq=4, Sk=5, bias_shape=(1, 4, 4, 5), alibi="hq", window=(1, 1), seed=59),
        s("attention-v2-sinks", "sinks [Hq], no restriction", Sq=3, Sk=4, sinks=True, seed=60),
        s("attention-v2-sinks-causal-br-empty", "sinks with bottom-right causal, Sq > Sk: empty rows stay 0, lse -inf",
          Sq=5, Sk=3, sinks=True, causal="bottom-right", seed=61),
        s("attention-v2-sinks-gqa-window", "sinks with GQA 3 and window [2, 0]", Hq=3, Hkv=1, Sq=4, Sk=6,
          sinks=True, window=(2, 0), seed=62),
        s("attention-v2-all-options", "softcap 2, ALiBi [B, Hq], bias [B, 1, Sq, Sk], sinks, bottom-right causal, "
          "GQA 2, mask", B=2, Hq=4, Hkv=2, Sq=3, Sk=5, D=3, Dv=2, scale=1.2, softcap=2.0, alibi="b-hq",
          bias_shape=(2, 1, 3, 5), sinks=True, causal="bottom-right", mask_shape=(1, 4, 3, 5), seed=63),
        # KV-cache decode (version 2, kind "decode"): NaN in every slot the contract does not read
        d("decode-contiguous-smax", "a contiguous cache longer than its rows, one decode step, Dv != D",
          lens=[3, 5], D=4, Dv=3, extra=3, seed=70),
        d("decode-paged-shuffled", "paged cache, pageSize 3 dividing neither length, shuffled physical pages, "
          "an unused page", lens=[5, 7], page_size=3, extra=1, seed=71),
        d("decode-causal-gqa3-sq3", "bottom-right causal with Sq 3 and GQA 3 (Hq 6, Hkv 2); row 1 holds "
          "2 keys, so its first query sees none", lens=[6, 2], Hq=6, Hkv=2, Sq=3, D=3, Dv=5, causal=True, extra=2,
          seed=72),
        d("decode-seqlen-zero", "row 0 has no key (output 0), row 2 "
          "one key in a half page, GQA 2", lens=[0, 4, 1], Hq=4, Hkv=2, page_size=2, extra=2, seed=73),
        d("decode-paged-causal-gqa3", "bottom-right causal Sq 4, GQA 3 (Hq 3, Hkv 1), scale 0.8; "
          "row 1 holds 3 keys, so its first query sees none", lens=[9, 3], Hq=3, Hkv=1, Sq=4, D=5, Dv=2, scale=0.8,
          causal=True, page_size=4, extra=1, seed=74),
        lora_golden("lora-r2-alpha4", "LoRA s = alpha / r, rank 2", rank=2, alpha=4.0, seed=40),
        lora_golden("lora-r4-rslora", "rsLoRA s = alpha / sqrt(r), rank 4", rank=4, alpha=8.0, rslora=True,
                    fin=6, fout=3, seed=41),
        lora_golden("lora-r1-alpha1", "LoRA rank 1, alpha 1, a single row", rank=1, alpha=1.0, N=1, seed=42),
        lora_golden("lora-b-zero", "B = 0 as at initialisation: y = x W0^T, dA = 0, dB != 0", rank=2, alpha=16.0,
                    zero_B=True, seed=43),
        lora_golden("lora-b-zero-rslora", "B = 0 with rsLoRA", rank=3, alpha=6.0, rslora=True, zero_B=True, seed=44),
    ]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "corpus", "golden")
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    docs = goldens()
    for name, check, doc in docs:
        path = os.path.join(out_dir, name + ".json")
        text = json.dumps(doc, separators=(",", ":")) + "\n"
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
        print(f"{name:45s} {len(text):6d} bytes  {check}")
    print(f"make_goldens: wrote {len(docs)} files, {total} bytes")


if __name__ == "__main__":
    main()
