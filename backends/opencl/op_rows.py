"""GET_ROWS (kernels/get_rows.cl): src0 F32/F16/Q8_0/Q4_0 → F32, I32 → I32; I32 row indices.

Quantized rows must be packed blocks (nb0 = block size); everything else any layout. F32 and
F16 tables take the row kernel get_rows_fast (fast.py).
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import launch_elements, tensor_args
from .fast import FLOAT_TOKENS, launch_rows, type_options
from .impl import OpImpl

F32, F16, Q8_0, Q4_0, I32 = (GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0,
                             GGMLType.I32)


def run_get_rows(rt, t: Tensor) -> None:
    src, rows = t.src[0], t.src[1]
    if src.type in FLOAT_TOKENS:  # dst F32: the row kernel (fast.py)
        ta = FLOAT_TOKENS[src.type]
        ops = [(src, src.nb, ta), (rows, rows.nb, None), (t, t.nb, "F32")]
        # NOTE: no merging of dims: src0's rows are picked by index, rows indexed by (i1, i2, i3)
        return launch_rows(rt, "get_rows", "get_rows_fast", type_options(TA=ta), ops, t.ne,
                           merge=False)
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
