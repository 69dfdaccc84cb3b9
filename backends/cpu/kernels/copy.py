"""DUP, CONT and CPY: values copied in logical (row-major) order, converted to dst's type.

Source and destination may differ in shape (only the element count must match) and layout.
Same-type copies move raw bytes (a quantized row is copied block for block, never
re-quantized, as ggml's dup_bytes); others convert through float32 and quantize on store.
"""

from __future__ import annotations

import numpy as np
from ggsched.tensor import Tensor

from .views import read_f32, rows, store, values


def _same_type(src: Tensor, dst: Tensor) -> None:
    if dst.traits.is_quantized:
        d = rows(dst)
        np.copyto(d, rows(src).reshape(d.shape))
    else:
        d = values(dst)
        np.copyto(d, values(src).reshape(d.shape))


def copy_values(src: Tensor, dst: Tensor) -> None:
    """dst's elements, in order, become src's elements, in order."""
    if src.type == dst.type:
        _same_type(src, dst)
    elif not (src.traits.is_quantized or dst.traits.is_quantized):
        d = values(dst)
        np.copyto(d, values(src).reshape(d.shape), casting="unsafe")
    else:
        store(dst, read_f32(src).reshape(dst.shape))


def dup(node: Tensor) -> None:
    copy_values(node.src[0], node)


cont = dup


def cpy(node: Tensor) -> None:
    """src[0] → the memory of src[1]; the node is a view of src[1]."""
    copy_values(node.src[0], node)
