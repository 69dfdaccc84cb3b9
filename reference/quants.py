"""ggml's block quantization, byte for byte (``quantize_row_*_ref`` / ``dequantize_row_*``).

Rows are the last numpy axis. ``quantize`` takes float values shaped (..., ne0) and returns the
raw blocks shaped (..., row_bytes) as uint8; ``dequantize`` does the reverse and returns
float32. The arithmetic is float32 throughout, as in ggml's reference C, so the bytes match.
"""

from __future__ import annotations

import numpy as np

from .errors import QuantizationError
from .types import QK4_0, QK8_0, TYPE_TRAITS, GGMLType


def _blocks(x: np.ndarray, qk: int, t: GGMLType) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.shape[-1] % qk:
        raise QuantizationError(
            f"cannot quantize rows of {x.shape[-1]} values to {t}: not a multiple of {qk}"
        )
    return x.reshape(*x.shape[:-1], x.shape[-1] // qk, qk)


def _roundf(v: np.ndarray) -> np.ndarray:
    """C's roundf: halves round away from zero (numpy's rint rounds them to even).

    NOTE: not trunc(v + 0.5): in float32, 0.49999997 + 0.5 rounds up to 1.0. The fraction
    v - trunc(v) is exact, so comparing it with 0.5 is not.
    """
    t = np.trunc(v)
    return np.where(np.abs(v - t) >= np.float32(0.5), t + np.sign(v), t).astype(np.float32)


def _pack(d: np.ndarray, qs: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    blocks = np.concatenate([d.astype(np.float16)[..., None].view(np.uint8), qs], axis=-1)
    return blocks.reshape(*lead, -1)


def quantize_q8_0(x: np.ndarray) -> np.ndarray:
    b = _blocks(x, QK8_0, GGMLType.Q8_0)
    amax = np.abs(b).max(axis=-1)
    d = amax / np.float32(127)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    q = _roundf(b * inv[..., None]).astype(np.int8).view(np.uint8)
    return _pack(d, q, b.shape[:-2])


def quantize_q4_0(x: np.ndarray) -> np.ndarray:
    b = _blocks(x, QK4_0, GGMLType.Q4_0)
    # the signed value of largest magnitude (the first one on ties) sets the scale
    idx = np.abs(b).argmax(axis=-1)
    vmax = np.take_along_axis(b, idx[..., None], axis=-1)[..., 0]
    d = vmax / np.float32(-8)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    # (int8_t)(x*id + 8.5f) truncates toward zero, then MIN(15, .)
    q = np.minimum(15, np.trunc(b * inv[..., None] + np.float32(8.5))).astype(np.uint8)
    half = QK4_0 // 2
    qs = q[..., :half] | (q[..., half:] << 4)
    return _pack(d, qs, b.shape[:-2])


def _split(raw: np.ndarray, t: GGMLType) -> tuple[np.ndarray, np.ndarray]:
    tr = TYPE_TRAITS[t]
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    if raw.shape[-1] % tr.type_size:
        raise QuantizationError(
            f"a {t} row must be a whole number of {tr.type_size}-byte blocks, got {raw.shape[-1]}"
        )
    blocks = raw.reshape(*raw.shape[:-1], raw.shape[-1] // tr.type_size, tr.type_size)
    d = np.ascontiguousarray(blocks[..., :2]).view(np.float16)[..., 0].astype(np.float32)
    return d, blocks[..., 2:]


def dequantize_q8_0(raw: np.ndarray) -> np.ndarray:
    d, qs = _split(raw, GGMLType.Q8_0)
    x = qs.view(np.int8).astype(np.float32) * d[..., None]
    return x.reshape(*x.shape[:-2], -1)


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    d, qs = _split(raw, GGMLType.Q4_0)
    lo = (qs & 0x0F).astype(np.float32) - 8
    hi = (qs >> 4).astype(np.float32) - 8
    x = np.concatenate([lo, hi], axis=-1) * d[..., None]
    return x.reshape(*x.shape[:-2], -1)


_QUANTIZE = {GGMLType.Q8_0: quantize_q8_0, GGMLType.Q4_0: quantize_q4_0}
_DEQUANTIZE = {GGMLType.Q8_0: dequantize_q8_0, GGMLType.Q4_0: dequantize_q4_0}


def quantize(t: GGMLType, x: np.ndarray) -> np.ndarray:
    """Quantize float rows (last axis) to ``t``'s raw blocks."""
    try:
        return _QUANTIZE[t](x)
    except KeyError:
        raise QuantizationError(f"{t} is not a quantized type") from None


def dequantize(t: GGMLType, raw: np.ndarray) -> np.ndarray:
    """Decode raw block rows (last axis, bytes) of type ``t`` to float32 values."""
    try:
        return _DEQUANTIZE[t](raw)
    except KeyError:
        raise QuantizationError(f"{t} is not a quantized type") from None
