"""Copies and rearrangements (kernels/cpy.cl), any layout on every side:

- CPY, CONT, DUP: F32, F16, Q8_0 and Q4_0 in any combination (quantized rows packed; into a
  quantized type with ggml's reference rounding, byte for byte), I32 to I32, and F32 to and
  from I32 (truncating, as ggml); the destination may have any ne with as many elements;
- REPEAT and CONCAT: F32, F16, I32 (the bytes of each element copied exactly);
- PAD (F32) and SET_ROWS (F32 rows into F32/F16/Q8_0/Q4_0 rows, I32 or I64 indices).
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import i32, launch_elements, tensor_args
from .discovery import import_pyopencl
from .impl import OpImpl

FLOATS = (GGMLType.F32, GGMLType.F16)
QUANTS = (GGMLType.Q8_0, GGMLType.Q4_0)
PLAIN = (GGMLType.F32, GGMLType.F16, GGMLType.I32)


def run_cpy(rt, t: Tensor) -> None:
    run_copy(rt, t.src[0], t)


def run_copy(rt, src: Tensor, t: Tensor) -> None:
    """Enqueue t = src's elements (in flat order), converted to t's type."""
    if t.type in QUANTS:  # one work-item per destination block
        k = rt.programs.kernel("cpy", "cpy_to_q")
        n = t.nelements // t.traits.blck_size
    else:
        k, n = rt.programs.kernel("cpy", "cpy"), src.nelements
    launch_elements(rt, k, n, *tensor_args(src, rt), *tensor_args(t, rt))


def run_repeat(rt, t: Tensor) -> None:
    k = rt.programs.kernel("cpy", "repeat")
    launch_elements(rt, k, t.nelements, *tensor_args(t.src[0], rt), *tensor_args(t, rt))


def run_concat(rt, t: Tensor) -> None:
    k = rt.programs.kernel("cpy", "concat")
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, i32(t.op_params[0]), *args)


def run_pad(rt, t: Tensor) -> None:
    cl = import_pyopencl()
    k = rt.programs.kernel("cpy", "pad")
    lp = cl.cltypes.make_int4(*t.op_params[0:8:2])
    launch_elements(rt, k, t.nelements, lp, *tensor_args(t.src[0], rt), *tensor_args(t, rt))


def run_set_rows(rt, t: Tensor) -> None:
    src, rows = t.src[0], t.src[1]
    quantized = t.type in QUANTS
    k = rt.programs.kernel("cpy", "set_rows_q" if quantized else "set_rows")
    n = src.nelements // (t.traits.blck_size if quantized else 1)
    args = tensor_args(src, rt) + tensor_args(rows, rt) + tensor_args(t, rt)
    launch_elements(rt, k, n, *args)


def _cpy_ok(t: Tensor) -> bool:
    src = t.src[0]
    if src.type in (*FLOATS, *QUANTS) and t.type in (*FLOATS, *QUANTS):
        packed = [x for x in (src, t) if x.type in QUANTS]
        return all(x.is_contiguous_rows for x in packed)
    return {src.type, t.type} in ({GGMLType.I32}, {GGMLType.F32, GGMLType.I32})


def _same_plain_type(t: Tensor) -> bool:
    return t.type in PLAIN and all(s.type == t.type for s in t.sources)


def _pad_ok(t: Tensor) -> bool:
    return t.type == t.src[0].type == GGMLType.F32


def _set_rows_ok(t: Tensor) -> bool:
    src, rows = t.src[0], t.src[1]
    ok_rows = rows.type in (GGMLType.I32, GGMLType.I64)
    ok_dst = t.type in FLOATS or (t.type in QUANTS and t.is_contiguous_rows)
    return ok_dst and src.type == GGMLType.F32 and ok_rows


IMPLS = {
    **{op: OpImpl(_cpy_ok, run_cpy) for op in (Op.CPY, Op.CONT, Op.DUP)},
    Op.REPEAT: OpImpl(_same_plain_type, run_repeat),
    Op.CONCAT: OpImpl(_same_plain_type, run_concat),
    Op.PAD: OpImpl(_pad_ok, run_pad),
    Op.SET_ROWS: OpImpl(_set_rows_ok, run_set_rows),
}
