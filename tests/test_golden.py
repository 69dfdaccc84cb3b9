"""Each op's golden against values derived another way: by hand, by loops over ggml's index
formulas, or through a different numpy route. Shapes are small and odd (5, 7, 11, 13)."""

import math

import numpy as np
import pytest
from ggsched import GluOp, Op, UnaryOp, UnsupportedOpError, build_graph, golden, ops
from ggsched import quants as Q
from ggsched.types import GGMLType

RNG = np.random.default_rng(1234)


def leaf(type_, *ne, name="x"):
    return ops.new_tensor(type_, ne, name)


def randn(t, scale=1.0):
    return (RNG.standard_normal(t.shape) * scale).astype(np.float32)


def run(out, feeds):
    """The golden value of ``out``, every leaf fed from ``feeds``."""
    return golden.evaluate(build_graph(out), feeds)[out]


def run_unary(build, x, type_="f32"):
    """build(a) on a leaf holding x; the value comes back with x's number of dims."""
    a = leaf(type_, *x.shape[::-1], name="a")
    v = run(build(a), {a: x})
    return v.reshape(v.shape[4 - x.ndim :])


# -- the table ------------------------------------------------------------------------------------


def test_every_op_and_sub_op_has_a_golden():
    assert set(golden.GOLDEN) == set(Op) - {Op.NONE}
    assert set(golden.UNARY_GOLDEN) == set(UnaryOp)
    assert set(golden.GLU_ACTIVATIONS) == set(GluOp)
    assert golden.GOLDEN[Op.SOFT_MAX].__name__ == "soft_max"
    assert golden.UNARY_GOLDEN[UnaryOp.GELU_ERF].__name__ == "gelu_erf"


def test_a_missing_golden_lists_what_is_available(monkeypatch):
    monkeypatch.delitem(golden.GOLDEN, Op.SQR)
    a = leaf("f32", 3, name="a")
    with pytest.raises(UnsupportedOpError, match=r"no golden for SQR .*available: .*SOFT_MAX"):
        run(ops.sqr(a), {a: np.ones(3)})


def test_gelu_docstring_states_the_approximation():
    doc = golden.__doc__ + golden.gelu.__doc__
    assert "f16" in doc and "table" in doc and "tanh" in doc


# -- element-wise binary with repeat --------------------------------------------------------------


@pytest.mark.parametrize(
    "op, fn",
    [(ops.add, np.add), (ops.sub, np.subtract), (ops.mul, np.multiply), (ops.div, np.divide)],
    ids=["add", "sub", "mul", "div"],
)
def test_binary_repeats_b_by_index_modulo(op, fn):
    a, b = leaf("f32", 6, 5, 4, 2, name="a"), leaf("f32", 3, 5, 2, 1, name="b")
    x, y = randn(a), randn(b) + 3.0
    got = run(op(a, b), {a: x, b: y})
    want = np.empty_like(x, dtype=np.float64)
    for i3, i2, i1, i0 in np.ndindex(*x.shape):  # ggml: b index = a index % b.ne
        want[i3, i2, i1, i0] = fn(np.float64(x[i3, i2, i1, i0]), y[0, i2 % 2, i1 % 5, i0 % 3])
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_binary_on_f16_rounds_to_f16():
    a, b = leaf("f16", 7, 3, name="a"), leaf("f32", 7, 1, name="b")
    x, y = randn(a).astype(np.float16), randn(b)
    got = run(ops.add(a, b), {a: x, b: y})
    want = (x.astype(np.float64) + y.astype(np.float64)).astype(np.float16)
    np.testing.assert_array_equal(got, want)


def test_add1_adds_the_scalar():
    a, s = leaf("f32", 5, 3, name="a"), leaf("f32", 1, name="s")
    x = randn(a)
    np.testing.assert_allclose(run(ops.add1(a, s), {a: x, s: [2.5]}), x + 2.5, rtol=1e-7)


def test_acc_adds_b_into_a_strided_window():
    a, b = leaf("f32", 5, 4, name="a"), leaf("f32", 2, 3, name="b")
    x, y = randn(a), randn(b)
    got = run(ops.acc(a, b, nb1=20, nb2=60, nb3=60, offset=8), {a: x, b: y})
    want = x.astype(np.float64).reshape(-1).copy()
    for j in range(3):  # row j of b lands at element 2 + 5j
        want[2 + 5 * j : 4 + 5 * j] += y.reshape(3, 2)[j]
    np.testing.assert_array_equal(got.reshape(-1), want.astype(np.float32))


# -- element-wise unary ---------------------------------------------------------------------------


def _math_each(fn, x):
    return np.array([fn(float(v)) for v in x.reshape(-1)]).reshape(x.shape)


UNARY_BY_HAND = {
    "abs": abs,
    "sgn": lambda v: (v > 0) - (v < 0),
    "neg": lambda v: -v,
    "step": lambda v: 1.0 if v > 0 else 0.0,
    "tanh": math.tanh,
    "elu": lambda v: v if v > 0 else math.expm1(v),
    "relu": lambda v: max(v, 0.0),
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "gelu": lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))),
    "gelu_erf": lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
    "gelu_quick": lambda v: v / (1 + math.exp(-1.702 * v)),
    "silu": lambda v: v / (1 + math.exp(-v)),
    "hardswish": lambda v: v * min(1.0, max(0.0, (v + 3) / 6)),
    "hardsigmoid": lambda v: min(1.0, max(0.0, (v + 3) / 6)),
    "exp": math.exp,
}


@pytest.mark.parametrize("name", sorted(UNARY_BY_HAND))
def test_unary_matches_the_formula(name):
    x = np.linspace(-4.5, 4.5, 13 * 5, dtype=np.float32).reshape(5, 13)
    x[0, :3] = [0.0, -0.0, 3.0]  # sign of zero, the hard* knees
    got = run_unary(getattr(ops, name), x)
    want = _math_each(UNARY_BY_HAND[name], x).astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-30)  # f32 storage: 1 ulp


def test_unary_on_f16_stores_f16():
    x = np.linspace(-2, 2, 11).astype(np.float16)
    got = run_unary(ops.silu, x, "f16")
    want = _math_each(UNARY_BY_HAND["silu"], x.astype(np.float64)).astype(np.float16)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "build, fn",
    [
        (ops.sqr, lambda v: v * v),
        (lambda a: ops.sqrt(ops.abs(a)), lambda v: math.sqrt(abs(v))),
        (lambda a: ops.log(ops.abs(a)), lambda v: math.log(abs(v))),
        (ops.sin, math.sin),
        (ops.cos, math.cos),
        (lambda a: ops.scale_bias(a, -1.5, 0.25), lambda v: -1.5 * v + 0.25),
        (lambda a: ops.leaky_relu(a, 0.125), lambda v: v if v > 0 else 0.125 * v),
        (lambda a: ops.clamp(a, -0.5, 0.75), lambda v: min(max(v, -0.5), 0.75)),
    ],
    ids=["sqr", "sqrt", "log", "sin", "cos", "scale_bias", "leaky_relu", "clamp"],
)
def test_other_element_wise_ops(build, fn):
    x = np.linspace(-3.1, 2.9, 7 * 11, dtype=np.float32).reshape(7, 11)
    np.testing.assert_allclose(run_unary(build, x), _math_each(fn, x), rtol=2e-7)


# -- GLU -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reglu", "geglu", "swiglu"])
@pytest.mark.parametrize("swapped", [False, True], ids=["plain", "swapped"])
def test_glu_fused_halves(name, swapped):
    act = {"reglu": "relu", "geglu": "gelu", "swiglu": "silu"}[name]
    x = RNG.standard_normal((3, 10)).astype(np.float32)
    got = run_unary(lambda a: getattr(ops, name)(a, swapped), x)
    first, second = x[:, :5].astype(np.float64), x[:, 5:].astype(np.float64)
    gate, up = (second, first) if swapped else (first, second)
    want = _math_each(UNARY_BY_HAND[act], gate) * up
    np.testing.assert_allclose(got, want, rtol=3e-7)


def test_glu_split_operands():
    a, b = leaf("f32", 7, 3, name="a"), leaf("f32", 7, 3, name="b")
    x, g = randn(a), randn(b)
    got = run(ops.swiglu_split(a, b), {a: x, b: g})
    want = _math_each(UNARY_BY_HAND["silu"], x) * g
    np.testing.assert_allclose(got, want, rtol=3e-7)


# -- reductions -----------------------------------------------------------------------------------


def test_sum_sum_rows_mean():
    a = leaf("f32", 13, 5, 3, name="a")
    x = randn(a)
    rows = [[math.fsum(map(float, r)) for r in m] for m in x[0]]
    g = golden.evaluate(
        build_graph(s := ops.sum(a), sr := ops.sum_rows(a), m := ops.mean(a)), {a: x}
    )
    assert g[s].shape == (1, 1, 1, 1) and g[sr].shape == (1, 3, 5, 1)
    np.testing.assert_allclose(g[s].item(), math.fsum(map(float, x.reshape(-1))), rtol=1e-6)
    np.testing.assert_allclose(g[sr][0, :, :, 0], rows, rtol=1e-6)
    np.testing.assert_allclose(g[m][0, :, :, 0], np.array(rows) / 13, rtol=1e-6)


def test_argmax_takes_the_last_of_equal_maxima_like_ggml():
    a = leaf("f32", 5, 3, name="a")
    x = np.array([[1, 7, 3, 7, 2], [9, 0, 0, 0, 0], [-1, -2, -1, -5, -3]], np.float32)
    got = run(ops.argmax(a), {a: x})
    assert got.dtype == np.int32 and got.reshape(-1).tolist() == [3, 0, 2]


def test_count_equal_is_an_i64_scalar():
    a, b = leaf("i32", 7, 3, name="a"), leaf("i32", 7, 3, name="b")
    x = RNG.integers(0, 3, (3, 7))
    y = RNG.integers(0, 3, (3, 7))
    got = run(ops.count_equal(a, b), {a: x, b: y})
    assert got.dtype == np.int64 and got.item() == sum(int(u == v) for u, v in zip(x.flat, y.flat))


@pytest.mark.parametrize("order", [0, 1], ids=["asc", "desc"])
def test_argsort_is_stable_on_ties(order):
    a = leaf("f32", 6, 2, name="a")
    x = np.array([[3, 1, 2, 1, 3, 0], [5, 5, 5, 4, 6, 4]], np.float32)
    got = run(ops.argsort(a, order), {a: x})
    want = (
        [[5, 1, 3, 2, 0, 4], [3, 5, 0, 1, 2, 4]]
        if order == 0
        else [[0, 4, 2, 1, 3, 5], [4, 0, 1, 2, 3, 5]]
    )
    assert got.dtype == np.int32 and got.reshape(2, 6).tolist() == want


# -- shape ops ------------------------------------------------------------------------------------


def test_repeat_tiles_every_dim():
    a, like = leaf("f32", 2, 3, name="a"), leaf("f32", 6, 6, 2, name="like")
    x = randn(a)
    got = run(ops.repeat(a, like), {a: x, like: np.zeros(72)})
    for i2, i1, i0 in np.ndindex(2, 6, 6):
        assert got[0, i2, i1, i0] == x[0, 0, i1 % 3, i0 % 2]


@pytest.mark.parametrize("dim", [0, 1, 2, 3])
def test_concat_places_b_after_a(dim):
    ne_a, ne_b = [5, 3, 2, 2], [5, 3, 2, 2]
    ne_b[dim] = 4
    a, b = leaf("f32", *ne_a, name="a"), leaf("f32", *ne_b, name="b")
    x, y = randn(a), randn(b)
    got = run(ops.concat(a, b, dim), {a: x, b: y})
    axis = 3 - dim
    n = x.shape[axis]
    np.testing.assert_array_equal(np.take(got, range(n), axis=axis), x)
    np.testing.assert_array_equal(np.take(got, range(n, n + 4), axis=axis), y)


def test_pad_ext_surrounds_with_zeros():
    a = leaf("f32", 3, 2, name="a")
    x = randn(a)
    got = run(ops.pad_ext(a, 1, 2, 0, 1, 2, 0, 0, 1), {a: x})
    assert got.shape == (2, 3, 3, 6)
    np.testing.assert_array_equal(got[0, 2, 0:2, 1:4], x[0, 0])
    got[0, 2, 0:2, 1:4] = 0
    assert not got.any()
    assert run(ops.pad(a, 1, 0, 0, 0), {a: x})[..., :3].tolist() == x.tolist()


# -- normalization --------------------------------------------------------------------------------


def test_norm_and_rms_norm_per_row():
    a = leaf("f32", 11, 3, 2, name="a")
    x = randn(a, 3.0) + 1.0
    g = golden.evaluate(build_graph(n := ops.norm(a, 1e-3), r := ops.rms_norm(a, 1e-3)), {a: x})
    x64 = x.astype(np.float64)
    want_n = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-3)
    want_r = x64 / np.sqrt(np.square(np.linalg.norm(x64, axis=-1, keepdims=True)) / 11 + 1e-3)
    np.testing.assert_allclose(g[n], want_n, rtol=3e-7)
    np.testing.assert_allclose(g[r], want_r, rtol=3e-7)


def test_l2_norm_divides_by_the_larger_of_norm_and_eps():
    a = leaf("f32", 5, 2, name="a")
    x = np.array([[3, 4, 0, 0, 0], [1e-4, 0, 0, 0, 0]], np.float32)
    got = run(ops.l2_norm(a, 1e-2), {a: x})
    np.testing.assert_allclose(got[0, 0, 0], [0.6, 0.8, 0, 0, 0], rtol=1e-7)
    np.testing.assert_allclose(got[0, 0, 1, 0], 1e-4 / 1e-2, rtol=1e-6)  # eps wins


def test_group_norm_groups_channels_of_dim_2():
    a = leaf("f32", 3, 2, 5, 2, name="a")  # 5 channels in 2 groups: 3 + 2
    x = randn(a, 2.0) + 0.5
    got = run(ops.group_norm(a, 2, 1e-4), {a: x})
    for i3 in range(2):
        for lo, hi in [(0, 3), (3, 5)]:
            g = x[i3, lo:hi].astype(np.float64)
            want = (g - g.mean()) / math.sqrt(g.var() + 1e-4)
            np.testing.assert_allclose(got[i3, lo:hi], want, rtol=3e-7)


# -- matrix products ------------------------------------------------------------------------------


def test_mul_mat_broadcasts_a_over_dims_2_and_3():
    a, b = leaf("f32", 13, 5, 2, 1, name="a"), leaf("f32", 13, 7, 6, 2, name="b")
    x, y = randn(a), randn(b)
    got = run(ops.mul_mat(a, b), {a: x, b: y})
    assert got.shape == (2, 6, 7, 5)
    for i3, i2 in np.ndindex(2, 6):
        ai = x[0, i2 // 3].astype(np.float64)  # a's i02 = i12 / (ne12 / ne02)
        want = np.einsum("jk,ik->ji", y[i3, i2].astype(np.float64), ai)
        np.testing.assert_allclose(got[i3, i2], want, rtol=1e-6)


@pytest.mark.parametrize("qtype", ["f16", "q8_0", "q4_0"])
def test_mul_mat_uses_the_stored_values_of_a(qtype):
    a, b = leaf(qtype, 64, 5, name="a"), leaf("f32", 64, 3, name="b")
    x, y = randn(a), randn(b)
    stored = (
        x.astype(np.float16)
        if qtype == "f16"
        else Q.dequantize(GGMLType.parse(qtype), Q.quantize(GGMLType.parse(qtype), x))
    )
    got = run(ops.mul_mat(a, b), {a: x, b: y})
    want = y[0, 0].astype(np.float64) @ stored[0, 0].astype(np.float64).T
    np.testing.assert_allclose(got[0, 0], want, rtol=1e-6, atol=1e-6)


def test_out_prod_sums_over_dim_1_with_broadcast():
    a, b = leaf("f32", 5, 7, 1, name="a"), leaf("f32", 3, 7, 2, name="b")
    x, y = randn(a), randn(b)
    got = run(ops.out_prod(a, b), {a: x, b: y})
    assert got.shape == (1, 2, 3, 5)
    for i2, i1, i0 in np.ndindex(2, 3, 5):
        want = math.fsum(float(x[0, 0, k, i0]) * float(y[0, i2, k, i1]) for k in range(7))
        assert got[0, i2, i1, i0] == pytest.approx(want, rel=1e-6)


# -- copies and conversions -----------------------------------------------------------------------


@pytest.mark.parametrize("dst", ["f32", "f16", "q8_0", "q4_0"])
def test_cpy_converts_into_every_type(dst):
    a, b = leaf("f32", 64, 3, name="a"), leaf(dst, 32, 6, name="b")
    x = randn(a)
    g = golden.evaluate(build_graph(c := ops.cpy(a, b)), {a: x, b: np.zeros(192)})
    flat = x.reshape(6, 32)  # same elements in ggml's order, laid out as b
    if dst in ("q8_0", "q4_0"):
        qt = GGMLType.parse(dst)
        assert np.array_equal(g.raw(c), Q.quantize(qt, flat).reshape(-1))
        want = Q.dequantize(qt, Q.quantize(qt, flat))
    else:
        want = flat.astype(np.float16 if dst == "f16" else np.float32)
    np.testing.assert_array_equal(g[c].reshape(6, 32), want)


@pytest.mark.parametrize(
    "src, dst, values, want",
    [
        ("f16", "f32", [0.5, -1.25, 65504.0], [0.5, -1.25, 65504.0]),
        ("f32", "i32", [1.7, -1.7, 2.0], [1, -1, 2]),  # C's float -> int truncates
        ("i32", "f32", [3, -4, 16777217], [3.0, -4.0, 16777216.0]),  # f32 rounding
    ],
    ids=["f16-f32", "f32-i32", "i32-f32"],
)
def test_cpy_between_plain_types(src, dst, values, want):
    a, b = leaf(src, 3, name="a"), leaf(dst, 3, name="b")
    got = run(ops.cpy(a, b), {a: values, b: np.zeros(3)})
    assert got.tolist() == [[[want]]]


def test_cpy_from_quantized_dequantizes():
    a, b = leaf("q4_0", 32, 2, name="a"), leaf("f32", 64, name="b")
    x = randn(a)
    raw = Q.quantize(GGMLType.Q4_0, x[0, 0]).reshape(-1)
    got = run(ops.cpy(a, b), {a: raw, b: np.zeros(64)})
    np.testing.assert_array_equal(
        got.reshape(-1), Q.dequantize(GGMLType.Q4_0, raw.reshape(2, 18)).reshape(-1)
    )


def test_cont_and_dup_of_permuted_views():
    a = leaf("f32", 5, 3, 2, name="a")
    x = randn(a)
    p = ops.permute(a, 2, 0, 1, 3)  # dim 0 -> 2, 1 -> 0, 2 -> 1: ne [3, 2, 5]
    g = golden.evaluate(build_graph(c := ops.cont(p), d := ops.dup(ops.transpose(a))), {a: x})
    assert c.ne == (3, 2, 5, 1) and c.is_contiguous
    for i2, i1, i0 in np.ndindex(5, 2, 3):
        assert g[c][0, i2, i1, i0] == x[0, i1, i0, i2]
    np.testing.assert_array_equal(g[d], np.swapaxes(x, -1, -2))


# -- indexing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["f32", "f16", "q8_0", "q4_0", "i32"])
def test_get_rows_by_batch(type_):
    a, ids = leaf(type_, 32, 5, 2, name="a"), leaf("i32", 3, 2, name="ids")
    x = randn(a, 4.0)
    if type_ == "i32":
        x = x.astype(np.int32)
    r = [[4, 0, 4], [1, 3, 2]]
    g = golden.evaluate(build_graph(out := ops.get_rows(a, ids)), {a: x, ids: r})
    stored = g[a]  # the values as the type stores them
    assert out.type == (GGMLType.I32 if type_ == "i32" else GGMLType.F32)
    assert g[out].shape == (1, 2, 3, 32)
    for i2, i1 in np.ndindex(2, 3):
        np.testing.assert_array_equal(g[out][0, i2, i1], stored[0, i2, r[i2][i1]])


@pytest.mark.parametrize("id_type", ["i32", "i64"])
def test_set_rows_broadcasts_ids_over_dims_2_and_3(id_type):
    dst = leaf("f16", 4, 6, 3, 2, name="dst")
    src = leaf("f32", 4, 2, 3, 2, name="src")
    ids = leaf(id_type, 2, 1, 2, name="ids")  # one id row per i3, shared by the 3 i2
    d0, s = randn(dst).astype(np.float16), randn(src)
    r = [[5, 0], [2, 3]]
    g = golden.evaluate(build_graph(out := ops.set_rows(dst, src, ids)), {dst: d0, src: s, ids: r})
    assert out.view_src is dst and out.src == [src, ids, dst]
    want = d0.copy()
    for i3, i2, i in np.ndindex(2, 3, 2):
        want[i3, i2, r[i3][i]] = s[i3, i2, i].astype(np.float16)
    np.testing.assert_array_equal(g[out], want)
    np.testing.assert_array_equal(g.final(dst), want)


def test_set_rows_into_q8_0_keeps_other_rows_bytes():
    dst, src, ids = (
        leaf("q8_0", 32, 4, name="dst"),
        leaf("f32", 32, 1, name="src"),
        leaf("i64", 1, name="ids"),
    )
    raw = RNG.integers(0, 256, 4 * 34, dtype=np.uint8)  # arbitrary bytes, not requantizable
    raw.reshape(4, 34)[:, 1] = 0x1C  # finite f16 scales
    s = randn(src)
    g = golden.evaluate(
        build_graph(out := ops.set_rows(dst, src, ids)), {dst: raw, src: s, ids: [2]}
    )
    got = g.raw(out).reshape(4, 34)
    want = raw.reshape(4, 34).copy()
    want[2] = Q.quantize(GGMLType.Q8_0, s[0, 0, 0])
    np.testing.assert_array_equal(got, want)


# -- attention ------------------------------------------------------------------------------------


def test_diag_mask_inf_hides_the_future_beyond_n_past():
    a = leaf("f32", 5, 3, 2, name="a")
    x = randn(a)
    got = run(ops.diag_mask_inf(a, 1), {a: x})
    for i2, i1, i0 in np.ndindex(2, 3, 5):
        assert got[0, i2, i1, i0] == (-np.inf if i0 > 1 + i1 else x[0, i2, i1, i0])


def _softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def test_soft_max_rows_sum_to_one():
    a = leaf("f32", 11, 3, name="a")
    x = randn(a, 5.0)
    got = run(ops.soft_max(a), {a: x})
    np.testing.assert_allclose(got.sum(-1), 1.0, rtol=1e-6)
    for i in range(3):
        want = [math.exp(v) / math.fsum(math.exp(w) for w in x[0, 0, i]) for v in x[0, 0, i]]
        np.testing.assert_allclose(got[0, 0, i], want, rtol=1e-6)


def test_soft_max_ext_f16_mask_broadcast_and_scale():
    a = leaf("f32", 7, 3, 4, 2, name="a")
    mask = leaf("f16", 7, 5, 2, 1, name="mask")  # extra rows are ignored; repeats over 2, 3
    x, m = randn(a), randn(mask).astype(np.float16)
    got = run(ops.soft_max_ext(a, mask, 0.5, 0.0), {a: x, mask: m})
    for i3, i2, i1 in np.ndindex(2, 4, 3):
        want = _softmax(0.5 * x[i3, i2, i1].astype(np.float64) + m[0, i2 % 2, i1])
        np.testing.assert_allclose(got[i3, i2, i1], want, rtol=1e-6)


def test_alibi_slopes_by_hand():
    # 6 heads: n_head_log2 = 4, m0 = 2^(-8/4) = 1/4, m1 = 2^(-4/4) = 1/2
    want = [1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8]
    np.testing.assert_allclose(golden.alibi_slopes(6, 8.0), want, rtol=1e-15)
    a = leaf("f32", 5, 2, 6, name="a")
    mask = leaf("f32", 5, 2, name="mask")
    x, m = randn(a), randn(mask)
    got = run(ops.soft_max_ext(a, mask, 1.0, 8.0), {a: x, mask: m})
    for h, i1 in np.ndindex(6, 2):
        want_row = _softmax(x[0, h, i1].astype(np.float64) + want[h] * m[0, 0, i1])
        np.testing.assert_allclose(got[0, h, i1], want_row, rtol=1e-6)


def _rotate(x0, x1, angle, mscale=1.0):
    c, s = math.cos(angle) * mscale, math.sin(angle) * mscale
    return x0 * c - x1 * s, x0 * s + x1 * c


@pytest.mark.parametrize("mode", [0, 2], ids=["normal", "neox"])
def test_rope_rotates_pairs_by_position_and_frequency(mode):
    a, pos = leaf("f32", 6, 2, 3, name="a"), leaf("i32", 3, name="pos")
    x = randn(a)
    p = [0, 3, 11]
    got = run(ops.rope_ext(a, pos, None, 4, mode, freq_base=100.0), {a: x, pos: p})
    pairs = [(0, 1), (2, 3)] if mode == 0 else [(0, 2), (1, 3)]
    for i2, i1 in np.ndindex(3, 2):
        row = x[0, i2, i1].astype(np.float64)
        for i, (j, k) in enumerate(pairs):  # theta_i = p * 100^(-2i/4)
            want = _rotate(row[j], row[k], p[i2] * 100.0 ** (-i / 2))
            np.testing.assert_allclose(got[0, i2, i1, [j, k]], want, rtol=2e-6, atol=1e-6)
        np.testing.assert_array_equal(got[0, i2, i1, 4:], x[0, i2, i1, 4:])  # past n_dims


def test_rope_freq_factors_scale_and_attn_factor():
    a, pos, ff = (
        leaf("f32", 4, 1, 2, name="a"),
        leaf("i32", 2, name="pos"),
        leaf("f32", 2, name="ff"),
    )
    x = randn(a)
    got = run(
        ops.rope_ext(a, pos, ff, 4, 0, freq_base=10000.0, freq_scale=0.25, attn_factor=2.0),
        {a: x, pos: [5, 9], ff: [1.0, 4.0]},
    )
    for i2 in range(2):
        row = x[0, i2, 0].astype(np.float64)
        for i in range(2):  # ext_factor 0: theta = freq_scale * p * base^(-2i/4) / ff_i
            angle = 0.25 * [5, 9][i2] * 10000.0 ** (-i / 2) / [1.0, 4.0][i]
            want = _rotate(row[2 * i], row[2 * i + 1], angle, 2.0)
            np.testing.assert_allclose(got[0, i2, 0, 2 * i : 2 * i + 2], want, rtol=2e-6)


def test_rope_yarn_corr_dims_by_hand():
    # floor(128 ln(4096 / (32 * 2pi)) / (2 ln 10000)) = floor(20.95); ceil(... / (1 * 2pi)) = 46
    assert golden.rope_yarn_corr_dims(128, 4096, 10000.0, 32.0, 1.0) == (20.0, 46.0)
    # floor(8 ln(4096 / (1e4 * 2pi)) / 18.42) = -2 and ceil(10.8) = 11 clamp to [0, n_dims - 1]
    assert golden.rope_yarn_corr_dims(8, 4096, 10000.0, 1e4, 1e-8) == (0.0, 7.0)
    assert golden.rope_yarn_corr_dims(8, 4096, 10000.0, 0.5, 0.01) == (3.0, 5.0)


def test_rope_yarn_ramps_between_extrapolation_and_interpolation():
    n_dims, fs = 16, 0.5
    low, high = golden.rope_yarn_corr_dims(n_dims, 64, 10000.0, 4.0, 1.0)
    a, pos = leaf("f32", n_dims, 1, 1, name="a"), leaf("i32", 1, name="pos")
    x = randn(a)
    got = run(
        ops.rope_ext(a, pos, None, n_dims, 0, 64, 10000.0, fs, 1.0, 1.0, 4.0, 1.0),
        {a: x, pos: [7]},
    )
    mscale = 1.0 + 0.1 * math.log(1 / fs)
    for i in range(n_dims // 2):
        extrap = 7 * 10000.0 ** (-2 * i / n_dims)
        ramp = 1 - min(1.0, max(0.0, (i - low) / max(0.001, high - low)))
        angle = fs * extrap * (1 - ramp) + extrap * ramp
        want = _rotate(float(x[0, 0, 0, 2 * i]), float(x[0, 0, 0, 2 * i + 1]), angle, mscale)
        np.testing.assert_allclose(got[0, 0, 0, 2 * i : 2 * i + 2], want, rtol=3e-6, atol=1e-6)
