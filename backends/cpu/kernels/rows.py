"""GET_ROWS and SET_ROWS: gather and scatter whole rows by index (numpy fancy indexing).

Quantized rows are gathered as raw blocks and dequantized (GET_ROWS), or quantized from the
float32 source rows and scattered as blocks (SET_ROWS).
"""

from __future__ import annotations

import numpy as np
from ggsched import quants
from ggsched.errors import BufferAccessError
from ggsched.tensor import Tensor

from . import dequant
from .views import F32, rows, store, values


def _checked(node: Tensor, idx: np.ndarray, n_rows: int) -> np.ndarray:
    if idx.size and (idx.min() < 0 or idx.max() >= n_rows):
        raise BufferAccessError(
            f"{node.op}: row index {int(idx.min())}..{int(idx.max())} outside [0, {n_rows}) "
            f"of {node.src[0].describe()} for {node.describe()}"
        )
    return idx


def _planes(n3: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(n3)[:, None, None], np.arange(n2)[None, :, None]


def get_rows(node: Tensor) -> None:
    """dst[i3, i2, i, :] = a[i3, i2, b[i3, i2, i], :] (b's dims 1, 2 are a's dims 2, 3)."""
    a, b = node.src[0], node.src[1]
    idx = _checked(node, values(b)[0], a.ne[1])
    if a.traits.is_quantized:
        i3, i2 = _planes(a.ne[3], a.ne[2])
        store(node, dequant.dequantize(a.type, rows(a)[i3, i2, idx]))
        return
    src, dst = values(a), values(node)
    if a.ne[2] == a.ne[3] == 1 and src.dtype == dst.dtype:
        # indices are checked: mode="clip" lets take write into dst without buffering
        np.take(src[0, 0], idx[0, 0], axis=0, out=dst[0, 0], mode="clip")
        return
    i3, i2 = _planes(a.ne[3], a.ne[2])
    np.copyto(dst, src[i3, i2, idx], casting="unsafe")


def set_rows(node: Tensor) -> None:
    """dst[i3, i2, c[i3 % c2, i2 % c1, i], :] = b[i3, i2, i, :]; dst is a view of a."""
    b, c = node.src[0], node.src[1]
    ne3, ne2 = b.ne[3], b.ne[2]
    idx = values(c)[0]
    idx = np.tile(idx, (ne3 // idx.shape[0], ne2 // idx.shape[1], 1))
    _checked(node, idx, node.ne[1])
    i3, i2 = _planes(ne3, ne2)
    src = values(b)
    if node.traits.is_quantized:
        rows(node)[i3, i2, idx] = quants.quantize(node.type, src.astype(F32, copy=False))
    else:
        values(node)[i3, i2, idx] = src
