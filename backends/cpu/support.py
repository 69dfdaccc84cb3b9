"""What the CPU kernels compute: supports_op, one predicate per op over types and layouts.

Honest by construction: each predicate accepts exactly the type combinations its kernel is
written for (which are those the op builders produce); anything else, including a node built
by hand with other types, is refused. Quantized tensors must have packed rows (the kernels
reach them a row of blocks at a time); every other layout (views, permutes, transposes,
broadcasts) is computed through numpy strides.
"""

from __future__ import annotations

from collections.abc import Callable

from ggsched.op import VIEW_OPS, Op, RopeMode
from ggsched.tensor import Tensor, can_repeat
from ggsched.types import GGMLType

from .kernels.mathfn import UNARY
from .kernels.unary import GLU_ACT

F32, F16, I32, I64 = GGMLType.F32, GGMLType.F16, GGMLType.I32, GGMLType.I64
FLOAT = frozenset({F32, F16})
QUANT = frozenset({GGMLType.Q8_0, GGMLType.Q4_0})
NUMERIC = FLOAT | QUANT


def _src(node: Tensor, i: int) -> Tensor | None:
    return node.src[i] if i < len(node.src) else None


def _packed(*ts: Tensor | None) -> bool:
    """Every quantized tensor among ts has rows of packed blocks."""
    return all(t is None or not t.traits.is_quantized or t.is_contiguous_rows for t in ts)


def _like_src0(node: Tensor, types: frozenset) -> bool:
    """One source of an allowed type; the result has its type and ne."""
    a = _src(node, 0)
    return a is not None and a.type in types and node.type == a.type and node.ne == a.ne


def _f32_like_src0(node: Tensor) -> bool:
    return _like_src0(node, frozenset({F32}))


def _float_like_src0(node: Tensor) -> bool:
    return _like_src0(node, FLOAT)


def _binary(node: Tensor) -> bool:
    b = _src(node, 1)
    return _float_like_src0(node) and b is not None and b.type in FLOAT and can_repeat(b, node)


def _add1(node: Tensor) -> bool:
    return _binary(node) and node.src[1].is_scalar


def _acc(node: Tensor) -> bool:
    b = _src(node, 1)
    return _f32_like_src0(node) and b is not None and b.type == F32 and len(node.op_params) >= 4


def _copy_types(src: Tensor, dst: Tensor) -> bool:
    # besides float/quantized conversions, ggml converts only between f32 and i32
    pair = {src.type, dst.type}
    return (len(pair) == 1 or pair <= NUMERIC or pair == {F32, I32}) and _packed(src, dst)


def _copied(node: Tensor) -> bool:
    a = _src(node, 0)
    return a is not None and a.nelements == node.nelements and _copy_types(a, node)


def _dup(node: Tensor) -> bool:
    """DUP/CONT keep the type (the kernel could convert, but no builder asks it to)."""
    return _copied(node) and node.type == node.src[0].type


def _cpy(node: Tensor) -> bool:
    return _copied(node) and _src(node, 1) is not None and node.type == node.src[1].type


def _unary(node: Tensor) -> bool:
    return _float_like_src0(node) and node.op_params[0] in UNARY


def _glu(node: Tensor) -> bool:
    a, b = _src(node, 0), _src(node, 1)
    if a is None or a.type not in FLOAT or node.type != a.type:
        return False
    if node.op_params[0] not in GLU_ACT or not a.is_contiguous_rows:
        return False
    if b is None:
        return a.ne == (2 * node.ne[0], *node.ne[1:])
    return b.type == a.type and b.ne == a.ne == node.ne and b.is_contiguous_rows


def _sum(node: Tensor) -> bool:
    a = _src(node, 0)
    return a is not None and a.type in FLOAT and node.type == a.type


def _typed(src_types: tuple, dst_type: GGMLType) -> Callable[[Tensor], bool]:
    """Sources of exactly these types (in order) and a result of ``dst_type``."""

    def pred(node: Tensor) -> bool:
        srcs = node.src[: len(src_types)]
        ok = len(srcs) == len(src_types) and all(
            s is not None and s.type in allowed for s, allowed in zip(srcs, src_types)
        )
        return ok and node.type == dst_type

    return pred


def _same_type_all(node: Tensor) -> bool:
    srcs = node.sources
    return bool(srcs) and all(s.type == node.type for s in srcs) and _packed(node, *srcs)


def _repeat(node: Tensor) -> bool:
    return _same_type_all(node) and can_repeat(node.src[0], node)


def _mul_mat(node: Tensor) -> bool:
    a, b = _src(node, 0), _src(node, 1)
    if a is None or b is None or node.type != F32:
        return False
    return a.type in NUMERIC and b.type in FLOAT and _packed(a)


def _out_prod(node: Tensor) -> bool:
    a, b = _src(node, 0), _src(node, 1)
    if a is None or b is None or node.type != F32:
        return False
    return a.type in NUMERIC and b.type == F32 and _packed(a)


def _get_rows(node: Tensor) -> bool:
    a, b = _src(node, 0), _src(node, 1)
    if a is None or b is None or b.type != I32 or not _packed(a):
        return False
    return a.type in NUMERIC and node.type == F32 or a.type == I32 and node.type == I32


def _set_rows(node: Tensor) -> bool:
    """src = [b (rows), c (indices), a (the destination, of which node is a view)]."""
    b, c, a = _src(node, 0), _src(node, 1), _src(node, 2)
    if b is None or c is None or b.type not in FLOAT or c.type not in (I32, I64):
        return False
    return node.type in NUMERIC and (a is None or a.type == node.type) and _packed(node)


def _soft_max(node: Tensor) -> bool:
    mask = _src(node, 1)
    return _f32_like_src0(node) and (mask is None or mask.type in FLOAT)


def _rope(node: Tensor) -> bool:
    b, c = _src(node, 1), _src(node, 2)
    if not _float_like_src0(node) or b is None or b.type != I32:
        return False
    mode = node.op_params[2] if len(node.op_params) > 2 else None
    return mode in (RopeMode.NORMAL, RopeMode.NEOX) and (c is None or c.type == F32)


SUPPORT: dict[Op, Callable[[Tensor], bool]] = {
    Op.DUP: _dup,
    Op.CONT: _dup,
    Op.CPY: _cpy,
    Op.ADD: _binary,
    Op.SUB: _binary,
    Op.MUL: _binary,
    Op.DIV: _binary,
    Op.ADD1: _add1,
    Op.ACC: _acc,
    Op.SQR: _float_like_src0,
    Op.SQRT: _float_like_src0,
    Op.LOG: _float_like_src0,
    Op.SIN: _float_like_src0,
    Op.COS: _float_like_src0,
    Op.CLAMP: _float_like_src0,
    Op.LEAKY_RELU: _float_like_src0,
    Op.SCALE: _f32_like_src0,
    Op.UNARY: _unary,
    Op.GLU: _glu,
    Op.SUM: _sum,
    Op.SUM_ROWS: _sum,
    Op.MEAN: _typed(({F32},), F32),
    Op.ARGMAX: _typed(({F32},), I32),
    Op.COUNT_EQUAL: _typed(({I32}, {I32}), I64),
    Op.ARGSORT: _typed(({F32},), I32),
    Op.REPEAT: _repeat,
    Op.CONCAT: _same_type_all,
    Op.PAD: _typed(({F32},), F32),
    Op.NORM: _f32_like_src0,
    Op.RMS_NORM: _f32_like_src0,
    Op.L2_NORM: _f32_like_src0,
    Op.GROUP_NORM: _f32_like_src0,
    Op.MUL_MAT: _mul_mat,
    Op.OUT_PROD: _out_prod,
    Op.GET_ROWS: _get_rows,
    Op.SET_ROWS: _set_rows,
    Op.DIAG_MASK_INF: _f32_like_src0,
    Op.SOFT_MAX: _soft_max,
    Op.ROPE: _rope,
}


def supports_op(node: Tensor) -> bool:
    """Can the CPU kernels compute ``node`` (its op, types and layouts)?"""
    if node.op is Op.NONE or node.op in VIEW_OPS:
        return True
    pred = SUPPORT.get(node.op)
    try:
        return pred is not None and pred(node)
    except (IndexError, TypeError, AttributeError):  # a hand-built node with odd op_params
        return False
