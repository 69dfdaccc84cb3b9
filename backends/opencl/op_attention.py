"""SOFT_MAX (F32, mask none/F32/F16, scale, ALiBi max_bias) and DIAG_MASK_INF (F32), from
kernels/softmax.cl; any layout."""

from __future__ import annotations

import math

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import f32, i32, launch_elements, tensor_args
from .impl import OpImpl
from .op_norm import launch_rows

F32, F16 = GGMLType.F32, GGMLType.F16


def alibi_params(max_bias: float, n_head: int) -> tuple[int, float, float]:
    """(n_head_log2, m0, m1) of ggml's ALiBi slopes for ``n_head`` heads."""
    n_head_log2 = 1 << int(math.floor(math.log2(n_head)))
    m0 = 2.0 ** (-max_bias / n_head_log2)
    m1 = 2.0 ** (-(max_bias / 2.0) / n_head_log2)
    return n_head_log2, m0, m1


def run_soft_max(rt, t: Tensor) -> None:
    k = rt.programs.kernel("softmax", "soft_max")
    src = t.src[0]
    mask = t.src[1] if len(t.src) > 1 and t.src[1] is not None else None
    scale, max_bias = t.op_params[0], t.op_params[1]
    n_head_log2, m0, m1 = alibi_params(max_bias, src.ne[2])
    # NOTE: without a mask the kernel still needs valid mask arguments; it never reads them
    mask_args = tensor_args(mask if mask is not None else src, rt)
    launch_rows(rt, k, src, *tensor_args(src, rt), *mask_args, i32(mask is not None),
                *tensor_args(t, rt), f32(scale), f32(max_bias), i32(n_head_log2), f32(m0),
                f32(m1))


def run_diag_mask_inf(rt, t: Tensor) -> None:
    k = rt.programs.kernel("softmax", "diag_mask_inf")
    args = tensor_args(t.src[0], rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, i32(t.op_params[0]), *args)


def _soft_max_ok(t: Tensor) -> bool:
    mask = t.src[1] if len(t.src) > 1 else None
    return t.type == F32 and t.src[0].type == F32 and (mask is None or mask.type in (F32, F16))


def _f32(t: Tensor) -> bool:
    return t.type == F32 and t.src[0].type == F32


IMPLS = {
    Op.SOFT_MAX: OpImpl(_soft_max_ok, run_soft_max),
    Op.DIAG_MASK_INF: OpImpl(_f32, run_diag_mask_inf),
}
