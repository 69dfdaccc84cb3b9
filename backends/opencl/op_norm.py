"""Row reductions (kernels/norm.cl): NORM, RMS_NORM, MEAN (F32), SUM_ROWS (F32, F16); any layout.

One work-group per row, of a fixed size (64, or less where the kernel allows less) so each
kernel is specialized once by compilers that specialize on the work-group size.
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import f32, pow2_at_most, tensor_args
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


def run_norm(rt, t: Tensor) -> None:
    name = "norm" if t.op is Op.NORM else "rms_norm"
    k = rt.programs.kernel("norm", name)
    src = t.src[0]
    launch_rows(rt, k, src, f32(t.op_params[0]), *tensor_args(src, rt), *tensor_args(t, rt))


def run_sum_rows(rt, t: Tensor) -> None:
    k = rt.programs.kernel("norm", "sum_rows")
    src = t.src[0]
    scale = 1.0 / src.ne[0] if t.op is Op.MEAN else 1.0
    launch_rows(rt, k, src, f32(scale), *tensor_args(src, rt), *tensor_args(t, rt))


def _f32(t: Tensor) -> bool:
    return t.type == GGMLType.F32 and t.src[0].type == GGMLType.F32


def _sum_rows_ok(t: Tensor) -> bool:
    return t.src[0].type in (GGMLType.F32, GGMLType.F16) and t.type == t.src[0].type


IMPLS = {
    Op.NORM: OpImpl(_f32, run_norm),
    Op.RMS_NORM: OpImpl(_f32, run_norm),
    Op.SUM_ROWS: OpImpl(_sum_rows_ok, run_sum_rows),
    Op.MEAN: OpImpl(_f32, run_sum_rows),
}
