"""The GPT-2 model graph: its structure, its weights and inputs, and its values against a
plain numpy GPT-2 forward written here from the model's definition."""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import Op, ShapeError, TypeMismatchError, golden, models
from ggsched.tensor import TensorFlag

SMALL = dict(n_embd=64, n_head=4, n_layer=2, n_tokens=8, n_vocab=32)


def numpy_gpt2(w: dict[str, np.ndarray], tokens: np.ndarray, hp: dict) -> np.ndarray:
    """Logits [N, n_vocab] of a causal GPT-2 (tanh GELU, layer norm with eps)."""
    n_embd, n_head, N = hp["n_embd"], hp["n_head"], len(tokens)
    hd = n_embd // n_head

    def norm(x, p):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + hp["eps"]) * w[f"{p}_g"] + w[f"{p}_b"]

    def linear(x, p):
        return x @ w[f"{p}_w"].T + w[f"{p}_b"]

    def gelu(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

    x = w["wte"][tokens] + w["wpe"][np.arange(N)]
    causal = np.triu(np.full((N, N), -np.inf), 1)
    for il in range(hp["n_layer"]):
        qkv = linear(norm(x, f"l{il}_ln_1"), f"l{il}_attn")
        q, k, v = (qkv[:, i * n_embd:(i + 1) * n_embd].reshape(N, n_head, hd).transpose(1, 0, 2)
                   for i in range(3))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + causal
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        att = (p @ v).transpose(1, 0, 2).reshape(N, n_embd)
        x = x + linear(att, f"l{il}_attn_proj")
        x = x + linear(gelu(linear(norm(x, f"l{il}_ln_2"), f"l{il}_mlp_fc")), f"l{il}_mlp_proj")
    return norm(x, "ln_f") @ w["lm_head"].T


def test_gpt2_matches_a_numpy_forward():
    m = models.gpt2(**SMALL)
    feeds = m.feeds(np.random.default_rng(1))
    got = golden.evaluate(m.graph, feeds)[m.output].reshape(SMALL["n_tokens"], -1)
    weights = {t.name: np.asarray(v, dtype=np.float64).squeeze() for t, v in feeds.items()}
    tokens = next(v for t, v in feeds.items() if t.name == "embd").reshape(-1)
    want = numpy_gpt2(weights, tokens, m.hparams)
    # f32 storage of every intermediate: relative error of a few f32 ulps per op
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_gpt2_structure_follows_ggml_example():
    m = models.gpt2()
    counts = {}
    for n in m.graph.nodes:
        counts[n.op_desc] = counts.get(n.op_desc, 0) + 1
    L = 4
    assert counts["GET_ROWS"] == 2
    assert counts["NORM"] == 2 * L + 1
    assert counts["MUL_MAT"] == 6 * L + 1  # qkv, kq, kqv, proj, fc, mlp proj; lm head
    for op in ("SCALE", "DIAG_MASK_INF", "SOFT_MAX", "GELU"):
        assert counts[op] == L
    assert m.output.ne[:2] == (512, 64) and m.output.flags & TensorFlag.OUTPUT


def test_gpt2_weights_are_leafs_and_inputs_are_flagged():
    m = models.gpt2(**SMALL)
    leafs = set(map(id, m.graph.leafs))
    assert all(id(w) in leafs and w.op is Op.NONE and not w.is_input for w in m.weights)
    assert [t.name for t in m.inputs] == ["embd", "position"]
    assert all(t.is_input for t in m.inputs)
    assert len(m.graph.leafs) == len(m.weights) + len(m.inputs)


@pytest.mark.parametrize("wtype", ["f16", "q8_0", "q4_0"])
def test_gpt2_weight_types_apply_to_the_big_matrices(wtype):
    m = models.gpt2(**SMALL, wtype=wtype)
    big = [w for w in m.weights if w.name.endswith("_w") or w.name == "lm_head"]
    assert len(big) == 4 * SMALL["n_layer"] + 1
    assert {str(w.type) for w in big} == {wtype}
    assert {str(w.type) for w in m.weights if w not in big} == {"f32"}
    values = golden.evaluate(m.graph, m.feeds(np.random.default_rng(0)))[m.output]
    assert np.isfinite(values).all()


def test_gpt2_rejects_bad_hparams():
    with pytest.raises(ShapeError, match="multiple of n_head"):
        models.gpt2(n_embd=30, n_head=4)
    with pytest.raises(ShapeError, match="multiple of 32"):
        models.gpt2(n_embd=48, n_head=4, wtype="q8_0")
    with pytest.raises(TypeMismatchError, match="wtype"):
        models.gpt2(wtype="i32")
