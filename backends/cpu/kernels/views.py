"""Tensors as numpy arrays over their CPU buffer's bytes, and the broadcasting helpers.

``values(t)`` is a zero-copy strided view (plain types), so a kernel writes its result straight
into the destination's memory. Quantized tensors are read by dequantizing rows and written by
quantizing them (``ggsched.quants``).
"""

from __future__ import annotations

import numpy as np
from ggsched import layout, quants
from ggsched.backend import tensor_buffer
from ggsched.errors import BufferAccessError
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from numpy.lib.stride_tricks import as_strided

from ..buffer import CPUBuffer
from . import dequant

F32 = np.float32


def host_bytes(t: Tensor) -> np.ndarray:
    """The bytes of the host buffer holding t (view_src's buffer for a view)."""
    buf = tensor_buffer(t)
    arr = buf.host_array()
    if arr is None:
        raise BufferAccessError(
            f"CPU: tensor {t.describe()} sits in buffer {buf.name}, which is not host memory"
        )
    return arr


def values(t: Tensor) -> np.ndarray:
    """t's values as a writable strided view (shape ne reversed) of its buffer."""
    buf = tensor_buffer(t)
    if isinstance(buf, CPUBuffer):
        return buf.view(t)
    return layout.strided(host_bytes(t), t.type, t.ne, t.nb, t.data)


def rows(t: Tensor) -> np.ndarray:
    """t's raw rows, uint8 shaped (ne3, ne2, ne1, row_bytes): how quantized data is reached."""
    return layout.row_bytes_view(host_bytes(t), t.type, t.ne, t.nb, t.data)


def read_f32(t: Tensor) -> np.ndarray:
    """t's values as float32: a view for f32, a converted copy for f16 and quantized types."""
    if t.traits.is_quantized:
        return dequant.dequantize(t.type, rows(t))
    v = values(t)
    if v.dtype == np.float16:
        out = np.empty(v.shape, dtype=F32)
        dequant.f16_to_f32(v, out)
        return out
    return v if v.dtype == F32 else v.astype(F32)


def store(t: Tensor, v: np.ndarray) -> None:
    """Write values (broadcastable to t's shape) into t, rounding/quantizing to t's type."""
    if t.traits.is_quantized:
        rows(t)[...] = quants.quantize(t.type, np.broadcast_to(v, t.shape))
    else:
        np.copyto(values(t), v, casting="unsafe")


def f32_out(t: Tensor) -> np.ndarray:
    """Where to compute t's float32 result: t's own view when t is f32, else a scratch array."""
    if t.type is GGMLType.F32:
        return values(t)
    return np.empty(t.shape, dtype=F32)


def finish(t: Tensor, out: np.ndarray) -> None:
    """Store a result computed by ``f32_out`` (a no-op when out already is t's memory)."""
    if t.type is not GGMLType.F32:
        store(t, out)


def unaliased(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """x, or a copy of it when it shares memory with out (in-place ops, multi-step kernels).

    NOTE: a kernel that writes partial results into out before it has read all of x must
    read x through this, or an in-place node (dst aliasing src0) reads its own output.
    """
    return x.copy() if np.may_share_memory(x, out) else x


def same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """a and b are the very same elements (an in-place node and its source)."""
    return a.ctypes.data == b.ctypes.data and a.strides == b.strides and a.shape == b.shape


def copy_unless_same(dst: np.ndarray, src: np.ndarray) -> None:
    """dst[...] = src, skipped when dst is src's memory (an in-place node)."""
    if not same_memory(dst, src):
        np.copyto(dst, src, casting="unsafe")


def split_axis(a: np.ndarray, axis: int, inner: int) -> np.ndarray:
    """View axis ``axis`` of length n as two axes (n // inner, inner); never copies."""
    n, s = a.shape[axis], a.strides[axis]
    shape = a.shape[:axis] + (n // inner, inner) + a.shape[axis + 1 :]
    strides = a.strides[:axis] + (s * inner, s) + a.strides[axis + 1 :]
    return as_strided(a, shape, strides, writeable=a.flags.writeable)


def tiled(big: list[np.ndarray], small: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """ggml's modulo broadcast (src1 index = i % ne1) as numpy broadcasting.

    Each axis where ``small`` neither matches ``big`` nor is 1 is split into (repeats, n) on
    the big arrays and (1, n) on small; all arrays stay views.
    """
    shape = big[0].shape
    for axis in range(len(shape) - 1, -1, -1):
        n_big, n_small = shape[axis], small.shape[axis]
        if n_small in (n_big, 1):
            continue
        big = [split_axis(b, axis, n_small) for b in big]
        small = split_axis(small, axis, n_small)  # (1, n): broadcasts over the repeats
    return big, small
