"""The CPU kernels, one small module per op family, and the one table Op → kernel.

A kernel is ``fn(node)``: it reads node.src through zero-copy views of their host buffers and
writes node's values into node's own memory. View ops and NONE compute nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ggsched.errors import UnsupportedOpError
from ggsched.op import VIEW_OPS, Op
from ggsched.tensor import Tensor

from . import attention, binary, copy, matmul, norm, reduce, rows, shape, unary

Kernel = Callable[[Tensor], None]

KERNELS: dict[Op, Kernel] = {
    Op.DUP: copy.dup,
    Op.ADD: binary.add,
    Op.ADD1: binary.add1,
    Op.ACC: binary.acc,
    Op.SUB: binary.sub,
    Op.MUL: binary.mul,
    Op.DIV: binary.div,
    Op.SQR: unary.sqr,
    Op.SQRT: unary.sqrt,
    Op.LOG: unary.log,
    Op.SIN: unary.sin,
    Op.COS: unary.cos,
    Op.SUM: reduce.sum_all,
    Op.SUM_ROWS: reduce.sum_rows,
    Op.MEAN: reduce.mean,
    Op.ARGMAX: reduce.argmax,
    Op.COUNT_EQUAL: reduce.count_equal,
    Op.REPEAT: shape.repeat,
    Op.CONCAT: shape.concat,
    Op.NORM: norm.norm,
    Op.RMS_NORM: norm.rms_norm,
    Op.GROUP_NORM: norm.group_norm,
    Op.L2_NORM: norm.l2_norm,
    Op.MUL_MAT: matmul.mul_mat,
    Op.OUT_PROD: matmul.out_prod,
    Op.SCALE: unary.scale,
    Op.CPY: copy.cpy,
    Op.CONT: copy.cont,
    Op.GET_ROWS: rows.get_rows,
    Op.SET_ROWS: rows.set_rows,
    Op.DIAG_MASK_INF: attention.diag_mask_inf,
    Op.SOFT_MAX: attention.soft_max,
    Op.ROPE: attention.rope,
    Op.CLAMP: unary.clamp,
    Op.PAD: shape.pad,
    Op.ARGSORT: reduce.argsort,
    Op.LEAKY_RELU: unary.leaky_relu,
    Op.UNARY: unary.unary,
    Op.GLU: unary.glu,
}

NO_COMPUTE = VIEW_OPS | {Op.NONE}


def compute_node(node: Tensor) -> None:
    """Run node's kernel (nothing for views, NONE and empty results)."""
    if node.op in NO_COMPUTE or node.is_empty:
        return
    kernel = KERNELS.get(node.op)
    if kernel is None:
        raise UnsupportedOpError(f"CPU: no kernel for {node.op_desc}; node {node.describe()}")
    with np.errstate(all="ignore"):  # ggml's float semantics: inf/nan are values, not errors
        kernel(node)
