"""ROPE (kernels/rope.cl): modes NORMAL and NEOX, F32 and F16, optional freq factors, ggml's
YaRN parameters; any layout. Positions are I32."""

from __future__ import annotations

import math

import numpy as np

from ggsched.op import Op, RopeMode
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import f32, i32, tensor_args
from .impl import OpImpl

F32, F16, I32 = GGMLType.F32, GGMLType.F16, GGMLType.I32


def yarn_corr_dims(n_dims, n_ctx_orig, freq_base, beta_fast, beta_slow) -> tuple[float, float]:
    """ggml_rope_yarn_corr_dims: the dims where YaRN's ramp starts and ends. Degenerate inputs
    (n_ctx_orig or a beta of 0) give ±inf as ggml's float math does."""

    def corr_dim(n_rot: float) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.float64(n_ctx_orig) / (np.float64(n_rot) * 2 * math.pi)
            return float(n_dims * np.log(ratio) / (2 * math.log(freq_base)))

    start = max(0.0, _rounded(corr_dim(beta_fast), math.floor))
    end = min(float(n_dims - 1), _rounded(corr_dim(beta_slow), math.ceil))
    return float(start), float(end)


def _rounded(x: float, fn) -> float:
    return float(fn(x)) if math.isfinite(x) else x


def run_rope(rt, t: Tensor) -> None:
    k = rt.programs.kernel("rope", "rope")
    src, pos = t.src[0], t.src[1]
    ff = t.src[2] if len(t.src) > 2 and t.src[2] is not None else None
    _, n_dims, mode, _, n_ctx_orig, base, fscale, ext, attn, beta_fast, beta_slow = t.op_params
    corr0, corr1 = yarn_corr_dims(n_dims, n_ctx_orig, base, beta_fast, beta_slow)
    grid = (t.ne[0] // 2, t.ne[1], t.ne[2] * t.ne[3])
    rt.launch(k, grid, None, *tensor_args(src, rt), *tensor_args(pos, rt),
              *tensor_args(ff if ff is not None else pos, rt), i32(ff is not None),
              *tensor_args(t, rt), i32(n_dims), i32(mode == RopeMode.NEOX), f32(base),
              f32(fscale), f32(ext), f32(attn), f32(corr0), f32(corr1))


def _rope_ok(t: Tensor) -> bool:
    src, pos = t.src[0], t.src[1]
    ff = t.src[2] if len(t.src) > 2 else None
    return (
        src.type in (F32, F16)
        and t.type == src.type
        and pos.type == I32
        and (ff is None or ff.type == F32)
        and t.ne[0] % 2 == 0
        and t.op_params[2] in (RopeMode.NORMAL, RopeMode.NEOX)
    )


IMPLS = {Op.ROPE: OpImpl(_rope_ok, run_rope)}
