"""Reductions and sorting: SUM, SUM_ROWS, MEAN, ARGMAX, COUNT_EQUAL, ARGSORT.

Sums accumulate in float64 (ggml's ggml_float) and are stored in the destination's type.
"""

from __future__ import annotations

import numpy as np
from ggsched.op import SortOrder
from ggsched.tensor import Tensor

from .views import F32, store, values


def sum_all(node: Tensor) -> None:
    store(node, values(node.src[0]).sum(dtype=np.float64))


def sum_rows(node: Tensor) -> None:
    store(node, values(node.src[0]).sum(axis=-1, keepdims=True, dtype=np.float64))


def mean(node: Tensor) -> None:
    a = node.src[0]
    s = values(a).sum(axis=-1, keepdims=True, dtype=np.float64).astype(F32)
    store(node, s / F32(a.ne[0]))


def argmax(node: Tensor) -> None:
    """Index of each row's maximum (ne = [a.ne1]). NOTE: ggml's loop keeps the LAST of equal
    maxima, so the search runs over the reversed row."""
    x = values(node.src[0])
    idx = x.shape[-1] - 1 - np.argmax(x[..., ::-1], axis=-1)
    store(node, idx.reshape(node.shape))


def count_equal(node: Tensor) -> None:
    a, b = values(node.src[0]), values(node.src[1])
    store(node, np.count_nonzero(a == b))


def argsort(node: Tensor) -> None:
    """Row-wise sort order; equal values keep their index order (a stable sort)."""
    x = values(node.src[0])
    if node.op_params[0] == SortOrder.DESC:
        x = np.negative(x)
    store(node, np.argsort(x, axis=-1, kind="stable"))
