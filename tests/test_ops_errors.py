"""Malformed constructions raise the project's errors, naming the op and the operands.

Each case builds something wrong and lists what the message must contain: the op's name and
the offending operand as ``Tensor.describe()`` writes it (name, type, ne).
"""

import numpy as np
import pytest
from ggsched import (
    GGSchedError,
    GraphError,
    OpParamError,
    ShapeError,
    TypeMismatchError,
    ViewError,
    build_graph,
    golden,
    ops,
)


def t(type_, *ne, name):
    return ops.new_tensor(type_, ne, name)


def f32(*ne, name="a"):
    return t("f32", *ne, name=name)


def i32(*ne, name="ids"):
    return t("i32", *ne, name=name)


def _evaluate_without_feed():
    a, b = f32(4, 3), f32(4, 3, name="b")
    golden.evaluate(build_graph(ops.add(a, b)), {a: np.zeros(12)})


def _evaluate_with_short_feed():
    a = f32(4, 3)
    golden.evaluate(build_graph(ops.sqr(a)), {a: np.zeros(11)})


def _evaluate_row_out_of_range():
    a, ids = f32(4, 3), i32(2)
    golden.evaluate(build_graph(ops.get_rows(a, ids)), {a: np.zeros(12), ids: [0, 3]})


def _evaluate_with_text_feed():
    a = f32(4, 3)
    golden.evaluate(build_graph(ops.sqr(a)), {a: ["x"] * 12})


def _evaluate_feeding_a_node():
    a = f32(4, 3)
    out = ops.sqr(a).set_name("out")
    golden.evaluate(build_graph(out), {a: np.zeros(12), out: np.zeros(12)})


A43 = "a (f32, ne=[4, 3, 1, 1])"
CASES = [
    # (id, build, error, substrings the message must contain)
    ("add-shape", lambda: ops.add(f32(4, 3), f32(3, 3, name="b")), ShapeError,
     ["ADD", A43, "b (f32, ne=[3, 3, 1, 1])"]),
    ("mul-type", lambda: ops.mul(f32(4, 3), i32(4, 3, name="b")), TypeMismatchError,
     ["MUL", "b (i32, ne=[4, 3, 1, 1])"]),
    ("add1-not-scalar", lambda: ops.add1(f32(4, 3), f32(2, name="b")), ShapeError,
     ["ADD1", "b (f32, ne=[2, 1, 1, 1])"]),
    ("acc-too-many", lambda: ops.acc(f32(4, 2), f32(4, 3, name="b"), 16, 48, 48, 0), ShapeError,
     ["ACC", "a (f32, ne=[4, 2, 1, 1])", "b (f32, ne=[4, 3, 1, 1])"]),
    ("acc-out-of-bounds", lambda: ops.acc(f32(4, 3), f32(4, name="b"), 16, 16, 16, 40),
     ViewError, ["ACC", "offset 40", A43]),
    ("acc-misaligned", lambda: ops.acc(f32(4, 3), f32(2, name="b"), 16, 16, 16, 2),
     OpParamError, ["ACC", "offset=2", A43]),
    ("mul_mat-k", lambda: ops.mul_mat(f32(4, 3), f32(5, 2, name="b")), ShapeError,
     ["MUL_MAT", A43, "b (f32, ne=[5, 2, 1, 1])"]),
    ("mul_mat-broadcast", lambda: ops.mul_mat(f32(4, 3, 2), f32(4, 3, 3, name="b")), ShapeError,
     ["MUL_MAT", "a (f32, ne=[4, 3, 2, 1])", "b (f32, ne=[4, 3, 3, 1])"]),
    ("mul_mat-transposed-a", lambda: ops.mul_mat(ops.transpose(f32(3, 4)), f32(4, 2, name="b")),
     ShapeError, ["MUL_MAT", "transposed", "ne=[4, 3, 1, 1], nb=[12, 4, 48, 48]"]),
    ("mul_mat-quantized-b", lambda: ops.mul_mat(f32(32, 3), t("q8_0", 32, 2, name="b")),
     TypeMismatchError, ["MUL_MAT", "b (q8_0, ne=[32, 2, 1, 1])"]),
    ("out_prod-shape", lambda: ops.out_prod(f32(4, 3), f32(5, 2, name="b")), ShapeError,
     ["OUT_PROD", A43, "b (f32, ne=[5, 2, 1, 1])"]),
    ("new-q8_0-partial-block", lambda: t("q8_0", 40, 2, name="w"), ShapeError,
     ["q8_0", "w", "ne=[40, 2, 1, 1]", "multiple of 32"]),
    ("reshape-non-contiguous", lambda: ops.reshape_1d(ops.transpose(f32(4, 3)), 12), ViewError,
     ["RESHAPE", "contiguous", "a (transposed) (f32, ne=[3, 4, 1, 1]"]),
    ("reshape-count", lambda: ops.reshape_2d(f32(4, 3), 5, 2), ShapeError,
     ["RESHAPE", "ne=[5, 2, 1, 1]", A43]),
    ("reshape-q8_0-partial-block", lambda: ops.reshape_2d(t("q8_0", 64, 2, name="w"), 16, 8),
     ShapeError, ["RESHAPE", "q8_0 blocks", "w (q8_0, ne=[64, 2, 1, 1])"]),
    ("view-out-of-bounds", lambda: ops.view_1d(f32(4, 3), 8, 24), ViewError,
     ["VIEW", A43, "48 bytes"]),
    ("view-q8_0-partial-block", lambda: ops.view_2d(t("q8_0", 64, 2, name="w"), 16, 2, 68, 0),
     ViewError, ["VIEW", "q8_0 blocks", "w (q8_0, ne=[64, 2, 1, 1])"]),
    ("permute-axes", lambda: ops.permute(f32(4, 3), 0, 0, 1, 2), OpParamError,
     ["PERMUTE", "[0, 0, 1, 2]", A43]),
    ("concat-dim", lambda: ops.concat(f32(4, 3), f32(4, 3, name="b"), 4), OpParamError,
     ["CONCAT", "dim", A43]),
    ("concat-shape", lambda: ops.concat(f32(4, 3), f32(5, 2, name="b"), 0), ShapeError,
     ["CONCAT", "every dim but 0", "b (f32, ne=[5, 2, 1, 1])"]),
    ("concat-type", lambda: ops.concat(f32(4, 3), t("f16", 4, 3, name="b"), 1),
     TypeMismatchError, ["CONCAT", "b (f16, ne=[4, 3, 1, 1])"]),
    ("cpy-count", lambda: ops.cpy(f32(4, 3), f32(5, 2, name="b")), ShapeError,
     ["CPY", A43, "b (f32, ne=[5, 2, 1, 1])"]),
    ("cpy-i32-to-f16", lambda: ops.cpy(i32(4, 3, name="a"), t("f16", 4, 3, name="b")),
     TypeMismatchError, ["CPY", "i32", "b (f16, ne=[4, 3, 1, 1])"]),
    ("get_rows-index-type", lambda: ops.get_rows(f32(4, 3), f32(2, name="ids")),
     TypeMismatchError, ["GET_ROWS", "ids (f32, ne=[2, 1, 1, 1])"]),
    ("get_rows-batch", lambda: ops.get_rows(f32(4, 5, 2), i32(3, 3)), ShapeError,
     ["GET_ROWS", "a (f32, ne=[4, 5, 2, 1])", "ids (i32, ne=[3, 3, 1, 1])"]),
    ("set_rows-index-type",
     lambda: ops.set_rows(f32(4, 6), f32(4, 2, name="b"), f32(2, name="c")),
     TypeMismatchError, ["SET_ROWS", "c (f32, ne=[2, 1, 1, 1])"]),
    ("set_rows-count", lambda: ops.set_rows(f32(4, 6), f32(4, 2, name="b"), i32(3, name="c")),
     ShapeError, ["SET_ROWS", "b (f32, ne=[4, 2, 1, 1])", "c (i32, ne=[3, 1, 1, 1])"]),
    ("soft_max-mask-ne0", lambda: ops.soft_max_ext(f32(4, 3), f32(5, 3, name="mask")),
     ShapeError, ["SOFT_MAX", A43, "mask (f32, ne=[5, 3, 1, 1])"]),
    ("soft_max-mask-rows", lambda: ops.soft_max_ext(f32(4, 3), f32(4, 2, name="mask")),
     ShapeError, ["SOFT_MAX", "mask.ne[1] >= a.ne[1]", "mask (f32, ne=[4, 2, 1, 1])"]),
    ("soft_max-mask-broadcast",
     lambda: ops.soft_max_ext(f32(4, 3, 6), f32(4, 3, 4, name="mask")), ShapeError,
     ["SOFT_MAX", "a (f32, ne=[4, 3, 6, 1])", "mask (f32, ne=[4, 3, 4, 1])"]),
    ("soft_max-mask-type", lambda: ops.soft_max_ext(f32(4, 3), i32(4, 3, name="mask")),
     TypeMismatchError, ["SOFT_MAX", "mask (i32, ne=[4, 3, 1, 1])"]),
    ("soft_max-alibi-without-mask", lambda: ops.soft_max_ext(f32(4, 3), None, 1.0, 8.0),
     OpParamError, ["SOFT_MAX", "max_bias", A43]),
    ("rope-mode", lambda: ops.rope(f32(8, 2, 3), i32(3, name="pos"), 8, 1), OpParamError,
     ["ROPE", "mode", "a (f32, ne=[8, 2, 3, 1])"]),
    ("rope-odd-dims", lambda: ops.rope(f32(8, 2, 3), i32(3, name="pos"), 3), OpParamError,
     ["ROPE", "n_dims", "got 3", "a (f32, ne=[8, 2, 3, 1])"]),
    ("rope-dims-too-many", lambda: ops.rope(f32(8, 2, 3), i32(3, name="pos"), 10),
     OpParamError, ["ROPE", "got 10", "a (f32, ne=[8, 2, 3, 1])"]),
    ("rope-positions", lambda: ops.rope(f32(8, 2, 3), i32(2, name="pos"), 8), ShapeError,
     ["ROPE", "a.ne[2] positions", "pos (i32, ne=[2, 1, 1, 1])"]),
    ("rope-position-type", lambda: ops.rope(f32(8, 2, 3), f32(3, name="pos"), 8),
     TypeMismatchError, ["ROPE", "pos (f32, ne=[3, 1, 1, 1])"]),
    ("rope-freq-factors",
     lambda: ops.rope_ext(f32(8, 2, 3), i32(3, name="pos"), f32(2, name="ff"), 8),
     ShapeError, ["ROPE", "n_dims/2", "ff (f32, ne=[2, 1, 1, 1])"]),
    ("argsort-order", lambda: ops.argsort(f32(4, 3), 2), OpParamError, ["ARGSORT", "2", A43]),
    ("argmax-3d", lambda: ops.argmax(f32(4, 3, 2)), ShapeError,
     ["ARGMAX", "matrix", "a (f32, ne=[4, 3, 2, 1])"]),
    ("count_equal-shape", lambda: ops.count_equal(i32(4, name="a"), i32(5, name="b")),
     ShapeError, ["COUNT_EQUAL", "a (i32, ne=[4, 1, 1, 1])", "b (i32, ne=[5, 1, 1, 1])"]),
    ("glu-odd-fused", lambda: ops.swiglu(f32(5, 2)), ShapeError,
     ["SWIGLU", "even", "a (f32, ne=[5, 2, 1, 1])"]),
    ("glu-split-shape", lambda: ops.geglu_split(f32(4, 3), f32(4, 2, name="b")), ShapeError,
     ["GEGLU", A43, "b (f32, ne=[4, 2, 1, 1])"]),
    ("glu-unknown", lambda: ops.glu(f32(4, 3), None, "softglu"), OpParamError,
     ["GluOp", "softglu", A43, "SWIGLU"]),
    ("unary-strided-rows", lambda: ops.gelu(ops.transpose(f32(3, 4))), ShapeError,
     ["GELU", "rows must be contiguous", "nb=[12, 4, 48, 48]"]),
    ("unary-type", lambda: ops.silu(i32(4, name="a")), TypeMismatchError,
     ["SILU", "a (i32, ne=[4, 1, 1, 1])"]),
    ("scale-strided", lambda: ops.scale(ops.transpose(f32(3, 4)), 2.0), ShapeError,
     ["SCALE", "ggml_is_padded_1d", "nb=[12, 4, 48, 48]"]),
    ("norm-type", lambda: ops.norm(t("f16", 4, 3, name="a")), TypeMismatchError,
     ["NORM", "a (f16, ne=[4, 3, 1, 1])"]),
    ("rms_norm-eps", lambda: ops.rms_norm(f32(4, 3), -1.0), OpParamError,
     ["RMS_NORM", "eps", A43]),
    ("group_norm-groups", lambda: ops.group_norm(f32(4, 3), 0), OpParamError,
     ["GROUP_NORM", "n_groups", A43]),
    ("diag_mask_inf-n_past", lambda: ops.diag_mask_inf(f32(4, 3), -1), OpParamError,
     ["DIAG_MASK_INF", "n_past", A43]),
    ("clamp-range", lambda: ops.clamp(f32(4, 3), 1.0, -1.0), OpParamError, ["CLAMP", A43]),
    ("pad-negative", lambda: ops.pad(f32(4, 3), -1, 0, 0, 0), OpParamError, ["PAD", A43]),
    ("repeat-shape", lambda: ops.repeat(f32(4, 3), f32(6, 3, name="b")), ShapeError,
     ["REPEAT", A43, "b (f32, ne=[6, 3, 1, 1])"]),
    ("unknown-type", lambda: ops.new_tensor("f33", (4,), "a"), TypeMismatchError,
     ["unknown ggml type 'f33'", "q8_0 (8)"]),
    ("not-a-tensor", lambda: ops.add(f32(4, 3), 3.0), TypeMismatchError,
     ["ADD", "b must be a Tensor", "float"]),
    ("new-ne-float", lambda: ops.new_tensor("f32", (4, 2.5), "a"), ShapeError,
     ["ne must be a sequence of integers", "2.5"]),
    ("new-ne-none", lambda: ops.new_tensor("f32", None, "a"), ShapeError, ["ne", "None"]),
    ("reshape-float", lambda: ops.reshape_1d(f32(4, 3), 12.0), ShapeError, ["ne", "12.0"]),
    ("view-float-offset", lambda: ops.view_1d(f32(4, 3), 2, 4.0), ViewError,
     ["VIEW", "offset", "4.0"]),
    ("view-huge", lambda: ops.view_1d(f32(4, 3), 10**12, 0), ViewError, ["VIEW", A43]),
    ("scale-text", lambda: ops.scale(f32(4, 3), "2"), OpParamError, ["SCALE", "s", "'2'"]),
    ("soft_max-scale-none", lambda: ops.soft_max_ext(f32(4, 3), None, None), OpParamError,
     ["SOFT_MAX", "scale", "None"]),
    ("rope-freq_base-text",
     lambda: ops.rope_ext(f32(8, 2, 3), i32(3, name="pos"), None, 8, freq_base="1e4"),
     OpParamError, ["ROPE", "freq_base", "'1e4'"]),
    ("graph-of-non-tensor", lambda: build_graph(f32(4), [f32(4)]), GraphError,
     ["Tensors", "list"]),
    ("evaluate-text-feed", _evaluate_with_text_feed, TypeMismatchError, [A43, "dtype"]),
    ("evaluate-feed-for-node", _evaluate_feeding_a_node, GraphError,
     ["out (f32, ne=[4, 3, 1, 1])", "computes", "SQR"]),
    ("evaluate-non-tensor-key", lambda: golden.evaluate(build_graph(ops.sqr(f32(2))), {"a": 1}),
     GraphError, ["keyed by Tensor", "'a'"]),
    ("evaluate-feeds-none", lambda: golden.evaluate(build_graph(ops.sqr(f32(2))), None),
     GraphError, ["feeds must be a mapping", "NoneType"]),
    ("evaluate-not-a-graph", lambda: golden.evaluate(f32(2), {}), TypeMismatchError,
     ["evaluate", "needs a Graph", "Tensor"]),
    ("evaluate-missing-feed", _evaluate_without_feed, GraphError,
     ["no feed", "b (f32, ne=[4, 3, 1, 1])"]),
    ("evaluate-short-feed", _evaluate_with_short_feed, GraphError,
     ["feed", A43, "11 values", "expected 12"]),
    ("evaluate-row-out-of-range", _evaluate_row_out_of_range, OpParamError,
     ["GET_ROWS", "row index 3", "ids (i32, ne=[2, 1, 1, 1])", "[0, 3)"]),
]


@pytest.mark.parametrize("build, error, needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_construction_raises_a_named_error(build, error, needles):
    with pytest.raises(error) as info:
        build()
    assert isinstance(info.value, GGSchedError)
    message = str(info.value)
    missing = [n for n in needles if n not in message]
    assert not missing, f"message {message!r} lacks {missing}"
