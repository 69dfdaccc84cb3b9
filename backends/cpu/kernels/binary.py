"""Element-wise binary ops (ADD, SUB, MUL, DIV, ADD1) and ACC, with ggml's broadcasting.

src1 repeats onto src0 (index i % ne1, per dim); the result has src0's type. f16 operands are
computed in float32 and rounded once into the destination, as ggml's CPU does.
"""

from __future__ import annotations

import numpy as np
from ggsched import layout
from ggsched.tensor import Tensor

from .views import copy_unless_same, host_bytes, tiled, values


def _binary(ufunc: np.ufunc):
    def kernel(node: Tensor) -> None:
        a, b = node.src[0], node.src[1]
        (dst, x), y = tiled([values(node), values(a)], values(b))
        # NOTE: mixed f16/f32 promote to f32; f16 op f16 computes in f32 inside numpy's loop
        ufunc(x, y, out=dst, casting="unsafe")

    kernel.__name__ = f"binary_{ufunc.__name__}"
    return kernel


add = _binary(np.add)
sub = _binary(np.subtract)
mul = _binary(np.multiply)
div = _binary(np.divide)
add1 = _binary(np.add)  # b is a scalar: plain broadcasting


def acc(node: Tensor) -> None:
    """dst = a, then dst's view (nb1, nb2, nb3, offset) += b (ggml_acc)."""
    a, b = node.src[0], node.src[1]
    nb1, nb2, nb3, offset = node.op_params[:4]
    dst = values(node)
    copy_unless_same(dst, values(a))
    view = layout.strided(host_bytes(node), node.type, b.ne, (4, nb1, nb2, nb3), node.data + offset)
    np.add(view, values(b), out=view)
