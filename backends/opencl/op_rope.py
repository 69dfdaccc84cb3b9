"""ROPE (kernels/rope.cl): modes NORMAL and NEOX, F32 and F16, optional freq factors, ggml's
YaRN parameters; any layout. Positions are I32. A work-item of rope_rows walks the pairs of up
to HEADS rows of one position: one multiplication per pair for the angle recurrence, and one
cos/sin for all those rows."""

from __future__ import annotations

import math

import numpy as np
from ggsched.op import Op, RopeMode
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import f32, i32, int4, pow2_at_most
from .fast import FLOAT_TOKENS, ROW_GROUP, operand_args, pow2_at_least, type_options
from .impl import OpImpl

F32, F16, I32 = GGMLType.F32, GGMLType.F16, GGMLType.I32
HEADS = 8  # rows (of one position) per work-item of rope_rows (rope.cl)


def yarn_corr_dims(n_dims, n_ctx_orig, freq_base, beta_fast, beta_slow) -> tuple[float, float]:
    """ggml_rope_yarn_corr_dims in float32, as ggml computes it (degenerate inputs give ±inf
    or nan exactly as there)."""
    f = np.float32

    def corr_dim(n_rot: float) -> np.float32:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = f(n_ctx_orig) / (f(n_rot) * f(2) * f(math.pi))
            return f(n_dims) * np.log(ratio) / (f(2) * np.log(f(freq_base)))

    start, end = np.floor(corr_dim(beta_fast)), np.ceil(corr_dim(beta_slow))
    return float(_c_max(start, 0.0)), float(_c_min(end, n_dims - 1.0))


def _c_max(a, b):  # C's MAX(a, b): a > b ? a : b (so nan picks b)
    return a if a > b else b


def _c_min(a, b):
    return a if a < b else b


def theta_scale(freq_base: float, n_dims: int) -> np.float32:
    """powf(freq_base, -2.0f / n_dims), in float32 like ggml."""
    return np.float32(freq_base) ** np.float32(-2.0 / n_dims)


def run_rope(rt, t: Tensor) -> None:
    src, pos = t.src[0], t.src[1]
    ff = t.src[2] if len(t.src) > 2 and t.src[2] is not None else None
    _, n_dims, mode, _, n_ctx_orig, base, fscale, ext, attn, beta_fast, beta_slow = t.op_params
    corr0, corr1 = yarn_corr_dims(n_dims, n_ctx_orig, base, beta_fast, beta_slow)
    opts = type_options(TA=FLOAT_TOKENS[src.type], TD=FLOAT_TOKENS[t.type])
    k = rt.programs.kernel("rope", "rope_rows", opts)
    ne, chunks = t.ne, -(-t.ne[1] // HEADS)
    group = min(ROW_GROUP, pow2_at_most(rt.work_group_limit(k)), pow2_at_least(chunks))
    factors = ff if ff is not None else pos  # NOTE: never read without ff, but must be valid
    rt.launch(k, (-(-chunks // group) * group, ne[2], ne[3]), (group, 1, 1),
              *operand_args(rt, src, src.nb), *operand_args(rt, pos, pos.nb),
              *operand_args(rt, factors, factors.nb), i32(ff is not None),
              *operand_args(rt, t, t.nb), int4(ne), i32(n_dims),
              i32(mode == RopeMode.NEOX), f32(theta_scale(base, n_dims)),
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
