"""Fast dequantization into caller-given float32 memory (the CPU's own; same values as
``ggsched.quants.dequantize``, which the tests check bit for bit).

Blocks are read through a numpy structured dtype (the f16 scale ``d`` then the quants), so
no copy of the raw bytes is made, and each result is written once into ``out``.
"""

from __future__ import annotations

import numpy as np
from ggsched.types import QK4_0, QK8_0, GGMLType

F32 = np.float32
Q8_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "i1", (QK8_0,))])
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK4_0 // 2,))])


def dequantize_q8_0(raw: np.ndarray, out: np.ndarray) -> None:
    """raw (..., row_bytes) uint8 → out (..., ne0) float32: x = q · d."""
    b = raw.view(Q8_0_BLOCK)
    d = b["d"][..., None].astype(F32)
    np.multiply(b["qs"], d, out=out.reshape(*b.shape, QK8_0), dtype=F32)


def dequantize_q4_0(raw: np.ndarray, out: np.ndarray) -> None:
    """x = (nibble − 8) · d; low nibbles are the block's first 16 values, high the last 16."""
    b = raw.view(Q4_0_BLOCK)
    qs = b["qs"]
    d = b["d"][..., None].astype(F32)
    o = out.reshape(*b.shape, 2, QK4_0 // 2)
    nib = np.bitwise_and(qs, 0x0F)
    for half in (0, 1):
        if half:
            np.right_shift(qs, 4, out=nib)
        nib -= 8  # NOTE: wraps in uint8; seen as int8 it is nibble − 8 (−8..7)
        np.multiply(nib.view(np.int8), d, out=o[..., half, :], dtype=F32)


DEQUANTIZE = {GGMLType.Q8_0: dequantize_q8_0, GGMLType.Q4_0: dequantize_q4_0}


def dequantize(type: GGMLType, raw: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Rows of raw blocks (uint8, last axis; rows must be contiguous) as float32."""
    if out is None:
        n = raw.shape[-1] // type.traits.type_size * type.traits.blck_size
        out = np.empty((*raw.shape[:-1], n), dtype=F32)
    if raw.strides[-1] != 1:  # a structured view needs each row's bytes packed
        raw = np.ascontiguousarray(raw)
    DEQUANTIZE[type](raw, out)
    return out
