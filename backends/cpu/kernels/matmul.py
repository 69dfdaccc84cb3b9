"""MUL_MAT and OUT_PROD on BLAS (np.matmul), broadcasting src0 over dims 2 and 3.

src0 is used as float32: an f32 src0 as is (a view), an f16 or quantized one converted or
dequantized on the fly. ggml repeats src0 in blocks over dims 2/3 (b index i2 uses a index
i2 // (b.ne2 / a.ne2)), which is a split of b's axis into (a.ne2, r2) and a size-1 axis on a.
"""

from __future__ import annotations

import numpy as np
from ggsched.tensor import Tensor

from .views import F32, read_f32, split_axis, values


def _blasable(m: np.ndarray) -> np.ndarray:
    """m, or a contiguous copy when neither of its matrix axes is unit-stride (numpy would
    fall back to its slow non-BLAS loop)."""
    item = m.itemsize
    if m.strides[-1] == item or m.strides[-2] == item:
        return m
    return np.ascontiguousarray(m)


def _batched(a: np.ndarray, b: np.ndarray, dst: np.ndarray) -> tuple:
    """Views (a6, b6, d6) with dims 2, 3 of b and dst split into (a's dim, repeats)."""
    r3, r2 = b.shape[0] // a.shape[0], b.shape[1] // a.shape[1]
    b6 = split_axis(split_axis(b, 1, r2), 0, r3)
    d6 = split_axis(split_axis(dst, 1, r2), 0, r3)
    a6 = a[:, None, :, None]
    return a6, b6, d6


def _gemm(b: np.ndarray, at: np.ndarray, dst: np.ndarray) -> None:
    """dst = b @ at, as one 2-D gemm when there is a single a matrix and b, dst flatten."""
    if at.shape[0] == 1 and at.shape[1] == 1:
        try:
            b2 = b.reshape(-1, b.shape[-1], copy=False)
            d2 = dst.reshape(-1, dst.shape[-1], copy=False)
        except ValueError:  # leading dims not mergeable without a copy
            pass
        else:
            np.matmul(b2, at[0, 0], out=d2)
            return
    np.matmul(b, at, out=dst)


def mul_mat(node: Tensor) -> None:
    """dst[i3, i2, j, i] = Σ_k a[i3', i2', i, k] · b[i3, i2, j, k]  (dst = b·aᵀ)."""
    a = _blasable(read_f32(node.src[0]))
    b = _blasable(read_f32(node.src[1]))
    dst = values(node)
    a6, b6, d6 = _batched(a, b, dst)
    at = np.swapaxes(a6, -1, -2)
    if a.shape[:2] == (1, 1):
        _gemm(b, at[:, 0, :, 0], dst)
    else:
        np.matmul(b6, at, out=d6)


def out_prod(node: Tensor) -> None:
    """dst[i3, i2, j, i] = Σ_k a[i3', i2', k, i] · b[i3, i2, k, j]  (dst = bᵀ·a)."""
    a = _blasable(read_f32(node.src[0]))
    b = _blasable(values(node.src[1]).astype(F32, copy=False))
    dst = values(node)
    a6, b6, d6 = _batched(a, np.swapaxes(b, -1, -2), dst)
    np.matmul(b6, a6, out=d6)
