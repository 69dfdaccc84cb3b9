"""Fast conversion to float32 into caller-given memory: f16 and the block types (the CPU's own;
the same bits as numpy's float16 cast and ``ggsched.quants.dequantize``, which the tests check
bit for bit).

Blocks are read through a numpy structured dtype (the f16 scale ``d`` then the quants), so
no copy of the raw bytes is made. Every step is a separate SIMD pass (an integer → float32
cast, then a float32 multiply): numpy's mixed-type ufunc loops and its float16 cast are scalar
and several times slower.
"""

from __future__ import annotations

import numpy as np
from ggsched.types import QK4_0, QK8_0, GGMLType

F32 = np.float32
Q8_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "i1", (QK8_0,))])
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK4_0 // 2,))])

F16_TO_F32_SCALE = F32(2.0**112)  # 2^(127 − 15): f16's exponent bias to f32's
F16_SIGN_EXP_MANT = np.int32(-0x70002000)  # 0x8FFFE000: f32 sign, then f16 exp+mantissa << 13
F16_MAX_FINITE_AFTER = 65536.0  # |x| ≥ 2^16 after scaling ⇔ f16 exponent 31 (inf or NaN)
F32_EXP_ALL_ONES = np.int32(0x7F800000)


def f16_to_f32(h: np.ndarray, out: np.ndarray) -> None:
    """out = h as float32 (any matching shapes), bit for bit numpy's cast, NaN payloads too.

    The f16 bits, sign-extended to int32 and shifted left 13, hold the sign at bit 31 and the
    exponent+mantissa where f32 keeps them; scaling by 2^112 then rebiases the exponent exactly
    (f16 subnormals land on f32 normals). f16 inf/NaN become ≥ 2^16 and get exponent 255.
    """
    bits = out.view(np.int32)
    np.copyto(bits, h.view(np.int16))
    np.left_shift(bits, 13, out=bits)
    np.bitwise_and(bits, F16_SIGN_EXP_MANT, out=bits)
    np.multiply(out, F16_TO_F32_SCALE, out=out)
    if out.size and max(out.max(), -out.min()) >= F16_MAX_FINITE_AFTER:
        special = np.abs(out) >= F16_MAX_FINITE_AFTER
        bits[special] |= F32_EXP_ALL_ONES


def _scale_blocks(out: np.ndarray, blocks: np.ndarray) -> None:
    """out (..., n_blocks, block) *= each block's f16 scale d, in float32."""
    d = np.empty((*blocks.shape, 1), dtype=F32)
    f16_to_f32(blocks["d"][..., None], d)
    np.multiply(out, d, out=out)


def dequantize_q8_0(raw: np.ndarray, out: np.ndarray) -> None:
    """raw (..., row_bytes) uint8 → out (..., ne0) float32: x = q · d."""
    b = raw.view(Q8_0_BLOCK)
    o = out.reshape(*b.shape, QK8_0)
    np.copyto(o, b["qs"])
    _scale_blocks(o, b)


def dequantize_q4_0(raw: np.ndarray, out: np.ndarray) -> None:
    """x = (nibble − 8) · d; low nibbles are the block's first 16 values, high the last 16."""
    b = raw.view(Q4_0_BLOCK)
    qs = b["qs"]
    o = out.reshape(*b.shape, 2, QK4_0 // 2)
    for half, nib in enumerate((np.bitwise_and(qs, 0x0F), np.right_shift(qs, 4))):
        nib -= 8  # NOTE: wraps in uint8; seen as int8 it is nibble − 8 (−8..7)
        np.copyto(o[..., half, :], nib.view(np.int8))
    _scale_blocks(out.reshape(*b.shape, QK4_0), b)


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
