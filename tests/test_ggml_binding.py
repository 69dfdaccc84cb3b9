"""The ctypes binding to real ggml: loading, the struct/enum checks, rebuilding graphs,
computing them on ggml's CPU backend, and ggml's gallocr on the allocator test vectors."""

from __future__ import annotations

import ggsched.backends.ggml as gg
import numpy as np
import pytest
from ggsched import F16, F32, I32, Q8_0, GGMLType, build_graph, ops
from ggsched.backends.ggml import lib as gg_lib
from ggsched.backends.ggml import reg as gg_reg
from ggsched.errors import BackendUnavailable

REASON = gg.unavailable_reason()
pytestmark = [
    pytest.mark.ggml,
    pytest.mark.skipif(REASON is not None, reason=f"real ggml unavailable: {REASON}"),
]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_missing_package_names_the_reason(monkeypatch):
    monkeypatch.setattr(gg_lib.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(gg.GgmlUnavailable, match="libggml-python package is not installed"):
        gg_lib.find_paths()


def test_unloadable_library_names_the_file(tmp_path):
    (tmp_path / "libggml-base.so").write_bytes(b"not an ELF file")
    with pytest.raises(gg.GgmlUnavailable, match="cannot load .*libggml-base.so"):
        gg_lib._open(tmp_path)


def test_enums_are_ggmls_by_name():
    e = gg.load().enums
    for t in GGMLType:
        assert e.type_of(t) == int(t), t
    assert e.op["MUL_MAT"] != e.op["ADD"]
    assert e.op_name(e.op["SOFT_MAX"]) == "SOFT_MAX"


def test_registry_entry_has_one_device_or_says_why(monkeypatch):
    reg = gg.register()
    assert reg.name == "ggml"
    assert [d.name for d in reg.devices()] == ["ggml-cpu"]
    monkeypatch.setattr(gg_reg, "unavailable_reason", lambda: "no libggml here")
    with pytest.raises(BackendUnavailable, match="no libggml here"):
        reg.devices()


def _attention_like():
    a = ops.new_tensor_2d(F32, 7, 5, "a")
    b = ops.new_tensor_2d(F32, 7, 1, "b")
    c = ops.add(a, b)  # b broadcast over rows
    d = ops.mul_mat(a, c)  # c·aᵀ
    e = ops.soft_max(ops.cont(ops.transpose(d)))
    return a, b, c, d, e


def _softmax(x):
    y = np.exp(x - x.max(axis=-1, keepdims=True))
    return y / y.sum(axis=-1, keepdims=True)


def test_runner_matches_numpy_on_a_small_graph(rng):
    a, b, c, d, e = _attention_like()
    va = rng.uniform(-1, 1, (5, 7)).astype(np.float32)
    vb = rng.uniform(-1, 1, (1, 7)).astype(np.float32)
    with gg.GgmlRunner(build_graph(e), n_threads=1) as r:
        r.set({a: va, b: vb})
        r.compute()
        vc = va + vb
        assert r.values(c).shape == c.shape == (1, 1, 5, 7)
        np.testing.assert_array_equal(r.values(c)[0, 0], vc)
        np.testing.assert_allclose(r.values(d)[0, 0], vc @ va.T, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(r.values(e)[0, 0], _softmax((vc @ va.T).T), rtol=1e-5)
        assert r.raw(c).tobytes() == vc.tobytes()


def test_runner_recomputes_and_reads_views(rng):
    x = ops.new_tensor_2d(F32, 6, 4, "x")
    v = ops.view_2d(x, 3, 2, x.nb[1], 2 * x.nb[0])  # rows 0..1, columns 2..4
    y = ops.scale(ops.cont(v), 2.0)
    with gg.GgmlRunner(build_graph(y), n_threads=1) as r:
        for _ in range(2):
            vx = rng.standard_normal((4, 6)).astype(np.float32)
            r.set({x: vx})
            assert len(r.time(2)) == 2
            np.testing.assert_array_equal(r.values(v)[0, 0], vx[:2, 2:5])
            np.testing.assert_array_equal(r.values(y)[0, 0], 2 * vx[:2, 2:5])


def test_quantized_feed_is_quantized_by_ggml(rng):
    w = ops.new_tensor_2d(Q8_0, 32, 3, "w")
    ids = ops.new_tensor_1d(I32, 2, "ids")
    rows = ops.get_rows(w, ids)
    vw = rng.uniform(-1, 1, (3, 32)).astype(np.float32)
    with gg.GgmlRunner(build_graph(rows), n_threads=1) as r:
        r.set({w: vw, ids: np.array([2, 0])})
        r.compute()
        assert r.raw(w).tobytes() == gg.ggml_quantize(Q8_0, vw)
        np.testing.assert_array_equal(r.values(rows)[0, 0], r.values(w)[0, 0, [2, 0]])
        assert np.abs(r.values(w) - vw).max() <= np.abs(vw).max() / 127


def test_a_builder_disagreement_is_reported():
    a = ops.new_tensor_2d(F32, 4, 3, "a")
    t = ops.sum_rows(a)
    t.ne = (1, 1, 3, 1)  # wrong on purpose: ggml's SUM_ROWS keeps ne[1..3]
    with pytest.raises(gg.GgmlMismatch, match=r"SUM_ROWS .*ne=\[1, 3, 1, 1\]"):
        gg.GgmlGraph(build_graph(t)).check()


def test_op_params_disagreement_is_reported():
    a = ops.new_tensor_2d(F32, 4, 3, "a")
    t = ops.scale(a, 0.5)
    t.op_params = (0.5, 0.0, 7)  # a slot ggml does not store
    with pytest.raises(gg.GgmlMismatch, match="op_params"):
        gg.GgmlGraph(build_graph(t)).check()


def test_unsupported_node_is_refused_not_computed():
    # ggml's CPU multiplies an f32 src0 only by f32 (its vec_dot type); it would abort
    a = ops.new_tensor_2d(F32, 32, 3, "a")
    h = ops.new_tensor_2d(F16, 32, 2, "h")
    t = ops.mul_mat(a, h)
    with pytest.raises(gg.GgmlUnsupported, match="MUL_MAT"):
        gg.GgmlRunner(build_graph(t), n_threads=1)


# -- ggml's gallocr: the test vectors measured from real ggml (research/ggml.md §3.6) ----------


def test_gallocr_vector_1_inplace_chain():
    a = ops.new_tensor_1d(F32, 1000, "a").set_input()
    b = ops.new_tensor_1d(F32, 1000, "b").set_input()
    c = ops.add(a, b)
    d = ops.mul(c, a)
    e = ops.scale(d, 2.0)
    f = ops.sqr(e)
    g = ops.sum_rows(f).set_output()
    plan = gg.gallocr_plan(build_graph(g))
    assert plan.size == 8000
    assert [plan.offsets[t] for t in (a, b, c, d, e, f, g)] == [0, 4000, 4000, 4000, 4000, 4000, 0]


def test_gallocr_vector_2_transpose_softmax():
    w = ops.new_tensor_2d(F32, 64, 32, "w").set_input()
    x = ops.new_tensor_2d(F32, 64, 8, "x").set_input()
    y = ops.mul_mat(w, x)
    yt = ops.transpose(y)
    yc = ops.cont(yt)
    z = ops.soft_max(yc)
    o = ops.sum_rows(z).set_output()
    graph = build_graph(o)
    plan = gg.gallocr_plan(graph)
    assert plan.size == gg.measure_gallocr(graph) == 11264
    got = [plan.offsets[t] for t in (w, x, y, yt, yc, z, o)]
    assert got == [0, 8192, 10240, 10240, 0, 0, 1024]


def test_gallocr_leaves_static_weights_alone():
    w = ops.new_tensor_2d(F32, 64, 32, "w")
    x = ops.new_tensor_2d(F32, 64, 8, "x").set_input()
    o = ops.sum_rows(ops.mul_mat(w, x)).set_output()
    plan = gg.gallocr_plan(build_graph(o), static=[w])
    assert plan.static_size == 64 * 32 * 4
    assert w not in plan.offsets
    # x@0 (2048 B), the product @2048 (1024 B), then the row sums reuse x's freed bytes
    assert plan.size == 3072
    assert [plan.offsets[t] for t in (x, o.src[0], o)] == [0, 2048, 0]
