"""The golden's memory model: roots own bytes, views read and write through their layout, in-place
ops and CPY/SET_ROWS/CLAMP write into another tensor's memory; feeds and Results."""

import numpy as np
import pytest
from ggsched import GraphError, build_graph, golden, ops
from ggsched import quants as Q
from ggsched.types import GGMLType

RNG = np.random.default_rng(99)


def leaf(type_, *ne, name="x"):
    return ops.new_tensor(type_, ne, name)


def randn(t):
    return RNG.standard_normal(t.shape).astype(np.float32)


# -- views ---------------------------------------------------------------------------------------


def test_views_with_offsets_read_the_right_elements():
    a = leaf("f32", 5, 4, name="a")
    x = randn(a)
    v1 = ops.view_1d(a, 5, 12)  # elements 3..7
    v2 = ops.view_2d(a, 2, 3, 20, 24)  # rows 1..3, columns 1..2
    t = ops.transpose(a)
    p = ops.permute(ops.reshape_3d(a, 5, 2, 2), 1, 2, 0, 3)
    g = golden.evaluate(build_graph(v1, v2, t, p), {a: x})
    np.testing.assert_array_equal(g[v1].reshape(-1), x.reshape(-1)[3:8])
    np.testing.assert_array_equal(g[v2][0, 0], x[0, 0, 1:4, 1:3])
    np.testing.assert_array_equal(g[t][0, 0], x[0, 0].T)
    assert p.ne == (2, 5, 2, 1)  # dim 0 -> 1, 1 -> 2, 2 -> 0
    np.testing.assert_array_equal(g[p][0], x.reshape(2, 2, 5).transpose(1, 2, 0))


def test_raw_is_packed_in_the_views_order():
    a = leaf("f32", 3, 2, name="a")
    x = randn(a)
    t = ops.transpose(a)
    g = golden.evaluate(build_graph(t), {a: x})
    assert g.raw(t).dtype == np.uint8 and g.raw(t).size == 24
    assert g.raw(t).tobytes() == np.ascontiguousarray(x[0, 0].T).tobytes()
    assert g.raw(a).tobytes() == x.tobytes()


def test_ops_on_non_contiguous_views():
    a = leaf("f32", 7, 5, name="a")
    x = randn(a)
    t = ops.transpose(a)
    s = ops.sum_rows(t)
    m = ops.mul_mat(ops.cont(t), ops.view_2d(a, 5, 2, 28, 0))
    g = golden.evaluate(build_graph(s, m), {a: x})
    np.testing.assert_allclose(g[s][0, 0, :, 0], x[0, 0].sum(axis=0), rtol=1e-6)
    want = x[0, 0, :2, :5].astype(np.float64) @ x[0, 0].astype(np.float64)
    np.testing.assert_allclose(g[m][0, 0], want, rtol=1e-6)


# -- writes into other tensors -----------------------------------------------------------------


def test_inplace_op_writes_into_its_source_and_results_snapshot_each_moment():
    a, b = leaf("f32", 5, 3, name="a"), leaf("f32", 5, 1, name="b")
    x, y = randn(a), randn(b)
    s = ops.add(a, b, inplace=True)
    d = ops.scale(s, 2.0, inplace=True)
    g = golden.evaluate(build_graph(d), {a: x, b: y})
    assert s.view_src is a and d.view_src is a
    np.testing.assert_array_equal(g[a], x)  # as fed
    np.testing.assert_array_equal(g[s], x + y)  # right after ADD
    np.testing.assert_array_equal(g[d], 2 * (x + y))
    np.testing.assert_array_equal(g.final(a), 2 * (x + y))  # a's memory at the end
    np.testing.assert_array_equal(g.final(s), 2 * (x + y))


def test_clamp_is_a_view_that_clamps_its_source():
    a = leaf("f32", 7, name="a")
    x = np.linspace(-2, 2, 7, dtype=np.float32)
    c = ops.clamp(a, -1.0, 0.5)
    g = golden.evaluate(build_graph(c), {a: x})
    assert c.view_src is a
    np.testing.assert_array_equal(g.final(a).reshape(-1), np.clip(x, -1.0, 0.5))
    np.testing.assert_array_equal(g[a].reshape(-1), x)


@pytest.mark.parametrize("inplace", [False, True], ids=["copy", "inplace"])
def test_acc_dup_diag_mask_inplace_variants(inplace):
    a, b = leaf("f32", 4, 3, name="a"), leaf("f32", 2, name="b")
    x, y = randn(a), randn(b)
    out = ops.diag_mask_inf(ops.acc(a, b, 16, 48, 48, 4, inplace=inplace), 0, inplace=inplace)
    g = golden.evaluate(build_graph(out), {a: x, b: y})
    want = x.copy()
    want[0, 0, 0, 1:3] += y[0, 0, 0]
    want[0, 0][np.triu_indices(3, 1, 4)] = -np.inf
    np.testing.assert_array_equal(g[out], want)
    np.testing.assert_array_equal(g.final(a), want if inplace else x)


def test_cpy_into_a_strided_view_writes_only_its_elements():
    a, b = leaf("f32", 2, 3, name="a"), leaf("f32", 6, 4, name="b")
    x, y = randn(a), randn(b)
    dst = ops.view_2d(b, 2, 3, 24, 32)  # rows 1..3, columns 2..3
    c = ops.cpy(a, dst)
    g = golden.evaluate(build_graph(c), {a: x, b: y})
    assert c.view_src is b
    want = y.copy()
    want[0, 0, 1:4, 2:4] = x[0, 0]
    np.testing.assert_array_equal(g.final(b), want)
    np.testing.assert_array_equal(g[c], x)


def test_cpy_into_a_transposed_view():
    a, b = leaf("f32", 3, 2, name="a"), leaf("f32", 2, 3, name="b")
    x = randn(a)
    c = ops.cpy(a, ops.transpose(b))  # element [i1, i0] of a lands at b[i0, i1]
    g = golden.evaluate(build_graph(c), {a: x, b: np.zeros(6)})
    np.testing.assert_array_equal(g.final(b)[0, 0], x[0, 0].T)


def test_cpy_into_one_row_of_a_quantized_tensor_keeps_the_others():
    a, q = leaf("f32", 32, name="a"), leaf("q8_0", 32, 3, name="q")
    x = randn(a)
    raw = Q.quantize(GGMLType.Q8_0, RNG.standard_normal((3, 32))).reshape(-1)
    c = ops.cpy(a, ops.view_2d(q, 32, 1, 34, 34))  # row 1
    g = golden.evaluate(build_graph(c), {a: x, q: raw})
    assert np.array_equal(g.raw(q), raw)  # q's snapshot is as fed
    before = Q.dequantize(GGMLType.Q8_0, raw.reshape(3, 34))
    after = g.final(q)[0, 0]
    np.testing.assert_array_equal(after[[0, 2]], before[[0, 2]])
    np.testing.assert_array_equal(
        after[1], Q.dequantize(GGMLType.Q8_0, Q.quantize(GGMLType.Q8_0, x[0, 0, 0]))
    )


def test_set_rows_then_a_view_of_the_cache_sees_the_new_rows():
    cache, new, ids = (
        leaf("f32", 4, 5, name="cache"),
        leaf("f32", 4, 2, name="new"),
        leaf("i64", 2, name="ids"),
    )
    k = ops.set_rows(cache, new, ids)
    head = ops.view_2d(k, 4, 3, 16, 16)  # rows 1..3 of the updated cache
    out = ops.sum_rows(head)
    c0, n = randn(cache), randn(new)
    g = golden.evaluate(build_graph(out), {cache: c0, new: n, ids: [3, 1]})
    want = c0[0, 0].copy()
    want[[3, 1]] = n[0, 0]
    np.testing.assert_array_equal(g[head][0, 0], want[1:4])
    np.testing.assert_allclose(g[out][0, 0, :, 0], want[1:4].sum(axis=1), rtol=1e-6)


# -- feeds and results -------------------------------------------------------------------------


def test_feeds_are_cast_to_the_leaf_type_and_may_be_flat():
    h, q, f = leaf("f16", 3, 2, name="h"), leaf("q4_0", 32, name="q"), leaf("f32", 32, name="f")
    vals = RNG.standard_normal(32)
    unused = leaf("f32", 2, name="unused")
    feeds = {h: [0.1, 0.2, 0.3, 1e-8, 70000.0, -2.5], q: vals, f: np.zeros(32), unused: [0, 0]}
    g = golden.evaluate(build_graph(ops.sqr(h), ops.cpy(q, f)), feeds)
    assert g[h].dtype == np.float64 and unused not in g  # extra feeds are ignored
    want_h = np.float16([0.1, 0.2, 0.3, 1e-8, np.inf, -2.5]).astype(np.float64)
    np.testing.assert_array_equal(g[h].reshape(-1), want_h)
    want_q = Q.dequantize(GGMLType.Q4_0, Q.quantize(GGMLType.Q4_0, vals)).astype(np.float64)
    np.testing.assert_array_equal(g[q].reshape(-1), want_q)


def test_quantized_feed_may_be_raw_bytes():
    q = leaf("q8_0", 64, name="q")
    raw = Q.quantize(GGMLType.Q8_0, RNG.standard_normal(64)).reshape(-1)
    out = ops.cpy(q, leaf("f32", 64, name="f"))
    g = golden.evaluate(build_graph(out), {q: raw, out.src[1]: np.zeros(64)})
    assert np.array_equal(g.raw(q), raw)
    np.testing.assert_array_equal(g[out].reshape(-1), Q.dequantize(GGMLType.Q8_0, raw))


def test_results_cover_every_leaf_and_node():
    a, b = leaf("f32", 3, name="a"), leaf("f32", 3, name="b")
    out = ops.mul(ops.add(a, b), a)
    graph = build_graph(out)
    g = golden.evaluate(graph, {a: [1, 2, 3], b: [4, 5, 6]})
    assert set(g) == set(graph.leafs) | set(graph.nodes) and len(g) == 4
    assert g[out].reshape(-1).tolist() == [5.0, 14.0, 27.0]
    stranger = leaf("f32", 3, name="stranger")
    assert stranger not in g
    with pytest.raises(KeyError, match="stranger"):
        g[stranger]


def test_a_graph_view_needs_feeds_for_sources_from_outside():
    a = leaf("f32", 3, name="a")
    s = ops.sqr(a)
    out = ops.add(ops.scale(s, 2.0), a)
    graph = build_graph(out)
    part = graph.view(1, 3)  # SCALE and ADD; s and a come from outside
    with pytest.raises(GraphError, match="no feed for input"):
        golden.evaluate(part, {a: [1, 2, 3]})
    g = golden.evaluate(part, {a: [1, 2, 3], s: [10, 20, 30]})
    assert g[out].reshape(-1).tolist() == [21.0, 42.0, 63.0]


@pytest.mark.parametrize("op", ["cpy", "cont", "dup"])
def test_same_type_quantized_copies_move_blocks_byte_for_byte(op):
    q = leaf("q4_0", 64, 3, name="q")
    blocks = RNG.integers(1, 16, (6, 18)) * 17  # nibbles 1..15: no q = 0 holding -8 d, so
    blocks[:, :2] = [0x00, 0x30]  # requantizing would rescale the block (d = 0.125 here)
    raw = blocks.astype(np.uint8).reshape(-1)
    src = ops.view_2d(q, 64, 2, 36, 36)  # rows 1 and 2
    out = ops.cpy(src, leaf("q4_0", 32, 4, name="d")) if op == "cpy" else getattr(ops, op)(src)
    feeds = {q: raw} | ({out.src[1]: np.zeros(128)} if op == "cpy" else {})
    g = golden.evaluate(build_graph(out), feeds)
    assert np.array_equal(g.raw(out), raw[36:])
