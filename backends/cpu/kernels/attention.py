"""Attention ops: DIAG_MASK_INF, SOFT_MAX (scale, mask, ALiBi) and ROPE (normal, neox, YaRN).

SOFT_MAX follows ggml_compute_forward_soft_max_f32: w = x·scale + slope·mask in float32,
subtract the row max, exp, sum in float64, multiply by 1/sum. ROPE builds ggml's per-position
cos/sin cache (theta multiplied by theta_scale step by step, in float32) for all positions at
once and rotates every row with array arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from ggsched.op import RopeMode
from ggsched.tensor import Tensor

from .views import F32, copy_unless_same, f32_out, finish, read_f32, tiled, unaliased, values


def diag_mask_inf(node: Tensor) -> None:
    """-inf where column i > n_past + row j, in every matrix."""
    n_past = node.op_params[0]
    dst = values(node)
    copy_unless_same(dst, values(node.src[0]))
    ne0, ne1 = node.ne[0], node.ne[1]
    masked = np.arange(ne0)[None, :] > n_past + np.arange(ne1)[:, None]
    np.copyto(dst, F32(-np.inf), where=masked)


def alibi_slopes(n_head: int, max_bias: float) -> np.ndarray:
    """ALiBi slope of each head (ggml: powers of m0 then of m1), float32."""
    n_head_log2 = 1 << int(math.floor(math.log2(n_head)))
    m0 = F32(2.0) ** F32(-max_bias / n_head_log2)
    m1 = F32(2.0) ** F32(-(max_bias / 2.0) / n_head_log2)
    h = np.arange(n_head)
    low = np.power(m0, (h + 1).astype(F32))
    high = np.power(m1, (2 * (h - n_head_log2) + 1).astype(F32))
    return np.where(h < n_head_log2, low, high).astype(F32)


def _add_mask(node: Tensor, dst: np.ndarray, mask: np.ndarray, max_bias: float) -> None:
    mask = mask[:, :, : node.ne[1], :]
    if max_bias > 0:
        slopes = alibi_slopes(node.ne[2], max_bias)[None, :, None, None]
        (d, s), m = tiled([dst, np.broadcast_to(slopes, dst.shape)], mask)
        d += s * m.astype(F32)
    else:
        (d,), m = tiled([dst], mask)
        np.add(d, m, out=d, casting="unsafe")


def soft_max(node: Tensor) -> None:
    scale, max_bias = node.op_params[:2]
    dst = values(node)
    has_mask = len(node.src) > 1 and node.src[1] is not None
    # NOTE: the allocator may give dst the mask's memory (same layout, last reader)
    mask = unaliased(values(node.src[1]), dst) if has_mask else None
    np.multiply(values(node.src[0]), F32(scale), out=dst)
    if mask is not None:
        _add_mask(node, dst, mask, max_bias)
    np.subtract(dst, dst.max(axis=-1, keepdims=True), out=dst)
    np.exp(dst, out=dst)
    total = dst.sum(axis=-1, keepdims=True, dtype=np.float64)
    np.multiply(dst, (1.0 / total).astype(F32), out=dst)


# -- ROPE -------------------------------------------------------------------------------------


def _corr_dims(n_dims, n_ctx_orig, freq_base, beta_fast, beta_slow) -> tuple[float, float]:
    """ggml_rope_yarn_corr_dims: the dims where YaRN ramps from extrapolation to interpolation."""

    def corr_dim(n_rot: float) -> float:
        return n_dims * math.log(n_ctx_orig / (n_rot * 2 * math.pi)) / (2 * math.log(freq_base))

    start = math.floor(corr_dim(beta_fast))
    end = math.ceil(corr_dim(beta_slow))
    return max(0.0, start), min(n_dims - 1.0, end)


def rope_cache(node: Tensor, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin), float32 shaped (len(pos), n_dims / 2): ggml_rope_cache_init per position."""
    _, n_dims, _, _, n_ctx_orig, base, fscale, ext, attn, beta_fast, beta_slow = node.op_params
    half = n_dims // 2
    theta_scale = np.power(F32(base), F32(-2.0) / F32(n_dims))
    steps = np.full((pos.size, half), theta_scale, dtype=F32)
    steps[:, 0] = pos.astype(F32)
    theta_extrap = np.cumprod(steps, axis=1, dtype=F32)  # NOTE: sequential f32, like ggml
    if len(node.src) > 2 and node.src[2] is not None:
        theta_extrap = theta_extrap / read_f32(node.src[2]).reshape(-1)[:half]
    theta = F32(fscale) * theta_extrap
    mscale = F32(attn)
    if ext != 0.0:
        low, high = _corr_dims(n_dims, n_ctx_orig, base, beta_fast, beta_slow)
        y = (np.arange(half, dtype=F32) - F32(low)) / F32(max(0.001, high - low))
        ramp_mix = (F32(1) - np.clip(y, 0, 1)) * F32(ext)
        theta = theta * (F32(1) - ramp_mix) + theta_extrap * ramp_mix
        mscale = F32(mscale * (F32(1) + F32(0.1) * F32(math.log(1.0 / fscale))))
    return (np.cos(theta) * mscale).astype(F32), (np.sin(theta) * mscale).astype(F32)


def rope(node: Tensor) -> None:
    """Rotate pairs of each row's first n_dims values by the position's angles."""
    n_dims, mode = node.op_params[1], node.op_params[2]
    cos, sin = rope_cache(node, values(node.src[1]).reshape(-1))
    cos, sin = cos[None, :, None, :], sin[None, :, None, :]  # positions run along dim 2
    out = f32_out(node)
    x = unaliased(read_f32(node.src[0]), out)
    if mode == RopeMode.NEOX:
        i0, i1 = slice(0, n_dims // 2), slice(n_dims // 2, n_dims)
    else:
        i0, i1 = slice(0, n_dims, 2), slice(1, n_dims, 2)
    x0, x1 = x[..., i0], x[..., i1]
    out[..., i0] = x0 * cos - x1 * sin
    out[..., i1] = x0 * sin + x1 * cos
    out[..., n_dims:] = x[..., n_dims:]
    finish(node, out)
