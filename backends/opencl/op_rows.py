"""GET_ROWS (kernels/get_rows.cl): src0 F32/F16/Q8_0/Q4_0 → F32, I32 → I32; I32 row indices.

Quantized rows must be packed blocks (nb0 = block size); everything else any layout.
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import launch_elements, tensor_args
from .impl import OpImpl

F32, F16, Q8_0, Q4_0, I32 = (GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0,
                             GGMLType.I32)


def run_get_rows(rt, t: Tensor) -> None:
    k = rt.programs.kernel("get_rows", "get_rows")
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, *args)


def _get_rows_ok(t: Tensor) -> bool:
    src, rows = t.src[0], t.src[1]
    if rows.type != I32:
        return False
    if src.type in (Q8_0, Q4_0):
        return t.type == F32 and src.is_contiguous_rows
    return (src.type in (F32, F16) and t.type == F32) or (src.type == I32 and t.type == I32)


IMPLS = {Op.GET_ROWS: OpImpl(_get_rows_ok, run_get_rows)}
