"""bench/alloc_report.py: the live-bytes lower bound and the GPT-2 figures it prints."""

from __future__ import annotations

from ggsched import build_graph, ops
from ggsched.bench import alloc_report as ar
from ggsched.tensor import new_tensor


def test_lower_bound_of_the_measured_vectors_equals_what_ggml_needs():
    # ggml.md §3.6: both graphs are allocated without any waste by ggml (8000 and 11264 B)
    a = new_tensor("f32", [1000], "a").set_input()
    b = new_tensor("f32", [1000], "b").set_input()
    g = ops.sum_rows(ops.sqr(ops.scale(ops.mul(ops.add(a, b), a), 2.0))).set_output()
    assert ar.live_bytes_lower_bound(build_graph(g)) == 8000
    w = new_tensor("f32", [64, 32], "w").set_input()
    x = new_tensor("f32", [64, 8], "x").set_input()
    o = ops.sum_rows(ops.soft_max(ops.cont(ops.transpose(ops.mul_mat(w, x))))).set_output()
    assert ar.live_bytes_lower_bound(build_graph(o)) == 11264


def test_report_of_a_small_gpt2(capsys):
    r = ar.report(n_embd=64, n_head=2, n_layer=2, n_tokens=16, n_vocab=64)
    assert r["live_bytes_lower_bound"] <= r["ggsched_gallocr_bytes"]
    if r["ggml_gallocr_bytes"] is None:
        assert r["ggml_unavailable_reason"]
    else:
        assert r["ggml_gallocr_bytes"] == r["ggsched_gallocr_bytes"]
    assert ar.main(["--n-embd", "64", "--n-head", "2", "--n-layer", "1", "--n-tokens", "8",
                    "--n-vocab", "32"]) == 0
    assert "live-bytes lower bound" in capsys.readouterr().out
