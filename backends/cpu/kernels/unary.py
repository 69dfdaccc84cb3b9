"""Element-wise unary ops: SQR, SQRT, LOG, SIN, COS, SCALE, CLAMP, LEAKY_RELU, UNARY and GLU.

Math is float32 (ggml's CPU); an f16 destination receives the float32 result rounded once.
A destination that aliases its source (in-place nodes, CLAMP) is handled by ``unaliased``.
"""

from __future__ import annotations

import numpy as np
from ggsched.op import GluOp
from ggsched.tensor import Tensor

from . import mathfn
from .views import F32, f32_out, finish, read_f32, unaliased


def _apply(node: Tensor, fn, *args) -> None:
    out = f32_out(node)
    fn(unaliased(read_f32(node.src[0]), out), out, *args)
    finish(node, out)


def _ufunc_kernel(ufunc: np.ufunc):
    def kernel(node: Tensor) -> None:
        _apply(node, lambda x, out: ufunc(x, out=out))

    kernel.__name__ = ufunc.__name__
    return kernel


sqr = _ufunc_kernel(np.square)
sqrt = _ufunc_kernel(np.sqrt)
log = _ufunc_kernel(np.log)
sin = _ufunc_kernel(np.sin)
cos = _ufunc_kernel(np.cos)


def _scale(x, out, s: float, b: float) -> None:
    np.multiply(x, F32(s), out=out)
    if b != 0.0:
        out += F32(b)


def scale(node: Tensor) -> None:
    _apply(node, _scale, *node.op_params[:2])


def _clamp(x, out, lo: float, hi: float) -> None:
    np.clip(x, F32(lo), F32(hi), out=out)


def clamp(node: Tensor) -> None:
    _apply(node, _clamp, *node.op_params[:2])


def _leaky_relu(x, out, slope: float) -> None:
    np.multiply(x, F32(slope), out=out)
    np.copyto(out, x, where=x > 0)


def leaky_relu(node: Tensor) -> None:
    _apply(node, _leaky_relu, node.op_params[0])


def unary(node: Tensor) -> None:
    _apply(node, mathfn.UNARY[node.op_params[0]])


GLU_ACT = {GluOp.REGLU: mathfn.relu, GluOp.GEGLU: mathfn.gelu, GluOp.SWIGLU: mathfn.silu}


def glu(node: Tensor) -> None:
    """act(x) * g; fused operand a = [x | g] along ne[0] (halves exchanged when swapped)."""
    op, swapped = node.op_params[:2]
    a = read_f32(node.src[0])
    if len(node.src) > 1 and node.src[1] is not None:
        x, g = a, read_f32(node.src[1])
    else:
        nc = node.ne[0]
        x, g = (a[..., nc:], a[..., :nc]) if swapped else (a[..., :nc], a[..., nc:])
    out = f32_out(node)
    GLU_ACT[op](unaliased(x, out), out)
    np.multiply(out, g, out=out)
    finish(node, out)
