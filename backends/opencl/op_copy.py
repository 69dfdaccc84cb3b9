"""CPY, CONT, DUP (kernels/cpy.cl): F32 and F16 in any combination, and I32 to I32; any layout
on both sides, and any ne of the destination with the same number of elements."""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import launch_elements, tensor_args
from .impl import OpImpl

FLOATS = (GGMLType.F32, GGMLType.F16)


def run_cpy(rt, t: Tensor) -> None:
    k = rt.programs.kernel("cpy", "cpy")
    src = t.src[0]
    launch_elements(rt, k, src.nelements, *tensor_args(src, rt), *tensor_args(t, rt))


def _cpy_ok(t: Tensor) -> bool:
    src = t.src[0]
    if src.type in FLOATS and t.type in FLOATS:
        return True
    return src.type == t.type == GGMLType.I32


IMPLS = {op: OpImpl(_cpy_ok, run_cpy) for op in (Op.CPY, Op.CONT, Op.DUP)}
