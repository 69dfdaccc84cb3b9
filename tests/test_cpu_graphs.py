"""Whole graphs on the CPU backend, placed by the graph allocator (ggsched.alloc.GAllocr).

The allocator reuses memory: a node may sit at its parent's address (in-place ops), a freed
tensor's bytes are given to a later one. The CPU kernels must give the golden's outputs all
the same. Bound: NMSE ≤ 1e-7 on every output (f32 chains, float64 golden).
"""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import golden, ops
from ggsched.alloc import GAllocr
from ggsched.backend import tensor_set
from ggsched.backends.cpu import cpu_backend
from ggsched.graph import Graph, build_graph
from ggsched.layout import from_numpy_bytes, tensor_values
from ggsched.op import GluOp, RopeMode
from ggsched.sched_eval import NMSE_MAX, nmse
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

F32, I32 = GGMLType.F32, GGMLType.I32


class Inputs:
    """Leafs with random values (seeded), flagged INPUT like a model's inputs and weights."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.feeds: dict[Tensor, np.ndarray] = {}

    def __call__(self, ne, type=F32, values=None, scale=1.0) -> Tensor:
        t = ops.new_tensor(type, ne).set_input()
        if values is None:
            values = self.rng.uniform(-scale, scale, t.nelements)
        self.feeds[t] = np.asarray(values).reshape(t.shape)
        return t


def mlp(x: Tensor, inp: Inputs, n_embd: int, n_ff: int) -> Tensor:
    h = ops.add(ops.mul(ops.norm(x, 1e-5), inp((n_embd,))), inp((n_embd,)))
    h = ops.gelu(ops.add(ops.mul_mat(inp((n_embd, n_ff), scale=0.2), h), inp((n_ff,))))
    h = ops.add(ops.mul_mat(inp((n_ff, n_embd), scale=0.2), h), inp((n_embd,)))
    return ops.add(h, x)


def attention(x: Tensor, inp: Inputs, n_embd: int, n_head: int, n_tokens: int, rope=False):
    """GPT-2's attention block (ggml's example): fused QKV, views, permutes, causal softmax."""
    d = n_embd // n_head
    qkv = ops.add(ops.mul_mat(inp((n_embd, 3 * n_embd), scale=0.3), x), inp((3 * n_embd,)))
    row = qkv.nb[1]

    def head_view(i: int) -> Tensor:
        v = ops.view_2d(qkv, n_embd, n_tokens, row, i * n_embd * 4)
        return ops.reshape_3d(ops.cont(v), d, n_head, n_tokens)

    q, k, v = head_view(0), head_view(1), head_view(2)
    if rope:
        pos = inp((n_tokens,), I32, values=np.arange(n_tokens) + 3)
        q = ops.rope(q, pos, d, RopeMode.NEOX, inplace=True)
        k = ops.rope(k, pos, d, RopeMode.NEOX)
    q, k = ops.permute(q, 0, 2, 1, 3), ops.permute(k, 0, 2, 1, 3)
    kq = ops.scale(ops.mul_mat(k, q), 1.0 / np.sqrt(d), inplace=True)
    kq = ops.soft_max(ops.diag_mask_inf(kq, 0, inplace=True), inplace=True)
    v_t = ops.cont(ops.permute(v, 1, 2, 0, 3))
    kqv = ops.permute(ops.mul_mat(v_t, kq), 0, 2, 1, 3)
    out = ops.cont_4d(kqv, n_embd, n_tokens)
    out = ops.add(ops.mul_mat(inp((n_embd, n_embd), scale=0.3), out), inp((n_embd,)))
    return ops.add(out, x)


def gpt2_like(seed: int = 0, n_embd=32, n_head=4, n_tokens=7, n_vocab=50, n_layer=2):
    inp = Inputs(seed)
    ids = inp((n_tokens,), I32, values=inp.rng.integers(0, n_vocab, n_tokens))
    x = ops.add(ops.get_rows(inp((n_embd, n_vocab)), ids),
                ops.get_rows(inp((n_embd, n_tokens)), inp((n_tokens,), I32,
                                                          values=np.arange(n_tokens))))
    for _ in range(n_layer):
        x = mlp(attention(x, inp, n_embd, n_head, n_tokens), inp, n_embd, 4 * n_embd)
    x = ops.add(ops.mul(ops.norm(x, 1e-5), inp((n_embd,))), inp((n_embd,)))
    logits = ops.mul_mat(inp((n_embd, n_vocab)), x)
    return [logits.set_output()], inp.feeds


def llama_like(seed: int = 1, n_embd=32, n_head=2, n_tokens=5):
    inp = Inputs(seed)
    x = inp((n_embd, n_tokens))
    h = ops.mul(ops.rms_norm(x, 1e-6, inplace=False), inp((n_embd,)))
    h = attention(h, inp, n_embd, n_head, n_tokens, rope=True)
    g = ops.mul_mat(inp((n_embd, 2 * 3 * n_embd), scale=0.3), ops.rms_norm(h, 1e-6))
    ff = ops.mul_mat(inp((3 * n_embd, n_embd), scale=0.3), ops.glu(g, None, GluOp.SWIGLU))
    return [ops.add(ff, h).set_output()], inp.feeds


def kv_cache(seed: int = 2, n_embd=16, n_ctx=12, n_tokens=4, n_past=3):
    """Write K with CPY into a view of the cache and V with SET_ROWS, then read both back."""
    inp = Inputs(seed)
    x = inp((n_embd, n_tokens))
    k_cache, v_cache = inp((n_embd, n_ctx)), inp((n_embd, n_ctx))
    k_new = ops.mul_mat(inp((n_embd, n_embd)), x)
    k_slot = ops.view_2d(k_cache, n_embd, n_tokens, k_cache.nb[1], n_past * k_cache.nb[1])
    k_written = ops.cpy(k_new, k_slot)
    rows = inp((n_tokens,), GGMLType.I64, values=np.arange(n_tokens) + n_past)
    v_written = ops.set_rows(v_cache, ops.scale(x, 0.5), rows)
    k_all = ops.view_2d(k_cache, n_embd, n_past + n_tokens, k_cache.nb[1], 0)
    kq = ops.soft_max(ops.mul_mat(k_all, x))
    v_all = ops.view_2d(v_cache, n_embd, n_past + n_tokens, v_cache.nb[1], 0)
    out = ops.mul_mat(ops.cont(ops.transpose(v_all)), kq)
    # NOTE: the writes come first in the graph (expanded first), so the reads see them
    return [k_written, v_written, out.set_output()], inp.feeds


GRAPHS = {"gpt2_like": gpt2_like, "llama_like": llama_like, "kv_cache": kv_cache}


def run_allocated(graph: Graph, feeds) -> GAllocr:
    galloc = GAllocr(cpu_backend().default_buffer_type)
    assert galloc.alloc_graph(graph)
    for t, v in feeds.items():
        tensor_set(t, from_numpy_bytes(t.type, v))
    cpu_backend().graph_compute(graph)
    return galloc


def reused_in_place(graph: Graph) -> list[Tensor]:
    """Non-view nodes the allocator put at a source's address."""
    return [n for n in graph.nodes if n.view_src is None
            and any(s is not None and s.data == n.data and s.buffer is n.buffer for s in n.src)]


@pytest.mark.parametrize("name", GRAPHS)
def test_allocated_graph_matches_golden(name: str) -> None:
    outputs, feeds = GRAPHS[name]()
    graph = build_graph(*outputs)
    expected = golden.evaluate(graph, feeds)
    run_allocated(graph, feeds)
    assert reused_in_place(graph), f"{name}: the allocator reused nothing in place"
    for t in outputs[-1:]:
        actual = tensor_values(t.buffer.host_array(), t)
        e = expected[t]
        err = nmse(actual, e)
        assert err <= NMSE_MAX, f"{name}: output {t.describe()} NMSE {err:.3g} > {NMSE_MAX:g}"
