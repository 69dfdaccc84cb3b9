"""Shape ops that move values: REPEAT, CONCAT, PAD.

REPEAT and CONCAT work on any type: quantized tensors move as raw rows of whole blocks (a
repeat along ne[0] repeats a row's blocks), so no value is re-quantized.
"""

from __future__ import annotations

import numpy as np
from ggsched.tensor import Tensor

from .views import rows, tiled, values


def _data(t: Tensor) -> np.ndarray:
    """Plain types: the values; quantized: the raw rows (bytes along the last axis)."""
    return rows(t) if t.traits.is_quantized else values(t)


def repeat(node: Tensor) -> None:
    """a tiled over dst: dst[i] = a[i % a.ne] in every dim."""
    (dst,), src = tiled([_data(node)], _data(node.src[0]))
    np.copyto(dst, src)


def concat(node: Tensor) -> None:
    """a then b along ``dim``."""
    axis = 3 - node.op_params[0]
    np.concatenate([_data(node.src[0]), _data(node.src[1])], axis=axis, out=_data(node))


def pad(node: Tensor) -> None:
    """Zeros around a: lp_d before and rp_d after dim d (op_params lp0, rp0, ..., lp3, rp3)."""
    lp = node.op_params[0::2]
    a = node.src[0]
    dst = values(node)
    dst.fill(0)
    inner = tuple(slice(lp[d], lp[d] + a.ne[d]) for d in range(3, -1, -1))
    np.copyto(dst[inner], values(a))
