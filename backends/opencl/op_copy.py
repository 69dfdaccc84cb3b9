"""Copies and rearrangements (kernels/cpy.cl), any layout on every side:

- CPY, CONT, DUP: F32, F16, Q8_0 and Q4_0 in any combination (quantized rows packed; into a
  quantized type with ggml's reference rounding, byte for byte), I32 to I32, and F32 to and
  from I32 (truncating, as ggml); the destination may have any ne with as many elements;
- REPEAT and CONCAT: F32, F16, I32 (the bytes of each element copied exactly);
- PAD (F32) and SET_ROWS (F32 rows into F32/F16/Q8_0/Q4_0 rows, I32 or I64 indices).

Copies between F32/F16 (and I32 to I32) of one ne, or both contiguous, take the row kernels of
fast.py; a transposed source the tiled cpy_transpose.
"""

from __future__ import annotations

from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import i32, int4, launch_elements, tensor_args
from .discovery import import_pyopencl
from .fast import FLOAT_TOKENS, INT_MAX, RAW_TOKENS, launch_rows, operand_args, type_options
from .impl import OpImpl

FLOATS = (GGMLType.F32, GGMLType.F16)
QUANTS = (GGMLType.Q8_0, GGMLType.Q4_0)
PLAIN = (GGMLType.F32, GGMLType.F16, GGMLType.I32)
TILE = 16  # cpy_transpose's tile side (cpy.cl)


def run_cpy(rt, t: Tensor) -> None:
    run_copy(rt, t.src[0], t)


def run_copy(rt, src: Tensor, t: Tensor) -> None:
    """Enqueue t = src's elements (in flat order), converted to t's type."""
    if copy_fast(rt, src, t):
        return
    if t.type in QUANTS:  # one work-item per destination block
        k = rt.programs.kernel("cpy", "cpy_to_q")
        n = t.nelements // t.traits.blck_size
    else:
        k, n = rt.programs.kernel("cpy", "cpy"), src.nelements
    launch_elements(rt, k, n, *tensor_args(src, rt), *tensor_args(t, rt))


def copy_fast(rt, src: Tensor, t: Tensor) -> bool:
    """The row kernels (fast.py) for plain types when src and t have one ne or are both
    contiguous; False when the node needs the generic kernels."""
    types = _copy_tokens(src.type, t.type)
    if types is None:
        return False
    if src.ne == t.ne:
        ne, nbs = t.ne, [src.nb, t.nb]
    elif src.is_contiguous and t.is_contiguous and src.nelements <= INT_MAX:  # flat order
        ne, nbs = (src.nelements, 1, 1, 1), [(x.traits.type_size, 0, 0, 0) for x in (src, t)]
    else:
        return False
    opts = type_options(TA=types[0], TD=types[1])
    if _transposed(src, t) and transpose(rt, opts, src, t):
        return True
    ops = [(x, nb, tok) for x, nb, tok in zip((src, t), nbs, types)]
    launch_rows(rt, "cpy", "cpy_rows", opts, ops, ne)
    return True


def _copy_tokens(a: GGMLType, b: GGMLType) -> tuple[str, str] | None:
    if a == b and a in RAW_TOKENS:
        return RAW_TOKENS[a], RAW_TOKENS[b]
    if a in FLOAT_TOKENS and b in FLOAT_TOKENS:
        return FLOAT_TOKENS[a], FLOAT_TOKENS[b]
    return None


def _transposed(src: Tensor, t: Tensor) -> bool:
    """src (of t's ne) runs along its dim 1 in memory, t along dim 0: a transpose."""
    es0, es1 = src.traits.type_size, t.traits.type_size
    return (src.ne == t.ne and src.ne[0] > 1 and src.ne[1] > 1 and src.nb[1] == es0
            and src.nb[0] != es0 and t.nb[0] == es1)


def transpose(rt, opts: str, src: Tensor, t: Tensor) -> bool:
    """The tiled cpy_transpose kernel; False when the device cannot run its work-group."""
    k = rt.programs.kernel("cpy", "cpy_transpose", f"{opts} -DVEC4=0")
    if rt.work_group_limit(k) < TILE * TILE:
        return False
    ne = t.ne
    grid = (-(-ne[0] // TILE) * TILE, -(-ne[1] // TILE) * TILE, ne[2] * ne[3])
    rt.launch(k, grid, (TILE, TILE, 1), *operand_args(rt, src, src.nb),
              *operand_args(rt, t, t.nb), int4(ne))
    return True


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
