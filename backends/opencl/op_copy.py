"""Copies and rearrangements (kernels/cpy.cl), any layout on every side:

- CPY, CONT, DUP: F32 and F16 in any combination, Q8_0/Q4_0 (packed rows) to F32 or F16,
  and I32 to I32; the destination may have any ne with the same number of elements;
- REPEAT and CONCAT: F32, F16, I32 (the bytes of each element copied exactly).
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import i32, launch_elements, tensor_args
from .impl import OpImpl

FLOATS = (GGMLType.F32, GGMLType.F16)
QUANTS = (GGMLType.Q8_0, GGMLType.Q4_0)
PLAIN = (GGMLType.F32, GGMLType.F16, GGMLType.I32)


def run_cpy(rt, t: Tensor) -> None:
    k = rt.programs.kernel("cpy", "cpy")
    src = t.src[0]
    launch_elements(rt, k, src.nelements, *tensor_args(src, rt), *tensor_args(t, rt))


def run_repeat(rt, t: Tensor) -> None:
    k = rt.programs.kernel("cpy", "repeat")
    launch_elements(rt, k, t.nelements, *tensor_args(t.src[0], rt), *tensor_args(t, rt))


def run_concat(rt, t: Tensor) -> None:
    k = rt.programs.kernel("cpy", "concat")
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, i32(t.op_params[0]), *args)


def _cpy_ok(t: Tensor) -> bool:
    src = t.src[0]
    if src.type in QUANTS:
        return t.type in FLOATS and src.is_contiguous_rows
    if src.type in FLOATS and t.type in FLOATS:
        return True
    return src.type == t.type == GGMLType.I32


def _same_plain_type(t: Tensor) -> bool:
    return t.type in PLAIN and all(s.type == t.type for s in t.sources)


IMPLS = {
    **{op: OpImpl(_cpy_ok, run_cpy) for op in (Op.CPY, Op.CONT, Op.DUP)},
    Op.REPEAT: OpImpl(_same_plain_type, run_repeat),
    Op.CONCAT: OpImpl(_same_plain_type, run_concat),
}
