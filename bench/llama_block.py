"""A LLaMA-style transformer block, built the way llama.cpp builds one layer, for the bench.

RMS_NORM with a gain, Q/K/V projections (K and V with ``n_head_kv`` heads: grouped-query
attention when fewer than ``n_head``), ROPE on Q and K, causal attention (KQ MUL_MAT, masked
and scaled SOFT_MAX, KQV MUL_MAT), the output projection and a residual ADD, then RMS_NORM
and a SwiGLU MLP (gate and up projections, SWIGLU, down projection) and a second residual.
Like ``ggsched.models.gpt2`` it has no KV cache: K and V are this evaluation's.
"""

from __future__ import annotations

import math

from ggsched import GGMLType, RopeMode, Tensor, ops
from ggsched.graph import build_graph
from ggsched.models import Model
from ggsched.tensor import new_tensor

F32, I32 = GGMLType.F32, GGMLType.I32


def _attention(q: Tensor, k: Tensor, v: Tensor, hd: int, n_tokens: int) -> Tensor:
    """q: [hd, n_head, T], k and v: [hd, n_head_kv, T] (roped); returns [hd*n_head, T]."""
    n_head, n_head_kv = q.ne[1], k.ne[1]
    kq = ops.mul_mat(ops.permute(k, 0, 2, 1, 3), ops.permute(q, 0, 2, 1, 3))  # [T, T, H]
    kq = ops.soft_max_ext(ops.diag_mask_inf(kq, 0), None, 1.0 / math.sqrt(hd))
    v_trans = ops.cont_4d(ops.permute(v, 1, 2, 0, 3), n_tokens, hd, n_head_kv)  # [T, hd, Hkv]
    kqv = ops.mul_mat(v_trans, kq)  # [hd, T, H]
    return ops.cont_4d(ops.permute(kqv, 0, 2, 1, 3), hd * n_head, n_tokens)


def llama_block(
    n_embd: int = 256,
    n_head: int = 4,
    n_head_kv: int | None = None,
    n_ff: int = 688,
    n_tokens: int = 64,
    wtype: GGMLType | str = F32,
    eps: float = 1e-5,
) -> Model:
    """One LLaMA layer over ``n_tokens`` tokens of ``n_embd`` activations."""
    wtype, n_head_kv = GGMLType.parse(wtype), n_head_kv or n_head
    hd = n_embd // n_head
    weights: list[Tensor] = []

    def w(name: str, ne: tuple[int, ...], type: GGMLType = wtype) -> Tensor:
        weights.append(new_tensor(type, ne, name))
        return weights[-1]

    inp = new_tensor(F32, (n_embd, n_tokens), "inp_embd").set_input()
    pos = new_tensor(I32, (n_tokens,), "position").set_input()
    cur = ops.mul(ops.rms_norm(inp, eps), w("attn_norm_g", (n_embd,), F32))
    q = ops.reshape_3d(ops.mul_mat(w("wq", (n_embd, n_embd)), cur), hd, n_head, n_tokens)
    k = ops.reshape_3d(ops.mul_mat(w("wk", (n_embd, hd * n_head_kv)), cur), hd, n_head_kv,
                       n_tokens)
    v = ops.reshape_3d(ops.mul_mat(w("wv", (n_embd, hd * n_head_kv)), cur), hd, n_head_kv,
                       n_tokens)
    q, k = ops.rope(q, pos, hd, RopeMode.NORMAL), ops.rope(k, pos, hd, RopeMode.NORMAL)
    attn = ops.mul_mat(w("wo", (n_embd, n_embd)), _attention(q, k, v, hd, n_tokens))
    x = ops.add(attn, inp)
    cur = ops.mul(ops.rms_norm(x, eps), w("ffn_norm_g", (n_embd,), F32))
    gate = ops.mul_mat(w("w_gate", (n_embd, n_ff)), cur)
    up = ops.mul_mat(w("w_up", (n_embd, n_ff)), cur)
    out = ops.add(ops.mul_mat(w("w_down", (n_ff, n_embd)), ops.swiglu_split(gate, up)), x)
    out.set_name("block_out").set_output()
    hp = dict(n_embd=n_embd, n_head=n_head, n_head_kv=n_head_kv, n_ff=n_ff, n_tokens=n_tokens,
              wtype=str(wtype), eps=eps)
    return Model("llama_block", build_graph(out), out, weights, [inp, pos], hp)
