"""Bytes + (type, ne, nb, offset) <-> numpy arrays.

A tensor's values are a numpy view of the bytes of its buffer: shape ne reversed, strides nb
reversed. Plain types give a writable zero-copy view; block-quantized types are read and
written a row at a time through ``ggsched.quants``. Both the golden and the CPU backend use
these helpers, so a layout means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import quants
from .errors import BufferAccessError
from .tensor import Tensor
from .types import TYPE_TRAITS, GGMLType


def _span(type: GGMLType, ne: Sequence[int], nb: Sequence[int]) -> int:
    return Tensor(type, ne, nb).nbytes


def _check(buf: np.ndarray, type, ne, nb, offset: int) -> None:
    span = _span(type, ne, nb)
    if offset < 0 or offset + span > buf.size:
        raise BufferAccessError(
            f"{type} tensor ne={list(ne)} nb={list(nb)} at byte {offset} spans {span} bytes, "
            f"outside its {buf.size}-byte buffer"
        )


def strided(buf: np.ndarray, type: GGMLType, ne, nb, offset: int = 0) -> np.ndarray:
    """A writable view of a plain-typed tensor's values in ``buf`` (1-D uint8)."""
    tr = TYPE_TRAITS[type]
    if tr.is_quantized:
        raise BufferAccessError(f"{type} has no element view; use read_values/write_values")
    _check(buf, type, ne, nb, offset)
    if any(n == 0 for n in ne):
        return np.zeros(tuple(ne)[::-1], dtype=tr.dtype)
    return np.ndarray(
        shape=tuple(ne)[::-1],
        dtype=tr.dtype,
        buffer=buf.data,
        offset=offset,
        strides=tuple(nb)[::-1],
    )


def row_bytes_view(buf: np.ndarray, type: GGMLType, ne, nb, offset: int = 0) -> np.ndarray:
    """The raw rows of a tensor: uint8 shaped (ne3, ne2, ne1, row_bytes); rows must be packed."""
    tr = TYPE_TRAITS[type]
    if ne[0] != tr.blck_size and nb[0] != tr.type_size:
        raise BufferAccessError(f"{type} rows with nb[0]={nb[0]} are not packed blocks")
    _check(buf, type, ne, nb, offset)
    row = tr.type_size * ne[0] // tr.blck_size
    shape = (ne[3], ne[2], ne[1], row)
    return np.ndarray(
        shape=shape,
        dtype=np.uint8,
        buffer=buf.data,
        offset=offset,
        strides=(nb[3], nb[2], nb[1], 1),
    )


def read_values(buf: np.ndarray, type: GGMLType, ne, nb, offset: int = 0) -> np.ndarray:
    """A copy of the tensor's values, shape ne reversed (float32 for quantized types)."""
    if TYPE_TRAITS[type].is_quantized:
        return quants.dequantize(type, row_bytes_view(buf, type, ne, nb, offset))
    return strided(buf, type, ne, nb, offset).copy()


def write_values(buf: np.ndarray, type: GGMLType, ne, nb, offset: int, values) -> None:
    """Store values (anything that broadcasts to ne reversed) in the tensor's layout."""
    shape = tuple(ne)[::-1]
    values = np.broadcast_to(np.asarray(values), shape)
    if TYPE_TRAITS[type].is_quantized:
        row_bytes_view(buf, type, ne, nb, offset)[...] = quants.quantize(type, values)
    else:
        dst = strided(buf, type, ne, nb, offset)
        dst[...] = values.astype(dst.dtype, copy=False)


def write_rows(buf: np.ndarray, type: GGMLType, ne, nb, offset: int, values, rows) -> None:
    """Store only the rows selected by ``rows`` (bool, shape (ne3, ne2, ne1)); others keep
    their bytes, so a quantized tensor's untouched blocks are not requantized."""
    shape = tuple(ne)[::-1]
    values = np.broadcast_to(np.asarray(values), shape)[rows]
    if TYPE_TRAITS[type].is_quantized:
        row_bytes_view(buf, type, ne, nb, offset)[rows] = quants.quantize(type, values)
    else:
        dst = strided(buf, type, ne, nb, offset)
        dst[rows] = values.astype(dst.dtype, copy=False)


def _rows_or_elements(buf: np.ndarray, type: GGMLType, ne, nb, offset: int) -> np.ndarray:
    if TYPE_TRAITS[type].is_quantized:
        return row_bytes_view(buf, type, ne, nb, offset)
    return strided(buf, type, ne, nb, offset)


def packed_bytes(buf: np.ndarray, type: GGMLType, ne, nb, offset: int = 0) -> np.ndarray:
    """A copy of the tensor's bytes packed contiguously (1-D uint8, ggml's row order)."""
    view = _rows_or_elements(buf, type, ne, nb, offset)
    return np.ascontiguousarray(view).reshape(-1).view(np.uint8).copy()


def write_packed_bytes(buf: np.ndarray, type: GGMLType, ne, nb, offset: int, raw) -> None:
    """Store contiguous bytes (as ``packed_bytes`` returns them) into the tensor's layout."""
    view = _rows_or_elements(buf, type, ne, nb, offset)
    raw = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1)
    if raw.size != view.size * view.itemsize:
        raise BufferAccessError(
            f"{type} tensor ne={list(ne)} holds {view.size * view.itemsize} bytes, "
            f"got {raw.size}"
        )
    view[...] = raw.view(view.dtype).reshape(view.shape)


def tensor_values(buf: np.ndarray, t: Tensor) -> np.ndarray:
    """read_values for tensor t whose bytes start at ``t.data`` in ``buf``."""
    return read_values(buf, t.type, t.ne, t.nb, t.data or 0)


def from_numpy_bytes(type: GGMLType, values) -> np.ndarray:
    """The contiguous bytes of a tensor of ``type`` holding ``values`` (rows = last axis)."""
    tr = TYPE_TRAITS[type]
    if tr.is_quantized:
        return quants.quantize(type, values).reshape(-1)
    return np.ascontiguousarray(values, dtype=tr.dtype).reshape(-1).view(np.uint8)
