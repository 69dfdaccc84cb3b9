"""Model graphs built the way ggml's examples and llama.cpp build them, for the allocator,
scheduler, conformance suite and bench.

``gpt2`` follows ggml's examples/gpt-2 graph (one evaluation of ``n_tokens`` tokens from an
empty context): token + position embeddings by GET_ROWS, then per layer NORM with gain and
bias, the fused QKV MUL_MAT, causal attention per head (views, CONT, PERMUTE, KQ MUL_MAT,
SCALE, DIAG_MASK_INF, SOFT_MAX, KQV MUL_MAT), the output projection, a residual ADD, a GELU
MLP and a second residual ADD; a final NORM and the LM head. Unlike the example, K and V come
straight from this evaluation's QKV result (no KV cache), so the graph is pure dataflow.

``llama_block`` is one LLaMA decoder layer (RMS_NORM, ROPE, grouped-query attention with a
KQ mask input, SWIGLU feed-forward) and ``bert_block`` one BERT encoder layer (post-norm,
bidirectional attention, GELU_ERF); neither has a KV cache either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import ops
from .errors import ShapeError, TypeMismatchError
from .graph import Graph, build_graph
from .tensor import Tensor, new_tensor
from .types import FLOAT_TYPES, QUANT_TYPES, GGMLType

F32, I32 = GGMLType.F32, GGMLType.I32


@dataclass
class Model:
    """A built model graph: its output, weights (leafs), inputs and how to feed them."""

    name: str
    graph: Graph
    output: Tensor
    weights: list[Tensor]
    inputs: list[Tensor]
    hparams: dict = field(default_factory=dict)

    def feeds(self, rng: np.random.Generator) -> dict[Tensor, np.ndarray]:
        """Values for every weight and input (numpy, shape = ne reversed)."""
        return {t: _feed(t, rng, self.hparams) for t in (*self.weights, *self.inputs)}

    def __repr__(self) -> str:
        return f"<Model {self.name}: {self.graph!r}, {len(self.weights)} weights>"


def _feed(t: Tensor, rng: np.random.Generator, hp: dict) -> np.ndarray:
    if t.name == "embd":
        return rng.integers(0, hp["n_vocab"], size=t.shape, dtype=np.int32)
    if t.name == "position":
        return np.arange(t.nelements, dtype=np.int32).reshape(t.shape)
    if t.name == "kq_mask":  # causal: token i sees tokens 0..i
        n_kv, n = t.ne[0], t.ne[1]
        return np.where(np.arange(n_kv)[None, :] <= np.arange(n)[:, None], 0.0, -np.inf)
    if t.name == "inp":  # the block's input activations
        return rng.standard_normal(t.shape)
    if t.name.endswith("_g"):  # norm gains near 1
        return 1.0 + 0.1 * rng.standard_normal(t.shape)
    # small weights and biases keep activations, and so softmax, in a sane range
    return 0.02 * rng.standard_normal(t.shape)


class _Weights:
    """Creates named weight leafs and remembers them in creation order."""

    def __init__(self, wtype: GGMLType) -> None:
        self.wtype, self.all = wtype, []

    def new(self, name: str, ne: tuple[int, ...], type: GGMLType = F32) -> Tensor:
        t = new_tensor(type, ne, name)
        self.all.append(t)
        return t

    def matrix(self, name: str, n_in: int, n_out: int) -> Tensor:
        return self.new(name, (n_in, n_out), self.wtype)


def _norm(x: Tensor, w: _Weights, prefix: str, n_embd: int, eps: float) -> Tensor:
    g, b = w.new(f"{prefix}_g", (n_embd,)), w.new(f"{prefix}_b", (n_embd,))
    return ops.add(ops.mul(ops.norm(x, eps), g), b)


def _linear(x: Tensor, w: _Weights, prefix: str, n_in: int, n_out: int) -> Tensor:
    weight = w.matrix(f"{prefix}_w", n_in, n_out)
    return ops.add(ops.mul_mat(weight, x), w.new(f"{prefix}_b", (n_out,)))


def _attention(qkv: Tensor, n_embd: int, n_head: int, n_tokens: int) -> Tensor:
    """Causal self-attention over the fused [3*n_embd, N] QKV result; returns [n_embd, N]."""
    hd, N = n_embd // n_head, n_tokens
    row, f = qkv.nb[1], qkv.traits.type_size

    def head_view(i: int) -> Tensor:  # Qcur/Kcur/Vcur: [n_embd, N] views into the QKV rows
        return ops.view_2d(qkv, n_embd, N, row, i * f * n_embd)

    q = ops.permute(ops.cont_4d(head_view(0), hd, n_head, N), 0, 2, 1, 3)  # [hd, N, n_head]
    k = ops.permute(ops.cont_4d(head_view(1), hd, n_head, N), 0, 2, 1, 3)
    kq = ops.mul_mat(k, q)  # [N, N, n_head]
    kq = ops.scale(kq, 1.0 / math.sqrt(hd))
    kq = ops.diag_mask_inf(kq, 0)
    kq = ops.soft_max(kq)
    v = ops.cont_4d(head_view(2), hd, n_head, N)
    v_trans = ops.cont_4d(ops.permute(v, 1, 2, 0, 3), N, hd, n_head)  # [N, hd, n_head]
    kqv = ops.mul_mat(v_trans, kq)  # [hd, N, n_head]
    merged = ops.permute(kqv, 0, 2, 1, 3)  # [hd, n_head, N]
    return ops.cont_4d(merged, n_embd, N)


def _block(x: Tensor, w: _Weights, il: int, hp: dict) -> Tensor:
    n_embd, eps = hp["n_embd"], hp["eps"]
    cur = _norm(x, w, f"l{il}_ln_1", n_embd, eps)
    cur = _linear(cur, w, f"l{il}_attn", n_embd, 3 * n_embd)
    cur = _attention(cur, n_embd, hp["n_head"], hp["n_tokens"])
    cur = _linear(cur, w, f"l{il}_attn_proj", n_embd, n_embd)
    inp_ff = ops.add(cur, x)
    cur = _norm(inp_ff, w, f"l{il}_ln_2", n_embd, eps)
    cur = _linear(cur, w, f"l{il}_mlp_fc", n_embd, 4 * n_embd)
    cur = ops.gelu(cur)
    cur = _linear(cur, w, f"l{il}_mlp_proj", 4 * n_embd, n_embd)
    return ops.add(cur, inp_ff)


def gpt2(
    n_embd: int = 256,
    n_head: int = 4,
    n_layer: int = 4,
    n_tokens: int = 64,
    n_vocab: int = 512,
    wtype: GGMLType | str = F32,
    eps: float = 1e-5,
) -> Model:
    """A GPT-2 graph like ggml's examples/gpt-2 for one batch of ``n_tokens`` tokens.

    ``wtype`` is the type of the big matrices (QKV, projections, MLP, LM head): f32, f16 or
    q8_0/q4_0 (then n_embd must be a multiple of 32). Embeddings, norms and biases are f32.
    """
    wtype = GGMLType.parse(wtype)
    _check_gpt2(n_embd, n_head, wtype)
    hp = dict(n_embd=n_embd, n_head=n_head, n_layer=n_layer, n_tokens=n_tokens,
              n_vocab=n_vocab, eps=eps, wtype=str(wtype))
    w = _Weights(wtype)
    embd = new_tensor(I32, (n_tokens,), "embd").set_input()
    position = new_tensor(I32, (n_tokens,), "position").set_input()
    wte, wpe = w.new("wte", (n_embd, n_vocab)), w.new("wpe", (n_embd, n_tokens))
    x = ops.add(ops.get_rows(wte, embd), ops.get_rows(wpe, position))
    for il in range(n_layer):
        x = _block(x, w, il, hp)
    x = _norm(x, w, "ln_f", n_embd, eps)
    logits = ops.mul_mat(w.matrix("lm_head", n_embd, n_vocab), x).set_name("logits").set_output()
    return Model("gpt2", build_graph(logits), logits, w.all, [embd, position], hp)


def _check_gpt2(n_embd: int, n_head: int, wtype: GGMLType) -> None:
    if wtype not in (*FLOAT_TYPES, *QUANT_TYPES):
        raise TypeMismatchError(f"gpt2: wtype must be f32, f16, q8_0 or q4_0, got {wtype}")
    if n_embd % n_head:
        raise ShapeError(f"gpt2: n_embd={n_embd} is not a multiple of n_head={n_head}")
    if wtype in QUANT_TYPES and n_embd % wtype.traits.blck_size:
        raise ShapeError(f"gpt2: {wtype} weights need n_embd a multiple of 32, got {n_embd}")


def _heads(x: Tensor, hd: int, n_head: int, n: int) -> Tensor:
    """[hd*n_head, N] -> [hd, N, n_head] (a permuted view)."""
    return ops.permute(ops.reshape_3d(x, hd, n_head, n), 0, 2, 1, 3)


def _mha(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, hd: int) -> Tensor:
    """softmax(K·Q / sqrt(hd) + mask) weighted V; K and V may have fewer heads (GQA: MUL_MAT
    broadcasts them over Q's heads). q, k, v: [hd, N, heads]; returns [hd, heads, N]."""
    kq = ops.soft_max_ext(ops.mul_mat(k, q), mask, 1.0 / math.sqrt(hd))
    v_t = ops.cont(ops.permute(v, 1, 0, 2, 3))  # [N, hd, heads_kv]
    return ops.permute(ops.mul_mat(v_t, kq), 0, 2, 1, 3)


def llama_block(
    n_embd: int = 128,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 256,
    n_tokens: int = 16,
    wtype: GGMLType | str = F32,
    eps: float = 1e-6,
) -> Model:
    """One LLaMA-style decoder block: RMS_NORM, Q/K/V projections with ROPE on Q and K,
    grouped-query causal attention (a KQ mask input, SOFT_MAX with scale), the output
    projection and residual ADD, then RMS_NORM and a SWIGLU feed-forward with a residual.
    ``n_head_kv == n_head`` gives plain multi-head attention."""
    wtype = GGMLType.parse(wtype)
    hd, n = n_embd // n_head, n_tokens
    w = _Weights(wtype)
    x = inp = new_tensor(F32, (n_embd, n), "inp").set_input()
    pos = new_tensor(I32, (n,), "position").set_input()
    mask = new_tensor(F32, (n, n), "kq_mask").set_input()
    cur = ops.mul(ops.rms_norm(x, eps), w.new("attn_norm_g", (n_embd,)))
    q = ops.rope_ext(ops.reshape_3d(ops.mul_mat(w.matrix("wq", n_embd, n_embd), cur), hd,
                                    n_head, n), pos, None, hd, n_ctx_orig=n)
    kv_dim = hd * n_head_kv
    k = ops.rope_ext(ops.reshape_3d(ops.mul_mat(w.matrix("wk", n_embd, kv_dim), cur), hd,
                                    n_head_kv, n), pos, None, hd, n_ctx_orig=n)
    v = _heads(ops.mul_mat(w.matrix("wv", n_embd, kv_dim), cur), hd, n_head_kv, n)
    q, k = ops.permute(q, 0, 2, 1, 3), ops.permute(k, 0, 2, 1, 3)
    att = ops.cont_4d(_mha(q, k, v, mask, hd), n_embd, n)
    x = ops.add(ops.mul_mat(w.matrix("wo", n_embd, n_embd), att), x)
    cur = ops.mul(ops.rms_norm(x, eps), w.new("ffn_norm_g", (n_embd,)))
    gate = ops.mul_mat(w.matrix("w_gate", n_embd, n_ff), cur)
    up = ops.mul_mat(w.matrix("w_up", n_embd, n_ff), cur)
    out = ops.add(ops.mul_mat(w.matrix("w_down", n_ff, n_embd), ops.swiglu_split(gate, up)), x)
    out.set_name("out").set_output()
    hp = dict(n_embd=n_embd, n_head=n_head, n_head_kv=n_head_kv, n_ff=n_ff, n_tokens=n,
              wtype=str(wtype))
    return Model("llama_block", build_graph(out), out, w.all, [inp, pos, mask], hp)


def bert_block(
    n_embd: int = 128,
    n_head: int = 4,
    n_ff: int = 512,
    n_tokens: int = 16,
    wtype: GGMLType | str = F32,
    eps: float = 1e-12,
) -> Model:
    """One BERT encoder block (post-norm): Q/K/V projections with biases, bidirectional
    attention (no mask), output projection, residual ADD and NORM with gain and bias, then a
    GELU_ERF feed-forward, residual ADD and NORM."""
    wtype = GGMLType.parse(wtype)
    hd, n = n_embd // n_head, n_tokens
    w = _Weights(wtype)
    x = inp = new_tensor(F32, (n_embd, n), "inp").set_input()
    q, k, v = (_heads(_linear(x, w, name, n_embd, n_embd), hd, n_head, n)
               for name in ("q", "k", "v"))
    att = ops.cont_4d(_mha(q, k, v, None, hd), n_embd, n)
    x = _norm(ops.add(_linear(att, w, "attn_out", n_embd, n_embd), x), w, "ln_1", n_embd, eps)
    ff = ops.gelu_erf(_linear(x, w, "ffn_up", n_embd, n_ff))
    out = _norm(ops.add(_linear(ff, w, "ffn_down", n_ff, n_embd), x), w, "ln_2", n_embd, eps)
    out.set_name("out").set_output()
    hp = dict(n_embd=n_embd, n_head=n_head, n_ff=n_ff, n_tokens=n, wtype=str(wtype))
    return Model("bert_block", build_graph(out), out, w.all, [inp], hp)


__all__ = ["Model", "bert_block", "gpt2", "llama_block"]
