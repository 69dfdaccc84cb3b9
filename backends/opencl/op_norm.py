"""Reductions (kernels/norm.cl), any layout: NORM, RMS_NORM, L2_NORM, GROUP_NORM, MEAN and
ARGMAX (F32), SUM_ROWS and SUM (F32, F16).

Work-groups have a fixed size (64, or less where the kernel allows less) so that compilers
that specialize on the work-group size build each kernel once: one group per row, per
channel group (GROUP_NORM) or for the whole tensor (SUM).
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import f32, i32, launch_elements, pow2_at_most, tensor_args
from .discovery import import_pyopencl
from .impl import OpImpl

ROW_GROUP = 64


def row_group(rt, kernel) -> int:
    """Work-group size of a row kernel: ROW_GROUP or the largest power of two the kernel allows."""
    return pow2_at_most(min(ROW_GROUP, rt.work_group_limit(kernel)))


def launch_rows(rt, kernel, t_rows: Tensor, *args) -> None:
    """One work-group per row of ``t_rows``, with local scratch as the last argument."""
    cl = import_pyopencl()
    n = row_group(rt, kernel)
    grid = (n, t_rows.ne[1], t_rows.ne[2] * t_rows.ne[3])
    rt.launch(kernel, grid, (n, 1, 1), *args, cl.LocalMemory(4 * n))


NORM_KERNELS = {Op.NORM: "norm", Op.RMS_NORM: "rms_norm", Op.L2_NORM: "l2_norm"}


def run_norm(rt, t: Tensor) -> None:
    name = NORM_KERNELS[t.op]
    k = rt.programs.kernel("norm", name)
    src = t.src[0]
    launch_rows(rt, k, src, f32(t.op_params[0]), *tensor_args(src, rt), *tensor_args(t, rt))


def run_sum_rows(rt, t: Tensor) -> None:
    k = rt.programs.kernel("norm", "sum_rows")
    src = t.src[0]
    scale = 1.0 / src.ne[0] if t.op is Op.MEAN else 1.0
    launch_rows(rt, k, src, f32(scale), *tensor_args(src, rt), *tensor_args(t, rt))


def run_sum(rt, t: Tensor) -> None:
    cl = import_pyopencl()
    k = rt.programs.kernel("norm", "sum_all")
    n = row_group(rt, k)
    rt.launch(k, (n,), (n,), *tensor_args(t.src[0], rt), *tensor_args(t, rt),
              cl.LocalMemory(4 * n))


def run_group_norm(rt, t: Tensor) -> None:
    cl = import_pyopencl()
    k = rt.programs.kernel("norm", "group_norm")
    src = t.src[0]
    n_groups, eps = t.op_params[0], t.op_params[1]
    per_group = -(-src.ne[2] // n_groups)
    n = row_group(rt, k)
    grid = (n, -(-src.ne[2] // per_group), src.ne[3])
    rt.launch(k, grid, (n, 1, 1), i32(per_group), f32(eps), *tensor_args(src, rt),
              *tensor_args(t, rt), cl.LocalMemory(4 * n))


def run_argmax(rt, t: Tensor) -> None:
    k = rt.programs.kernel("norm", "argmax")
    launch_elements(rt, k, t.nelements, *tensor_args(t.src[0], rt), *tensor_args(t, rt))


def _f32(t: Tensor) -> bool:
    return t.type == GGMLType.F32 and t.src[0].type == GGMLType.F32


def _sum_rows_ok(t: Tensor) -> bool:
    return t.src[0].type in (GGMLType.F32, GGMLType.F16) and t.type == t.src[0].type


def _argmax_ok(t: Tensor) -> bool:
    return t.src[0].type == GGMLType.F32 and t.type == GGMLType.I32


IMPLS = {
    **{op: OpImpl(_f32, run_norm) for op in NORM_KERNELS},
    Op.SUM: OpImpl(_sum_rows_ok, run_sum),
    Op.GROUP_NORM: OpImpl(_f32, run_group_norm),
    Op.ARGMAX: OpImpl(_argmax_ok, run_argmax),
    Op.SUM_ROWS: OpImpl(_sum_rows_ok, run_sum_rows),
    Op.MEAN: OpImpl(_f32, run_sum_rows),
}
