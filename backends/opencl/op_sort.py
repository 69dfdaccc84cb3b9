"""ARGSORT (F32 rows, stable, ascending or descending) and COUNT_EQUAL (I32 -> I64), from
kernels/sort.cl; any layout."""

from __future__ import annotations

from ggsched.op import Op, SortOrder
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import i32, launch_elements, tensor_args
from .discovery import import_pyopencl
from .impl import OpImpl
from .op_norm import row_group


def run_argsort(rt, t: Tensor) -> None:
    k = rt.programs.kernel("sort", "argsort")
    src = t.src[0]
    launch_elements(rt, k, src.nelements, i32(t.op_params[0] == SortOrder.DESC),
                    *tensor_args(src, rt), *tensor_args(t, rt))


def run_count_equal(rt, t: Tensor) -> None:
    cl = import_pyopencl()
    k = rt.programs.kernel("sort", "count_equal")
    n = row_group(rt, k)
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    rt.launch(k, (n,), (n,), *args, cl.LocalMemory(8 * n))


def _argsort_ok(t: Tensor) -> bool:
    return t.src[0].type == GGMLType.F32 and t.type == GGMLType.I32


def _count_equal_ok(t: Tensor) -> bool:
    return all(s.type == GGMLType.I32 for s in t.sources) and t.type == GGMLType.I64


IMPLS = {
    Op.ARGSORT: OpImpl(_argsort_ok, run_argsort),
    Op.COUNT_EQUAL: OpImpl(_count_equal_ok, run_count_equal),
}
