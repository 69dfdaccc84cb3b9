"""Element-wise ops: binary and ACC (kernels/binary.cl), one-source and GLU (kernels/unary.cl).

Every layout is handled (kernels index by ne/nb), for F32 and F16 (f16 is stored, the math is
done in f32). The result has src0's type, as the op builders make it. Binary ops whose src1
repeats only along size-1 dims, and unary ops, take the row kernels of fast.py.
"""

from __future__ import annotations

import numpy as np
from ggsched.backend import tensor_buffer
from ggsched.op import GluOp, Op, UnaryOp
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import f32, i32, launch_elements, tensor_args
from .discovery import import_pyopencl
from .fast import FLOAT_TOKENS, launch_rows, same_ne_or_one, strides_over, type_options
from .impl import OpImpl
from .op_copy import run_copy

FLOATS = (GGMLType.F32, GGMLType.F16)

BINARY_CODES = {Op.ADD: 0, Op.SUB: 1, Op.MUL: 2, Op.DIV: 3, Op.ADD1: 0}  # ADD1: b is a scalar

# one numbering shared with unary.cl through build options (-DU_<NAME>=<code>)
UNARY_NAMES = [u.name for u in UnaryOp] + [
    "SQR", "SQRT", "LOG", "SIN", "COS", "SCALE", "CLAMP", "LEAKY_RELU",
]
UNARY_CODES = {name: code for code, name in enumerate(UNARY_NAMES)}
GLU_CODES = {g: code for code, g in enumerate(GluOp)}
UNARY_OPTIONS = " ".join(
    [f"-DU_{name}={code}" for name, code in UNARY_CODES.items()]
    + [f"-DG_{g.name}={code}" for g, code in GLU_CODES.items()]
)


def _floats(t: Tensor) -> bool:
    return t.type in FLOATS and all(s.type in FLOATS for s in t.sources) and (
        t.type == t.src[0].type
    )


def run_binary(rt, t: Tensor) -> None:
    a, b = t.src[0], t.src[1]
    if same_ne_or_one(b, t.ne):
        ta, tb, td = (FLOAT_TOKENS[x.type] for x in (a, b, t))
        ops = [(a, a.nb, ta), (b, strides_over(b, t.ne), tb), (t, t.nb, td)]
        opts = f"{type_options(TA=ta, TB=tb, TD=td)} -DBOP={BINARY_CODES[t.op]}"
        return launch_rows(rt, "binary", "binary_rows", opts, ops, t.ne)
    k = rt.programs.kernel("binary", "binary")
    args = tensor_args(a, rt) + tensor_args(b, rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, i32(BINARY_CODES[t.op]), *args)


def _unary_code(t: Tensor) -> int:
    name = t.unary_op.name if t.op is Op.UNARY else t.op.name
    return UNARY_CODES[name]


def _unary_params(t: Tensor) -> tuple[float, float]:
    if t.op in (Op.SCALE, Op.CLAMP):
        return t.op_params[0], t.op_params[1]
    if t.op is Op.LEAKY_RELU:
        return t.op_params[0], 0.0
    return 0.0, 0.0


def run_unary(rt, t: Tensor) -> None:
    p0, p1 = _unary_params(t)
    a = t.src[0]
    if a.ne == t.ne:
        ta, td = FLOAT_TOKENS[a.type], FLOAT_TOKENS[t.type]
        opts = f"{UNARY_OPTIONS} {type_options(TA=ta, TD=td)} -DUOP={_unary_code(t)}"
        return launch_rows(rt, "unary", "unary_rows", opts, [(a, a.nb, ta), (t, t.nb, td)],
                           t.ne, lead=(f32(p0), f32(p1)))
    k = rt.programs.kernel("unary", "unary", UNARY_OPTIONS)
    args = tensor_args(t.src[0], rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, i32(_unary_code(t)), f32(p0), f32(p1), *args)


def run_glu(rt, t: Tensor) -> None:
    k = rt.programs.kernel("unary", "glu", UNARY_OPTIONS)
    op, swapped = t.op_params[0], t.op_params[1]
    src1 = t.src[1] if len(t.src) > 1 and t.src[1] is not None else None
    # NOTE: without src1 the kernel still needs valid src1 arguments; it never reads them
    args = tensor_args(t.src[0], rt) + tensor_args(src1 if src1 is not None else t.src[0], rt)
    launch_elements(rt, k, t.nelements, i32(GLU_CODES[op]), i32(swapped), *args,
                    i32(src1 is not None), *tensor_args(t, rt))


def run_acc(rt, t: Tensor) -> None:
    """dst = src0 (unless in place), then src1 added into dst's view given by op_params."""
    cl = import_pyopencl()
    a, b = t.src[0], t.src[1]
    nb1, nb2, nb3, offset = t.op_params[:4]
    if not (tensor_buffer(t) is tensor_buffer(a) and t.data == a.data):  # not in place
        run_copy(rt, a, t)
    k = rt.programs.kernel("binary", "acc_add")
    view_nb = np.array((4, nb1, nb2, nb3), dtype=cl.cltypes.ulong4)[()]
    launch_elements(rt, k, b.nelements, np.uint64(offset), view_nb, *tensor_args(b, rt),
                    *tensor_args(t, rt))


def _acc_ok(t: Tensor) -> bool:
    return t.type == GGMLType.F32 and all(s.type == GGMLType.F32 for s in t.sources)


def _scale_ok(t: Tensor) -> bool:
    return t.type == GGMLType.F32 and t.src[0].type == GGMLType.F32


IMPLS = {
    **{op: OpImpl(_floats, run_binary) for op in BINARY_CODES},
    **{
        op: OpImpl(_floats, run_unary)
        for op in (Op.UNARY, Op.SQR, Op.SQRT, Op.LOG, Op.SIN, Op.COS, Op.CLAMP, Op.LEAKY_RELU)
    },
    Op.SCALE: OpImpl(_scale_ok, run_unary),
    Op.GLU: OpImpl(_floats, run_glu),
    Op.ACC: OpImpl(_acc_ok, run_acc),
}
