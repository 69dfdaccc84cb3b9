"""Normalizations: NORM, RMS_NORM, L2_NORM, GROUP_NORM (float32 rows, float64 sums).

Like ggml's CPU, means and sums of squares accumulate in ggml_float (float64) and the scale is
applied in float32. Every kernel reads its source fully before writing, so dst may alias it.
"""

from __future__ import annotations

import numpy as np
from ggsched.tensor import Tensor

from .views import F32, unaliased, values

F64 = np.float64


def norm(node: Tensor) -> None:
    """(x - mean) / sqrt(var + eps) per row."""
    eps = node.op_params[0]
    dst = values(node)
    x = values(node.src[0])
    mean = x.sum(axis=-1, keepdims=True, dtype=F64) / x.shape[-1]
    np.subtract(x, mean.astype(F32), out=dst)
    var = np.einsum("...i,...i->...", dst, dst, dtype=F64)[..., None] / x.shape[-1]
    dst *= (1.0 / np.sqrt(var.astype(F32) + F32(eps))).astype(F32)


def rms_norm(node: Tensor) -> None:
    """x / sqrt(mean(x²) + eps) per row."""
    eps = node.op_params[0]
    dst = values(node)
    x = values(node.src[0])
    ms = np.einsum("...i,...i->...", x, x, dtype=F64)[..., None] / x.shape[-1]
    scale = (F32(1) / np.sqrt(ms.astype(F32) + F32(eps))).astype(F32)
    np.multiply(x, scale, out=dst)


def l2_norm(node: Tensor) -> None:
    """x / max(sqrt(Σx²), eps) per row."""
    eps = node.op_params[0]
    dst = values(node)
    x = values(node.src[0])
    ss = np.einsum("...i,...i->...", x, x, dtype=F64)[..., None]
    scale = (F32(1) / np.maximum(np.sqrt(ss).astype(F32), F32(eps))).astype(F32)
    np.multiply(x, scale, out=dst)


def group_norm(node: Tensor) -> None:
    """NORM over groups of ceil(ne2 / n_groups) channels (dim 2), each across ne0·ne1."""
    n_groups, eps = node.op_params[:2]
    dst = values(node)
    x = unaliased(values(node.src[0]), dst)
    ne2 = x.shape[1]
    per = (ne2 + n_groups - 1) // n_groups
    for start in range(0, ne2, per):
        xs, ds = x[:, start : start + per], dst[:, start : start + per]
        n = xs.shape[1] * xs.shape[2] * xs.shape[3]
        mean = (xs.sum(axis=(1, 2, 3), keepdims=True, dtype=F64) / n).astype(F32)
        np.subtract(xs, mean, out=ds)
        var = (np.square(ds, dtype=F64).sum(axis=(1, 2, 3), keepdims=True) / n).astype(F32)
        ds *= (F32(1) / np.sqrt(var + F32(eps))).astype(F32)
