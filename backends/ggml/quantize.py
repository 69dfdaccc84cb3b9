"""Real ggml's conversions: quantize (ggml_quantize_chunk), to_float, and MUL_MAT's vec_dot type.

These are the oracle for ``ggsched.quants``: the bytes must be equal.
"""

from __future__ import annotations

import ctypes

import numpy as np
from ggsched.errors import QuantizationError
from ggsched.types import TYPE_TRAITS, GGMLType

from .cdefs import TO_FLOAT
from .lib import Lib, load


def ggml_quantize(type: GGMLType, values, lib: Lib | None = None) -> bytes:
    """Quantize float rows (last axis) with ggml_quantize_chunk, no importance matrix."""
    lib = lib if lib is not None else load()
    x = np.ascontiguousarray(values, dtype=np.float32)
    n_per_row = x.shape[-1] if x.ndim else 1
    tr = TYPE_TRAITS[type]
    if not tr.is_quantized or n_per_row % tr.blck_size:
        raise QuantizationError(
            f"ggml_quantize: cannot quantize rows of {n_per_row} values to {type}"
        )
    nrows = x.size // n_per_row
    dst = np.zeros(nrows * n_per_row // tr.blck_size * tr.type_size, dtype=np.uint8)
    fptr = x.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    size = lib.fn("ggml_quantize_chunk")(
        lib.enums.type_of(type), fptr, dst.ctypes.data, 0, nrows, n_per_row, None
    )
    if size != dst.size:
        raise QuantizationError(f"ggml_quantize_chunk wrote {size} bytes, expected {dst.size}")
    return dst.tobytes()


def ggml_to_float(type: GGMLType, raw, n: int, lib: Lib | None = None) -> np.ndarray:
    """Decode ``n`` values of ``type`` from packed bytes with ggml's to_float (float32)."""
    lib = lib if lib is not None else load()
    src = np.ascontiguousarray(np.frombuffer(bytes(raw), dtype=np.uint8))
    traits = lib.fn("ggml_get_type_traits")(lib.enums.type_of(type)).contents
    if not traits.to_float:
        dtype = TYPE_TRAITS[type].dtype
        return src.view(dtype)[:n].astype(np.float32)
    out = np.empty(n, dtype=np.float32)
    TO_FLOAT(traits.to_float)(
        src.ctypes.data, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), n
    )
    return out


def vec_dot_type(type: GGMLType, lib: Lib | None = None) -> GGMLType:
    """The type ggml's CPU MUL_MAT converts src1 to when src0 has ``type``."""
    lib = lib if lib is not None else load()
    value = lib.fn("ggml_get_type_traits_cpu")(lib.enums.type_of(type)).contents.vec_dot_type
    return GGMLType(value)
