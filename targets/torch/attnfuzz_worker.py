#!/usr/bin/env python3
"""attnfuzz's PyTorch worker: the worker protocol (docs/PROTOCOL.md, version 1) on stdin and stdout,
with the standard library and torch only.

    python3 attnfuzz_worker.py --target sdpa [--device cpu|cuda|cuda:N]     (attnfuzz --kernel torch:sdpa)
    python3 attnfuzz_worker.py --module path/to/kernel.py [--device ...]     (attnfuzz --kernel py:kernel.py)

Targets (docs/targets/pytorch.md has the table of each: contract field -> argument, and what is declined):
    sdpa, sdpa:math, sdpa:flash, sdpa:efficient, sdpa:cudnn   F.scaled_dot_product_attention (1.13: the private
                                                              F._scaled_dot_product_attention), a backend forced
    mha                                                       nn.MultiheadAttention, its inference fast path too
    eager                                                     matmul, softmax, matmul as transformers' eager
    transformers:eager, transformers:sdpa                     transformers' own functions, where it is importable

A module defines, on torch tensors in the contract layout, on the device, in the case's dtype
(q [B, Hq, Sq, D], k [B, Hkv, Sk, D], v [B, Hkv, Sk, Dv] -> out [B, Hq, Sq, Dv]; query head h reads
kv head h // (Hq // Hkv)):

    def forward(q, k, v, opts): return out          # or (out, lse), or {"out": out, "lse": lse}
    def supports(opts, shapes): return True         # or the reason it declines the case        (optional)
    FEATURES = {"softcap": True, "alibi": True, "bias": True, "sinks": True}                 (optional)
    PRECISIONS = ["float32", "bfloat16"]            # default: each dtype the device computes  (optional)
    BACKWARD = False                                # forward only                             (optional)
    TILES = {"Br": 64, "Bc": 64}; GUARANTEES = {"unseenKeysUnread": True}; NAME = "mine"     (optional)
    def decode(q, cache, cache_seqlens, opts): ...  # KV-cache decode, forward only            (optional)
    def lora(x, W0, A, B, spec, keep): return y     # a LoRA linear layer                      (optional)

`opts` is an Options (below): the contract's options as Python values and torch tensors, plus
`opts.visible()`, the bool [B, Hq, Sq, Sk] of which key each query may see. Gradients are autograd's,
of sum(out * dOut), with respect to q, k, v (and bias, sinks when the case has them).

Frames go to the real stdout only: anything printed (by a module, by torch) goes to stderr.
"""

import argparse
import ctypes
import importlib.util
import inspect
import json
import math
import os
import platform
import random
import struct
import sys
import traceback
import zlib

PROTOCOL = 1
MAGIC = b"ATFZ"


class Declined(Exception):
    """The case is outside what the kernel computes: reported unsupported, with this reason."""


class StartError(Exception):
    """The worker cannot serve (no torch, no CUDA, an unknown target): sent as the error frame before hello."""


# ===================================================================================== frames


def read_exact(stream, n):
    """n bytes, or None at end of input before the first byte."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            if got == 0:
                return None
            raise EOFError("input ended inside a frame")
        got += k
    return buf


def read_frame(stream, torch):
    prefix = read_exact(stream, 12)
    if prefix is None:
        return None
    if bytes(prefix[:4]) != MAGIC:
        raise EOFError("input is not frames (got %r)" % bytes(prefix))
    h, p = struct.unpack_from("<II", prefix, 4)
    header = json.loads(read_exact(stream, h).decode("utf-8"))
    payload = read_exact(stream, p) if p else bytearray()
    tensors, at = {}, 0
    for b in header.get("buffers", []):
        dtype, size = wire_dtypes(torch)[b["dtype"]]
        n = math.prod(b["shape"])
        t = torch.frombuffer(payload, dtype=dtype, count=n, offset=at) if n else torch.empty(0, dtype=dtype)
        tensors[b["name"]] = t.reshape(b["shape"])
        at += n * size
    return header, tensors


def wire_dtypes(torch):
    return {"float32": (torch.float32, 4), "float64": (torch.float64, 8), "int32": (torch.int32, 4),
            "uint8": (torch.uint8, 1)}


def write_frame(stream, header, tensors=()):
    """header plus the tensors' raw bytes; floating tensors go as float32 (float64 stays float64)."""
    described, parts = [], []
    for name, t in tensors:
        import torch
        names = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32", torch.uint8: "uint8"}
        t = t.detach()
        if t.dtype == torch.bool:
            t = t.to(torch.uint8)
        elif t.is_floating_point() and t.dtype != torch.float64:
            t = t.to(torch.float32)
        t = t.to("cpu").contiguous()
        described.append({"name": name, "dtype": names[t.dtype], "shape": list(t.shape)})
        parts.append(ctypes.string_at(t.data_ptr(), t.numel() * t.element_size()) if t.numel() else b"")
    js = json.dumps(dict(header, buffers=described)).encode("utf-8")
    stream.write(MAGIC + struct.pack("<II", len(js), sum(len(x) for x in parts)))
    stream.write(js)
    for x in parts:
        stream.write(x)
    stream.flush()


def error_frame(stream, message, rid=None):
    header = {"type": "error", "message": message}
    if rid is not None:
        header["id"] = rid
    write_frame(stream, header)


# ===================================================================================== options


class Options:
    """One attention call's options, as forward(q, k, v, opts) and supports(opts, shapes) receive them.

    scale float; causal 'none' | 'top-left' | 'bottom-right'; window None | (left, right) (-1 = unbounded);
    key_lengths None | [B ints]; padding_side 'right' | 'left'; mask None | bool [B|1, Hq|1, Sq, Sk] (True =
    may attend); dropout_p float; dropout_seed int; dropout_keep None | bool [B, Hq, Sq, Sk] (True = kept:
    multiply kept weights by 1 / (1 - p)); precision 'float32' | 'bfloat16' | 'float16' and dtype (its torch
    dtype); device; softcap None | float; alibi_slopes None | float32 [Hq] or [B, Hq]; bias None | float32
    [B|1, Hq|1, Sq, Sk] (a leaf: dbias is its gradient); sinks None | float32 [Hq] (dsinks); empty_rows
    (some query sees no key); shapes (B, Hq, Hkv, Sq, Sk, D, Dv); seed (an int fixed by the case, for
    adapters that choose among equivalent calls).
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def restricted(self):
        """True when some key is hidden from some query by causal, window, key lengths or the mask."""
        return (self.causal != "none" or self.window is not None or self.key_lengths is not None
                or self.mask is not None)

    def only_top_left_causal(self):
        return (self.causal == "top-left" and self.window is None and self.key_lengths is None
                and self.mask is None)

    def visible(self):
        """bool [B, Hq, Sq, Sk]: key j visible to query i of (b, h) (the contract's visibility, types.ts)."""
        import torch
        s, dev = self.shapes, self.device
        i = torch.arange(s.Sq, device=dev).view(s.Sq, 1)
        j = torch.arange(s.Sk, device=dev).view(1, s.Sk)
        diag = i + s.Sk - s.Sq
        vis = torch.ones(s.Sq, s.Sk, dtype=torch.bool, device=dev)
        if self.causal == "top-left":
            vis = vis & (j <= i)
        elif self.causal == "bottom-right":
            vis = vis & (j <= diag)
        if self.window is not None:
            left, right = self.window
            if left >= 0:
                vis = vis & (j >= diag - left)
            if right >= 0:
                vis = vis & (j <= diag + right)
        vis = vis.view(1, 1, s.Sq, s.Sk).expand(s.B, s.Hq, s.Sq, s.Sk)
        if self.key_lengths is not None:
            lens = torch.tensor(self.key_lengths, device=dev).view(s.B, 1, 1, 1)
            jj = j.view(1, 1, 1, s.Sk)
            vis = vis & ((jj < lens) if self.padding_side == "right" else (jj >= s.Sk - lens))
        if self.mask is not None:
            vis = vis & self.mask
        return vis.contiguous()

    def additive(self):
        """float32 [B|1, Hq, Sq, Sk]: ALiBi (-slope * |i + Sk - Sq - j|) plus the bias; None when both are off."""
        import torch
        if self.alibi_slopes is None and self.bias is None:
            return None
        s = self.shapes
        add = torch.zeros(1, s.Hq, s.Sq, s.Sk, dtype=torch.float32, device=self.device)
        if self.alibi_slopes is not None:
            i = torch.arange(s.Sq, device=self.device).view(s.Sq, 1)
            j = torch.arange(s.Sk, device=self.device).view(1, s.Sk)
            distance = (i + s.Sk - s.Sq - j).abs().to(torch.float32)
            add = add - self.alibi_slopes.reshape(-1, s.Hq, 1, 1) * distance
        if self.bias is not None:
            add = add + self.bias
        return add


def repeat_kv(x, Hq):
    """[B, Hkv, S, F] -> [B, Hq, S, F], kv head h // (Hq // Hkv) for query head h (transformers' repeat_kv)."""
    return x if x.shape[1] == Hq else x.repeat_interleave(Hq // x.shape[1], dim=1)


def torch_version():
    import torch
    parts = torch.__version__.split("+")[0].split(".")
    return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in parts[:2])



def no_key_nan_fixed():
    """SDPA gives 0 (not NaN) for a row that sees no key from PyTorch 2.5 on (pytorch/pytorch#103749)."""
    return torch_version() >= (2, 5)


def math_upcasts():
    """SDPA's math backend computes bfloat16/float16 in float32 from PyTorch 2.5 on (pytorch/pytorch#128922)."""
    return torch_version() >= (2, 5)


LOW_PRECISION_MATH = ("PyTorch %s's math attention computes Q.K^T, the softmax's input and the gradients in %s (the "
                      "contract keeps them in float32; upcast from 2.5, pytorch/pytorch#128922): "
                      "docs/findings/pytorch-1.13.md")


# ===================================================================================== torch:sdpa


class Sdpa:
    """F.scaled_dot_product_attention (1.13: the private F._scaled_dot_product_attention, math only).

    contract                      SDPA argument
    q, k, v [B, H, S, D]          query, key, value as they are; GQA: enable_gqa=True (>= 2.5), else k, v
                                  repeat_interleave'd to Hq heads (autograd sums dk, dv back)
    scale                         scale= (>= 2.1); before, q * (scale * sqrt(D)) in float32 (declined in
                                  low precision: it would round q again)
    causal top-left, alone        is_causal=True, or the same as an explicit mask (drawn per case)
    any other restriction         attn_mask: bool [B|1, Hq|1, Sq, Sk] (True = attend) or float (0 / -inf), drawn
    ALiBi, bias                   float attn_mask in the query's dtype: additive terms, -inf where hidden
    dropout                       declined: SDPA draws its own mask and returns none
    softcap, sinks                not declared (SDPA has neither)
    """

    FEATURES = {"alibi": True, "bias": True}

    def __init__(self, backend, device):
        import torch.nn.functional as F
        self.F = F
        self.backend = backend
        self.public = getattr(F, "scaled_dot_product_attention", None)
        params = inspect.signature(self.public).parameters if self.public is not None else {}
        self.has_scale = "scale" in params
        self.has_gqa = "enable_gqa" in params
        self.NAME = "torch:sdpa" + (":" + backend if backend else "")
        if self.runs_math(device) and not math_upcasts():
            self.PRECISIONS = ["float32"]  # the math backend in low precision: see LOW_PRECISION_MATH
        if backend is not None:
            if self.public is None:
                raise StartError("torch:sdpa:%s: PyTorch %s has no SDPA backends to choose (PyTorch >= 2.0 has "
                                 "math, flash, efficient; >= 2.2 cudnn): use torch:sdpa" % (backend, torch_version_s()))
            self.context = backend_context(backend)

    def supports(self, opts, shapes):
        if opts.dropout_p > 0:
            return ("SDPA draws its own dropout mask and returns none, so its dropout cannot be judged "
                    "(dropout_p=0 only)")
        if opts.empty_rows and not no_key_nan_fixed():
            return ("a row that sees no key: SDPA before PyTorch 2.5 gives NaN there (pytorch/pytorch#103749), the "
                    "contract 0")
        if opts.precision != "float32" and self.runs_math(opts.device) and not math_upcasts():
            return LOW_PRECISION_MATH % (torch_version_s(), opts.precision)
        if not self.has_scale and opts.precision != "float32" and opts.scale != 1 / math.sqrt(shapes.D):
            return ("SDPA before PyTorch 2.1 has no scale argument: folding scale into q would round q again in "
                    + opts.precision)
        return True

    def runs_math(self, device):
        """Whether the math backend runs: chosen, the only one (1.13), or the only one on a CPU before 2.2."""
        return (self.backend == "math" or self.public is None
                or (self.backend is None and device.type == "cpu" and torch_version() < (2, 2)))

    def forward(self, q, k, v, opts):
        import torch
        rng = random.Random(opts.seed)
        add = opts.additive()
        is_causal, mask = False, None
        if opts.only_top_left_causal() and add is None and rng.random() < 0.5:
            is_causal = True
        elif opts.restricted() or add is not None:
            vis = opts.visible()
            if add is None and rng.random() < 0.5:
                mask = vis
            else:
                base = torch.zeros((), dtype=q.dtype, device=q.device) if add is None else add.to(q.dtype)
                mask = base.expand(vis.shape).masked_fill(~vis, float("-inf"))
        D = q.shape[-1]
        kw = {}
        if self.has_scale:
            kw["scale"] = opts.scale
        elif opts.scale != 1 / math.sqrt(D):
            q = (q.to(torch.float32) * (opts.scale * math.sqrt(D))).to(q.dtype)
        if self.has_gqa and k.shape[1] != q.shape[1]:
            kw["enable_gqa"] = True
        else:
            k, v = repeat_kv(k, q.shape[1]), repeat_kv(v, q.shape[1])
        if self.public is None:
            return self.F._scaled_dot_product_attention(q, k, v, mask, 0.0, False, is_causal)[0]
        if self.backend is None:
            return self.public(q, k, v, attn_mask=mask, is_causal=is_causal, **kw)
        try:
            with self.context():
                return self.public(q, k, v, attn_mask=mask, is_causal=is_causal, **kw)
        except RuntimeError as e:
            if "No available kernel" in str(e):
                raise Declined("SDPA's %s backend has no kernel for this call (%s)" % (self.backend, first_line(e)))
            raise


def backend_context(backend):
    import torch
    attention = getattr(torch.nn, "attention", None)
    if attention is not None and hasattr(attention, "sdpa_kernel"):  # >= 2.3
        names = {"math": "MATH", "flash": "FLASH_ATTENTION", "efficient": "EFFICIENT_ATTENTION",
                 "cudnn": "CUDNN_ATTENTION"}
        b = getattr(attention.SDPBackend, names[backend], None)
        if b is None:
            raise StartError("torch:sdpa:%s: PyTorch %s has no such backend" % (backend, torch_version_s()))
        return lambda: attention.sdpa_kernel(b)
    if backend == "cudnn":
        raise StartError("torch:sdpa:cudnn needs PyTorch >= 2.3 (this is %s)" % torch_version_s())
    flags = {"enable_math": backend == "math", "enable_flash": backend == "flash",
             "enable_mem_efficient": backend == "efficient"}
    return lambda: torch.backends.cuda.sdp_kernel(**flags)


def torch_version_s():
    import torch
    return torch.__version__


def first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


# ===================================================================================== torch:eager


class Eager:
    """matmul, softmax, matmul as transformers' eager_attention_forward (Llama; Gemma 2's softcap, gpt-oss's sinks).

    contract                      eager
    q, k, v, GQA                  query, key, value; repeat_kv(k|v, Hq // Hkv)
    scale                         scaling: matmul(q, k^T) * scaling, in the query's dtype
    softcap c                     w = tanh(w / c) * c (Gemma 2), before the mask
    visibility                    attention_mask added: 0 where visible, finfo(dtype).min where hidden, in the
                                  query's dtype (float32 when ALiBi or a bias joins it)
    ALiBi, bias                   added to the mask (float32)
    sinks                         gpt-oss: cat(w, sinks), minus the row max, softmax, sink column dropped
    softmax                       softmax(w, dim=-1, dtype=float32).to(query dtype)
    dropout                       the harness's keep mask where transformers calls F.dropout
    a row that sees no key        declined: finfo.min is not -inf, such a row gets the mean of the values
    """

    NAME = "torch:eager"
    FEATURES = {"softcap": True, "alibi": True, "bias": True, "sinks": True}
    PRECISIONS = ["float32"]  # low precision: see supports

    def supports(self, opts, shapes):
        if opts.empty_rows:
            return ("a row that sees no key: transformers' eager masks with finfo(dtype).min, not -inf, so such a row "
                    "gets the mean of the values (the contract asks 0)")
        if opts.precision != "float32":
            return ("transformers' eager computes Q.K^T and every gradient in %s (the contract keeps the scores and "
                    "their gradients in float32): docs/findings/pytorch-1.13.md" % opts.precision)
        return True

    def forward(self, q, k, v, opts):
        import torch
        k, v = repeat_kv(k, q.shape[1]), repeat_kv(v, q.shape[1])
        w = torch.matmul(q, k.transpose(2, 3)) * opts.scale
        if opts.softcap is not None:
            w = torch.tanh(w / opts.softcap) * opts.softcap
        add = opts.additive()
        if opts.restricted() or add is not None:
            dtype = q.dtype if add is None else torch.float32
            base = torch.zeros((), dtype=dtype, device=q.device) if add is None else add
            w = w + base.expand(w.shape).masked_fill(~opts.visible(), torch.finfo(dtype).min)
        if opts.sinks is not None:
            sinks = opts.sinks.reshape(1, -1, 1, 1).expand(w.shape[0], -1, w.shape[2], 1)
            combined = torch.cat([w.to(torch.float32), sinks], dim=-1)
            combined = combined - combined.max(dim=-1, keepdim=True).values
            w = torch.softmax(combined, dim=-1, dtype=combined.dtype)[..., :-1].to(q.dtype)
        else:
            w = torch.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        if opts.dropout_p > 0:
            w = w.masked_fill(~opts.dropout_keep, 0) / (1 - opts.dropout_p)
        return torch.matmul(w, v)


# ===================================================================================== torch:mha


class Mha:
    """nn.MultiheadAttention with identity projections, so that its heads compute the contract's attention.

    contract                      nn.MultiheadAttention (embed_dim E = Hq * hd, num_heads = Hq, eval mode)
    q, k, v [B, H, S, D]          query, key, value [B, S, E] (batch_first) or [S, B, E]: head h's block of hd
                                  features holds q_h, k_(h // group), v_(h // group), zero-padded; hd = D, or
                                  4^n * D when Dv > D or for the fast path (scale 1 / sqrt(hd) = 2^-n / sqrt(D))
    scale                         the q projection's weight: 2^n * scale * sqrt(D) (exact for the default scale;
                                  another is declined in low precision: it would round q again)
    visibility                    drawn per case among the forms that express it exactly: key_padding_mask
                                  [B, Sk] alone, attn_mask [Sq, Sk] or [B * Hq, Sq, Sk] alone, or both; each
                                  bool (True = may NOT attend) or float (-inf / 0) in the query's dtype
    ALiBi, bias                   a float attn_mask [B * Hq, Sq, Sk] in the query's dtype (-inf where hidden)
    options                       bias= (zero biases), batch_first=, need_weights= (average_attn_weights=),
                                  drawn per case
    fast path                     drawn when it applies (self-attention: Sq = Sk, q, k, v packed into one
                                  input; batch_first; no attn_mask; even heads; no grad): out from it, the
                                  gradients from the standard path on the same call
    dropout                       declined: MultiheadAttention draws its own mask
    a row that sees no key        declined: NaN there (pytorch/pytorch#41508)
    """

    NAME = "torch:mha"
    FEATURES = {"alibi": True, "bias": True}
    MAX_E = 2048  # E x 3E identity projections: larger would cost more memory than the case is worth

    def __init__(self):
        if not math_upcasts():
            self.PRECISIONS = ["float32"]  # low precision: see supports

    def plan(self, opts, backward):
        import torch
        s, rng = opts.shapes, random.Random(opts.seed)
        add = opts.additive()
        vis = opts.visible() if opts.restricted() else None
        forms = []
        kp = flat = None
        if vis is not None:
            kp = vis.any(dim=1).any(dim=1)  # [B, Sk]: keys some query of row b sees
            if add is None and bool((vis == kp.view(s.B, 1, 1, s.Sk)).all()):
                forms.append(("kpm", None))
            flat = vis.any(dim=0).any(dim=0)  # [Sq, Sk]
            if bool((vis == flat).all()):
                forms.append((None, "2d"))
            forms.append((None, "3d"))
            if bool((vis == (kp.view(s.B, 1, 1, s.Sk) & flat)).all()):
                forms.append(("kpm", "2d"))
            forms.append(("kpm", "3d"))
        elif add is not None:
            forms.append((None, "3d"))
        else:
            forms.append((None, None))
        kpm, am = rng.choice(forms)
        if add is not None:
            am = "3d"
        p = {"kpm": kpm, "am": am, "kpm_float": rng.random() < 0.5, "am_float": add is not None or rng.random() < 0.5,
             "bias": rng.random() < 0.5, "batch_first": rng.random() < 0.5, "need_weights": rng.random() < 0.5,
             "average": rng.random() < 0.5, "vis": vis, "kp": kp, "flat": flat, "add": add}
        old = torch_version() < (2, 0)
        if old and kpm is not None and am is not None and p["kpm_float"] and p["am_float"]:
            p["kpm_float"] = False  # before 2.0 a float key_padding_mask beside a float attn_mask is lost (#92554)
        fast_hd = hd_for(s.D, 2 * s.D + s.Dv)
        p["fast"] = (am is None and s.Sq == s.Sk and s.Hq % 2 == 0 and s.Hq * fast_hd <= self.MAX_E
                     and not (old and not p["bias"]) and rng.random() < 0.5)  # 1.13: no fast path without bias (#97128)
        if p["fast"]:
            p["batch_first"] = True
        p["hd"] = fast_hd if p["fast"] else hd_for(s.D, max(s.D, s.Dv))
        return p

    def supports(self, opts, shapes):
        if opts.dropout_p > 0:
            return "nn.MultiheadAttention draws its own dropout mask and returns none (dropout=0 only)"
        if opts.empty_rows:
            return ("a row that sees no key: nn.MultiheadAttention gives NaN there (pytorch/pytorch#41508, #160064), "
                    "the contract 0")
        if opts.precision != "float32" and not math_upcasts():
            return LOW_PRECISION_MATH % (torch_version_s(), opts.precision)
        hd = hd_for(shapes.D, max(shapes.D, shapes.Dv))
        if shapes.Hq * hd > self.MAX_E:
            return ("embed_dim Hq * hd = %d: the adapter's identity projections stop at %d"
                    % (shapes.Hq * hd, self.MAX_E))
        if opts.precision != "float32" and math.frexp(q_factor(hd, shapes.D, opts.scale))[0] != 0.5:
            return ("nn.MultiheadAttention scales by 1/sqrt(head_dim) only: another scale folded into the q projection "
                    "would round q again in " + opts.precision)
        return True

    def forward(self, q, k, v, opts):
        import torch
        backward = torch.is_grad_enabled() and q.requires_grad
        p = self.plan(opts, backward)
        if not p["fast"]:
            return self.call(q, k, v, opts, p, fast=False)
        with torch.no_grad():
            out = self.call(q, k, v, opts, p, fast=True)
        if not backward:
            return out
        slow = self.call(q, k, v, opts, p, fast=False)
        # out is the fast path's; the gradients are the standard path's (the fast path has no backward).
        return value_with_grad_of(out, slow)

    def call(self, q, k, v, opts, p, fast):
        import torch
        s, hd, dev, dtype = opts.shapes, p["hd"], q.device, q.dtype
        E = s.Hq * hd
        c = q_factor(hd, s.D, opts.scale)
        heads = lambda x, F: x.permute(0, 2, 1, 3)  # [B, H, S, F] -> [B, S, H, F]
        qs, ks, vs = heads(q, s.D), heads(repeat_kv(k, s.Hq), s.D), heads(repeat_kv(v, s.Hq), s.Dv)
        mha = torch.nn.MultiheadAttention(E, s.Hq, bias=p["bias"], batch_first=p["batch_first"], device=dev,
                                          dtype=dtype).eval()
        W = torch.zeros(3 * E, E, dtype=torch.float32, device=dev)
        eye = lambda n: torch.eye(n, dtype=torch.float32, device=dev)
        for h in range(s.Hq):
            o = h * hd
            src_k, src_v = (o + s.D, o + 2 * s.D) if fast else (o, o)
            W[o:o + s.D, o:o + s.D] = c * eye(s.D)
            W[E + o:E + o + s.D, src_k:src_k + s.D] = eye(s.D)
            W[2 * E + o:2 * E + o + s.Dv, src_v:src_v + s.Dv] = eye(s.Dv)
        with torch.no_grad():
            mha.in_proj_weight.copy_(W.to(dtype))
            mha.out_proj.weight.copy_(eye(E).to(dtype))
        for param in mha.parameters():
            param.requires_grad_(False)
        pad = lambda x, at, F: torch.nn.functional.pad(x, (at, hd - at - F)).reshape(s.B, x.shape[1], E)
        if fast:
            x = pad(qs, 0, s.D) + pad(ks, s.D, s.D) + pad(vs, 2 * s.D, s.Dv)
            xq = xk = xv = x
        else:
            xq, xk, xv = pad(qs, 0, s.D), pad(ks, 0, s.D), pad(vs, 0, s.Dv)
            if not p["batch_first"]:
                xq, xk, xv = xq.transpose(0, 1), xk.transpose(0, 1), xv.transpose(0, 1)
        kpm, am = self.masks(opts, p, dtype)
        kw = {"key_padding_mask": kpm, "need_weights": p["need_weights"], "attn_mask": am}
        if p["need_weights"]:
            kw["average_attn_weights"] = p["average"]
        out = mha(xq, xk, xv, **kw)[0]
        if not p["batch_first"]:
            out = out.transpose(0, 1)
        return out.reshape(s.B, s.Sq, s.Hq, hd)[..., :s.Dv].permute(0, 2, 1, 3)

    def masks(self, opts, p, dtype):
        import torch
        s = opts.shapes
        neg = float("-inf")
        kpm = am = None
        if p["kpm"] is not None:
            hidden = ~p["kp"]
            kpm = (torch.zeros(hidden.shape, dtype=dtype, device=hidden.device).masked_fill(hidden, neg)
                   if p["kpm_float"] else hidden)
        if p["am"] is not None:
            vis = p["vis"] if p["vis"] is not None else torch.ones(s.B, s.Hq, s.Sq, s.Sk, dtype=torch.bool,
                                                                     device=opts.device)
            vis = p["flat"] if p["am"] == "2d" else vis.reshape(s.B * s.Hq, s.Sq, s.Sk)
            if p["am_float"]:
                add = p["add"]
                base = torch.zeros((), dtype=dtype, device=vis.device) if add is None else add.to(dtype).expand(
                    s.B, s.Hq, s.Sq, s.Sk).reshape(s.B * s.Hq, s.Sq, s.Sk)
                am = base.expand(vis.shape).masked_fill(~vis, neg)
            else:
                am = ~vis
        return kpm, am


def q_factor(hd, D, scale):
    """What the q projection multiplies by so that MultiheadAttention's 1/sqrt(hd) makes `scale`:
    2^n * scale * sqrt(D)."""
    r = scale * math.sqrt(D)
    if abs(r - 1) < 1e-12:  # the default scale: 1/sqrt(D) * sqrt(D) may miss 1 by an ulp
        r = 1.0
    return round(math.sqrt(hd / D)) * r


def value_with_grad_of(value, graph):
    """`value`, with the gradients of `graph` (same shape) flowing through it."""
    import torch

    class Through(torch.autograd.Function):
        @staticmethod
        def forward(ctx, g, v):
            return v.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    return Through.apply(graph, value)


def hd_for(D, need):
    """The head dim 4^n * D (n >= 0), the smallest that holds `need` features: sqrt(hd / D) is a power of two."""
    hd = D
    while hd < need:
        hd *= 4
    return hd


# ===================================================================================== transformers


class Transformers:
    """transformers' own attention functions, called as its models call them (where transformers is importable).

    contract                      transformers
    q, k, v                       query, key, value [B, H, S, D]; module.num_key_value_groups = Hq // Hkv
    scale                         scaling=
    causal top-left alone, Sq=Sk  attention_mask=None, module.is_causal=True (sdpa: is_causal from it; eager
                                  would not be causal: its mask is always passed, as transformers does)
    any other restriction         a 4D mask: bool (sdpa) or float 0 / finfo.min (eager), as its mask builder makes
    dropout                       declined: the functions draw their own
    a row that sees no key        declined (eager: finfo.min; sdpa before PyTorch 2.5: NaN)
    """

    def __init__(self, which):
        try:
            import transformers  # noqa: F401
        except ImportError:
            raise StartError("torch:transformers:%s needs transformers: pip install transformers" % which)
        if which == "eager":
            from transformers.models.llama.modeling_llama import eager_attention_forward as f
        elif which == "sdpa":
            from transformers.integrations.sdpa_attention import sdpa_attention_forward as f
        else:
            raise StartError("torch:transformers:%s: no such function (eager, sdpa)" % which)
        self.which, self.f, self.NAME = which, f, "torch:transformers:" + which

    def supports(self, opts, shapes):
        if opts.dropout_p > 0:
            return "transformers' attention functions draw their own dropout mask and return none"
        if opts.empty_rows and (self.which == "eager" or not no_key_nan_fixed()):
            return "a row that sees no key: transformers' %s does not give it 0" % self.which
        return True

    def forward(self, q, k, v, opts):
        import types
        import torch
        s = opts.shapes
        module = types.SimpleNamespace(is_causal=False, num_key_value_groups=s.Hq // s.Hkv, training=False)
        mask = None
        if self.which == "sdpa" and opts.only_top_left_causal() and s.Sq == s.Sk:
            module.is_causal = True
        elif opts.restricted():
            vis = opts.visible()
            mask = vis if self.which == "sdpa" else torch.zeros(vis.shape, dtype=q.dtype, device=q.device).masked_fill(
                ~vis, torch.finfo(q.dtype).min)
        out = self.f(module, q, k, v, mask, dropout=0.0, scaling=opts.scale)[0]
        return out.transpose(1, 2)  # transformers returns [B, S, H, Dv]


# ===================================================================================== the server


def load_module(path):
    """A user module by path (its folder first on sys.path, so that it may import its neighbours)."""
    folder, name = os.path.split(os.path.abspath(path))
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(os.path.splitext(name)[0], path)
    if spec is None:
        raise StartError("py:%s: not a Python file" % path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not any(callable(getattr(module, f, None)) for f in ("forward", "decode", "lora")):
        raise StartError("py:%s: defines none of forward(q, k, v, opts), decode(...), lora(...)" % path)
    if not hasattr(module, "NAME"):
        module.NAME = "py:" + path
    return module


def make_target(name, device):
    base, _, variant = name.partition(":")
    if base == "sdpa":
        if variant not in ("", "math", "flash", "efficient", "cudnn"):
            raise StartError("torch:%s: no such SDPA backend (math, flash, efficient, cudnn)" % name)
        return Sdpa(variant or None, device)
    if base == "mha" and not variant:
        return Mha()
    if base == "eager" and not variant:
        return Eager()
    if base == "transformers":
        return Transformers(variant)
    raise StartError("torch:%s: no such target (sdpa, sdpa:math|flash|efficient|cudnn, mha, eager, "
                     "transformers:eager|sdpa)" % name)


class Shapes:
    def __init__(self, **dims):
        self.__dict__.update(dims)


PRECISIONS = ("float32", "bfloat16", "float16")


def dtype_of(precision):
    import torch
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[precision]


def computes(precision, device):
    """Whether the device does matmul, softmax and their backward in this dtype (1.13 on cpu: no float16)."""
    import torch
    try:
        a = torch.ones(1, 2, 2, dtype=dtype_of(precision), device=device, requires_grad=True)
        torch.softmax(torch.matmul(a, a), -1).sum().backward()
        return True
    except Exception:  # noqa: BLE001 - any failure means: not in this dtype
        return False


def to_tensor(x, where):
    import torch
    if not isinstance(x, torch.Tensor):
        raise TypeError("%s returned %s, expected a torch.Tensor" % (where, type(x).__name__))
    return x


def split_output(r):
    """forward's out, lse from out, (out, lse) or {"out": ..., "lse": ...}."""
    if isinstance(r, dict):
        return to_tensor(r.get("out"), "forward()['out']"), r.get("lse")
    if isinstance(r, (tuple, list)):
        return to_tensor(r[0], "forward()[0]"), (r[1] if len(r) > 1 else None)
    return to_tensor(r, "forward"), None


def gradients(out, inputs, cotangent):
    """d sum(out * cotangent) / d input for each input (zeros where out does not depend on it)."""
    import torch
    live = [x for x in inputs if x is not None]
    grads = (torch.autograd.grad(out, live, grad_outputs=cotangent, allow_unused=True) if out.requires_grad
             else [None] * len(live))
    it = iter(grads)
    result = []
    for x in inputs:
        if x is None:
            result.append(None)
            continue
        g = next(it)
        result.append(torch.zeros_like(x) if g is None else g)
    return result


class Server:
    """One kernel (a built-in target or a user module) on one device, answering run frames."""

    def __init__(self, impl, device):
        import torch
        self.torch, self.impl, self.device = torch, impl, device
        wanted = getattr(impl, "PRECISIONS", PRECISIONS)
        self.precisions = [p for p in PRECISIONS if p in wanted and computes(p, device)]
        self.skipped = {p: "PyTorch %s on %s does not compute in %s" % (torch.__version__, device, p)
                        for p in wanted if p in PRECISIONS and p not in self.precisions}
        self.backward = bool(getattr(impl, "BACKWARD", True))

    def hello(self):
        impl, torch = self.impl, self.torch
        suites = [s for s, f in (("attention", "forward"), ("decode", "decode"), ("lora", "lora"))
                  if callable(getattr(impl, f, None))]
        return {"type": "hello", "protocol": PROTOCOL, "name": impl.NAME, "suites": suites,
                "features": dict(getattr(impl, "FEATURES", {}) or {}), "tiles": getattr(impl, "TILES", None),
                "guarantees": dict(getattr(impl, "GUARANTEES", {}) or {}), "backward": self.backward,
                "precisions": self.precisions, "device": describe_device(self.device),
                "about": "PyTorch %s, Python %s" % (torch.__version__, platform.python_version())}

    def run(self, header, bufs):
        suite = header.get("suite", "attention")
        precision = (header.get("options") or header.get("spec") or {}).get("precision", "float32")
        if precision not in self.precisions:
            raise Declined(self.skipped.get(precision, "%s is not among its PRECISIONS" % precision))
        if suite == "attention":
            return self.attention(header, bufs)
        if suite == "decode":
            return self.decode(header, bufs)
        if suite == "lora":
            return self.lora(header, bufs)
        raise Declined("suite %s: this worker runs %s" % (suite, ", ".join(self.hello()["suites"])))

    def options(self, o, bufs, shapes, dtype, backward, empty_rows):
        torch, dev = self.torch, self.device
        leaf32 = lambda t: None if t is None else t.to(dev, torch.float32).detach().requires_grad_(backward)
        keep = bufs.get("keep")
        q_bytes = ctypes.string_at(bufs["q"].data_ptr(), bufs["q"].numel() * 4)
        seed = zlib.crc32(json.dumps(o, sort_keys=True).encode(), zlib.crc32(q_bytes))
        dropout = o.get("dropout") or {"p": 0.0, "seed": 0}
        return Options(
            scale=o["scale"], causal=o["causal"], window=None if o["window"] is None else tuple(o["window"]),
            key_lengths=o["keyLengths"], padding_side=o["paddingSide"],
            mask=None if "mask" not in bufs else bufs["mask"].to(dev).bool(),
            dropout_p=dropout["p"], dropout_seed=dropout["seed"],
            dropout_keep=None if keep is None else keep.to(dev).bool(),
            precision=o["precision"], dtype=dtype, device=dev, softcap=o.get("softcap"),
            alibi_slopes=None if "alibiSlopes" not in bufs else bufs["alibiSlopes"].to(dev, torch.float32),
            bias=leaf32(bufs.get("bias")), sinks=leaf32(bufs.get("sinks")),
            empty_rows=bool(header_flag(empty_rows)), shapes=shapes, seed=seed)

    def attention(self, header, bufs):
        torch, dev, impl = self.torch, self.device, self.impl
        o = header["options"]
        dtype = dtype_of(o["precision"])
        q, k, v = bufs["q"], bufs["k"], bufs["v"]
        B, Hq, Sq, D = q.shape
        shapes = Shapes(B=B, Hq=Hq, Hkv=k.shape[1], Sq=Sq, Sk=k.shape[2], D=D, Dv=v.shape[3])
        backward = bool(header.get("backward")) and "dOut" in bufs and self.backward
        opts = self.options(o, bufs, shapes, dtype, backward, header.get("emptyRows"))
        supports = getattr(impl, "supports", None)
        if supports is not None:
            answer = supports(opts, shapes)
            if answer is not True:
                raise Declined(str(answer))
        leaf = lambda t: t.to(dev, dtype).detach().requires_grad_(backward)
        q, k, v = leaf(q), leaf(k), leaf(v)
        with torch.set_grad_enabled(backward):
            out, lse = split_output(impl.forward(q, k, v, opts))
        result = [("out", out)] + ([("lse", to_tensor(lse, "forward's lse"))] if lse is not None else [])
        if backward:
            dq, dk, dv, dbias, dsinks = gradients(out, [q, k, v, opts.bias, opts.sinks],
                                                  bufs["dOut"].to(dev, out.dtype))
            result += [("dq", dq), ("dk", dk), ("dv", dv)]
            result += [(n, g) for n, g in (("dbias", dbias), ("dsinks", dsinks)) if g is not None]
        return result

    def decode(self, header, bufs):
        torch, dev = self.torch, self.device
        o = header["options"]
        dtype = dtype_of(o["precision"])
        q = bufs["q"].to(dev, dtype)
        if header["cache"] == "contiguous":
            cache = {"kind": "contiguous", "k": bufs["k"].to(dev, dtype), "v": bufs["v"].to(dev, dtype)}
        else:
            cache = {"kind": "paged",
                     "k_pages": bufs["kPages"].to(dev, dtype), "v_pages": bufs["vPages"].to(dev, dtype),
                     "block_table": torch.tensor(header["blockTable"], dtype=torch.int32, device=dev)}
        opts = Options(scale=o["scale"], causal=o["causal"], precision=o["precision"], dtype=dtype, device=dev)
        supports = getattr(self.impl, "supports_decode", None)
        if supports is not None:
            answer = supports(opts, cache, header["cacheSeqlens"])
            if answer is not True:
                raise Declined(str(answer))
        with torch.no_grad():
            out = to_tensor(self.impl.decode(q, cache, header["cacheSeqlens"], opts), "decode")
        return [("out", out)]

    def lora(self, header, bufs):
        torch, dev = self.torch, self.device
        sp = header["spec"]
        dtype = dtype_of(sp.get("precision", "float32"))
        leaf = lambda t, grad: t.to(dev, dtype).detach().requires_grad_(grad)
        x, W0, A, B = leaf(bufs["x"], True), leaf(bufs["W0"], False), leaf(bufs["A"], True), leaf(bufs["B"], True)
        dropout = sp.get("dropout") or {"p": 0.0, "seed": 0}
        r = sp["rank"]
        spec = Options(rank=r, alpha=sp["alpha"], rslora=sp["rslora"], dropout_p=dropout["p"],
                       dropout_seed=dropout["seed"], scaling=sp["alpha"] / (math.sqrt(r) if sp["rslora"] else r),
                       precision=sp.get("precision", "float32"), dtype=dtype, device=dev)
        supports = getattr(self.impl, "supports_lora", None)
        if supports is not None:
            answer = supports(spec)
            if answer is not True:
                raise Declined(str(answer))
        keep = bufs["keep"].to(dev).bool() if "keep" in bufs else None
        with torch.enable_grad():
            y = to_tensor(self.impl.lora(x, W0, A, B, spec, keep), "lora")
        dx, dA, dB = gradients(y, [x, A, B], bufs["dY"].to(dev, y.dtype))
        return [("y", y), ("dx", dx), ("dA", dA), ("dB", dB)]


def header_flag(x):
    return bool(x) if x is not None else False


def describe_device(device):
    import torch
    if device.type == "cuda":
        return "%s (%s, PyTorch %s)" % (device, torch.cuda.get_device_name(device), torch.__version__)
    return "cpu (PyTorch %s)" % torch.__version__


def start(args):
    """The server for the command line, or StartError naming what to install or fix."""
    if sys.byteorder != "little":
        raise StartError("attnfuzz worker: this machine is big-endian; the protocol's buffers are little-endian")
    try:
        import torch
    except ImportError:
        raise StartError("PyTorch is not installed for %s (Python %s): install it (pip install torch, or apt-get "
                         "install python3-torch), or name another Python with --python or ATTNFUZZ_PYTHON"
                         % (sys.executable, platform.python_version()))
    device = parse_device(args.device, torch)
    impl = load_module(args.module) if args.module else make_target(args.target, device)
    return Server(impl, device)


def parse_device(spec, torch):
    if spec == "cpu":
        return torch.device("cpu")
    if spec != "cuda" and not (spec.startswith("cuda:") and spec[5:].isdigit()):
        raise StartError("--device %s: expected cpu, cuda or cuda:N" % spec)
    if not torch.cuda.is_available():
        raise StartError("--device %s: PyTorch %s here has no CUDA (torch.cuda.is_available() is False): install a "
                         "CUDA build of PyTorch (https://pytorch.org/get-started/locally/) on a machine with an "
                         "NVIDIA driver" % (spec, torch.__version__))
    index = int(spec[5:]) if spec.startswith("cuda:") else torch.cuda.current_device()
    if index >= torch.cuda.device_count():
        raise StartError("--device %s: this machine has %d CUDA devices (cuda:0 .. cuda:%d)"
                         % (spec, torch.cuda.device_count(), torch.cuda.device_count() - 1))
    return torch.device("cuda", index)


def describe_error(e):
    """One line for the verdict: the exception's type and first line, and where in the kernel it was raised."""
    tb = traceback.extract_tb(e.__traceback__)
    here = os.path.abspath(__file__)
    outside = [f for f in tb if os.path.abspath(f.filename) != here]
    where = " (%s:%d)" % (os.path.basename(outside[-1].filename), outside[-1].lineno) if outside else ""
    return ("%s: %s%s" % (type(e).__name__, first_line(e), where))[:1000]


def serve(server, inp, out):
    write_frame(out, server.hello())
    import torch
    while True:
        frame = read_frame(inp, torch)
        if frame is None:
            return 0
        header, bufs = frame
        kind, rid = header.get("type"), header.get("id")
        if kind == "close":
            return 0
        if kind != "run":
            error_frame(out, "worker: unknown frame type %r (expected run or close)" % kind, rid)
            continue
        try:
            result = server.run(header, bufs)
        except Declined as d:
            write_frame(out, {"type": "declined", "id": rid, "reason": str(d)})
        except Exception as e:  # noqa: BLE001 - the kernel's error is the case's verdict
            traceback.print_exc(file=sys.stderr)
            error_frame(out, describe_error(e), rid)
        else:
            write_frame(out, {"type": "result", "id": rid}, result)


def main(argv=None):
    parser = argparse.ArgumentParser(description="attnfuzz's PyTorch worker (docs/PROTOCOL.md)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--target", help="sdpa, sdpa:math|flash|efficient|cudnn, mha, eager, transformers:eager|sdpa")
    which.add_argument("--module", help="a Python file defining forward(q, k, v, opts)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = parser.parse_args(argv)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a print anywhere (the module, torch, C code) goes to stderr, never into a frame
    sys.stdout = sys.stderr
    try:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # attnfuzz ends it by closing stdin
    except (ImportError, ValueError):
        pass
    try:
        server = start(args)
    except StartError as e:
        error_frame(out, str(e))
        return 2
    except Exception as e:  # noqa: BLE001 - a module that fails to import: say where
        traceback.print_exc(file=sys.stderr)
        error_frame(out, "%s: %s" % (args.module or args.target, describe_error(e)))
        return 2
    try:
        return serve(server, sys.stdin.buffer, out)
    except (BrokenPipeError, EOFError) as e:
        print("attnfuzz worker: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
