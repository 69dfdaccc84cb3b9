"""MUL_MAT and OUT_PROD on BLAS (np.matmul), broadcasting src0 over dims 2 and 3.

src0 is used as float32: an f32 src0 as is (a view), an f16 or quantized one converted or
dequantized on the fly, or taken from the weight cache when it sits in a WEIGHTS buffer
(``weight_cache``; the same conversion and the same BLAS calls, so the same bits).

ggml repeats src0 in blocks over dims 2/3 (b index i2 uses a index i2 // (b.ne2 / a.ne2)),
which is a split of b's axis into (a.ne2, r2) and a size-1 axis on a.
"""

from __future__ import annotations

import threading

import numpy as np
from ggsched.backend import tensor_buffer
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from ..weight_cache import WEIGHT_CACHE
from . import dequant
from .views import F32, read_f32, rows, split_axis, values


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


def cached_f32(t: Tensor) -> np.ndarray | None:
    """t's float32 values from the weight cache, or None when t is not cached there."""
    if t.type is GGMLType.F32:
        return None
    return WEIGHT_CACHE.get(tensor_buffer(t), t, read_f32)


def mul_mat(node: Tensor) -> None:
    """dst[i3, i2, j, i] = Σ_k a[i3', i2', i, k] · b[i3, i2, j, k]  (dst = b·aᵀ)."""
    cached = cached_f32(node.src[0])
    if node.src[0].type is not GGMLType.F32 and node.src[0].ne[2:] == (1, 1):
        if _mul_mat_by_chunks(node, cached):
            return
    a = _blasable(cached if cached is not None else read_f32(node.src[0]))
    b = _blasable(read_f32(node.src[1]))
    dst = values(node)
    if a.shape[:2] == (1, 1):
        _gemm(b, np.swapaxes(a, -1, -2), dst)
        return
    a6, b6, d6 = _batched(a, b, dst)
    np.matmul(b6, np.swapaxes(a6, -1, -2), out=d6)


# -- an f16 or quantized matrix, converted a few rows at a time ------------------------------

# float32 converted per step. Decode (few src1 rows) is bound by the conversion: a chunk that
# stays in L2 between conversion and BLAS. Prefill is bound by BLAS, which wants tall chunks.
# NOTE: a cached weight goes through the same chunks, one BLAS call each (see
# _mul_mat_by_chunks): 1 MiB (not 256 KiB) costs the conversion nothing measurable and cuts the
# calls per decode 4x (GPT-2-small: ~1900 to ~500), whose overhead the cached path pays alone.
# Chunks of 2 MiB and up would let a threaded BLAS split each call, but slow the conversion.
CHUNK_BYTES = 1 << 20
PREFILL_CHUNK_BYTES = 8 << 20
PREFILL_MIN_N = 32  # src1 rows from which a MUL_MAT counts as prefill
MIN_CHUNK_ROWS = 16
_scratch = threading.local()


def scratch_f32(n: int) -> np.ndarray:
    """n float32 of per-thread scratch memory (grown, never shrunk; kept between calls)."""
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.size < n:
        buf = _scratch.buf = np.empty(n, dtype=F32)
    return buf[:n]


def chunk_rows(k: int, n: int) -> int:
    """Rows of src0 per conversion step and BLAS call, for rows of k values and n src1 rows."""
    size = PREFILL_CHUNK_BYTES if n >= PREFILL_MIN_N else CHUNK_BYTES
    return max(MIN_CHUNK_ROWS, size // (4 * k))


def _converter(a: Tensor, cached: np.ndarray | None):
    """fn(r0, r1) -> rows r0..r1 of 2-D a as float32 (in scratch memory, or the cache's)."""
    if cached is not None:
        return lambda r0, r1: cached[0, 0, r0:r1]
    convert = _chunk_converter(a)

    def chunk(r0: int, r1: int) -> np.ndarray:
        out = scratch_f32((r1 - r0) * a.ne[0]).reshape(r1 - r0, a.ne[0])
        convert(r0, r1, out)
        return out

    return chunk


def _chunk_converter(a: Tensor):
    """fn(r0, r1, out): rows r0..r1 of 2-D a, as float32, into out."""
    if a.traits.is_quantized:
        raw = rows(a)[0, 0]
        fn = dequant.DEQUANTIZE[a.type]
        if raw.strides[-1] != 1:
            raw = np.ascontiguousarray(raw)
        return lambda r0, r1, out: fn(raw[r0:r1], out)
    src = values(a)[0, 0]
    return lambda r0, r1, out: dequant.f16_to_f32(src[r0:r1], out)


def _mul_mat_by_chunks(node: Tensor, cached: np.ndarray | None) -> bool:
    """dst = b·aᵀ converting a (2-D, f16 or quantized) chunk by chunk of rows, so the float32
    copy of a is never whole in memory. False when b or dst cannot be seen as 2-D.

    NOTE: a cached a goes through the very same chunks: BLAS may round a row differently
    depending on the call's shape (gemv tails, thread split), and cached must equal uncached.
    """
    a = node.src[0]
    k, m = a.ne[0], a.ne[1]
    try:
        b2 = read_f32(node.src[1]).reshape(-1, k)
        d2 = values(node).reshape(-1, m, copy=False)
    except ValueError:
        return False
    b2 = _blasable(b2)
    chunk = _converter(a, cached)
    step = chunk_rows(k, b2.shape[0])
    for r0 in range(0, m, step):
        r1 = min(m, r0 + step)
        np.matmul(b2, chunk(r0, r1).T, out=d2[:, r0:r1])
    return True


def out_prod(node: Tensor) -> None:
    """dst[i3, i2, j, i] = Σ_k a[i3', i2', k, i] · b[i3, i2, k, j]  (dst = bᵀ·a)."""
    a = _blasable(read_f32(node.src[0]))
    b = _blasable(values(node.src[1]).astype(F32, copy=False))
    dst = values(node)
    a6, b6, d6 = _batched(a, np.swapaxes(b, -1, -2), dst)
    np.matmul(b6, a6, out=d6)
