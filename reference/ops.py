"""One builder per ggml op: check the operands, infer the result's type and ne, wire the src.

Names, operand order and op_params layout are ggml's (``ggml.c``), so a graph built here can be
rebuilt in real ggml node for node. Nothing is computed: the golden (``ggsched.golden``) and the
backends give the values. A misuse raises a ``GGSchedError`` subclass naming the op and the
operands, at construction time.

op_params hold Python values in ggml's slot order (ints, floats, and enums for sub-ops).
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import OpParamError, ShapeError, TypeMismatchError, ViewError
from .op import GluOp, Op, RopeMode, SortOrder, UnaryOp
from .tensor import (
    Tensor,
    can_repeat,
    contiguous_nb,
    make_view,
    new_tensor,
    normalize_ne,
    view_tensor,
)
from .types import FLOAT_TYPES, QUANT_TYPES, TYPE_TRAITS, GGMLType

F32, F16, I32, I64 = GGMLType.F32, GGMLType.F16, GGMLType.I32, GGMLType.I64

# -- checks ---------------------------------------------------------------------------------------


def _operands(**operands: Tensor | None) -> str:
    return ", ".join(f"{k}={t.describe()}" for k, t in operands.items() if t is not None)


def _shape(ok: bool, op: Op | str, expected: str, **operands: Tensor | None) -> None:
    if not ok:
        raise ShapeError(f"{op}: {expected}; got {_operands(**operands)}")


def _types(op: Op | str, allowed: Sequence[GGMLType], **operands: Tensor) -> None:
    for role, t in operands.items():
        if t.type not in allowed:
            names = "/".join(str(a) for a in allowed)
            raise TypeMismatchError(f"{op}: {role} must be {names}; got {role}={t.describe()}")


def _tensor(op: Op | str, **operands) -> None:
    for role, t in operands.items():
        if not isinstance(t, Tensor):
            raise TypeMismatchError(f"{op}: {role} must be a Tensor, got {type(t).__name__}")


def _real(op: Op, what: str, v: object) -> float:
    """A float op parameter; a string or None is the caller's mistake, not a ValueError."""
    try:
        if isinstance(v, (str, bytes)):  # float("2") would parse; a string is still a mistake
            raise TypeError
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise OpParamError(f"{op}: {what} must be a real number, got {v!r}") from None


def _result(a: Tensor, op: Op, src, params=(), inplace=False, type=None, ne=None) -> Tensor:
    """A new tensor like a (or a view of a when inplace), computed by ``op`` from ``src``."""
    if inplace:
        t = view_tensor(a, op)
    else:
        t = Tensor(type if type is not None else a.type, ne if ne is not None else a.ne, op=op)
    t.op_params = tuple(params)
    t.src = list(src)
    return t


# -- tensors --------------------------------------------------------------------------------------


def new_tensor_1d(type, ne0, name="") -> Tensor:
    return new_tensor(type, (ne0,), name)


def new_tensor_2d(type, ne0, ne1, name="") -> Tensor:
    return new_tensor(type, (ne0, ne1), name)


def new_tensor_3d(type, ne0, ne1, ne2, name="") -> Tensor:
    return new_tensor(type, (ne0, ne1, ne2), name)


def new_tensor_4d(type, ne0, ne1, ne2, ne3, name="") -> Tensor:
    return new_tensor(type, (ne0, ne1, ne2, ne3), name)


def dup_tensor(a: Tensor, name="") -> Tensor:
    """ggml_dup_tensor: a new leaf with a's type and ne (contiguous)."""
    return new_tensor(a.type, a.ne, name)


# -- element-wise ---------------------------------------------------------------------------------


def dup(a: Tensor, inplace=False) -> Tensor:
    _tensor(Op.DUP, a=a)
    return _result(a, Op.DUP, [a], inplace=inplace)


def _binary(op: Op, a: Tensor, b: Tensor, inplace: bool) -> Tensor:
    _tensor(op, a=a, b=b)
    _types(op, FLOAT_TYPES, a=a, b=b)
    _shape(
        can_repeat(b, a), op, "b must repeat onto a (each a.ne[i] a multiple of b.ne[i])", a=a, b=b
    )
    return _result(a, op, [a, b], inplace=inplace)


def add(a: Tensor, b: Tensor, inplace=False) -> Tensor:
    return _binary(Op.ADD, a, b, inplace)


def sub(a: Tensor, b: Tensor, inplace=False) -> Tensor:
    return _binary(Op.SUB, a, b, inplace)


def mul(a: Tensor, b: Tensor, inplace=False) -> Tensor:
    return _binary(Op.MUL, a, b, inplace)


def div(a: Tensor, b: Tensor, inplace=False) -> Tensor:
    return _binary(Op.DIV, a, b, inplace)


def add1(a: Tensor, b: Tensor, inplace=False) -> Tensor:
    _tensor(Op.ADD1, a=a, b=b)
    _types(Op.ADD1, FLOAT_TYPES, a=a, b=b)
    _shape(b.is_scalar, Op.ADD1, "b must be a scalar (ne=[1,1,1,1])", a=a, b=b)
    _shape(a.is_padded_1d, Op.ADD1, "a must be packed in dims 0, 2, 3 (ggml_is_padded_1d)", a=a)
    return _result(a, Op.ADD1, [a, b], inplace=inplace)


def acc(a: Tensor, b: Tensor, nb1: int, nb2: int, nb3: int, offset: int, inplace=False) -> Tensor:
    """a + b added into the view of a with strides (4, nb1, nb2, nb3) at ``offset`` bytes."""
    _tensor(Op.ACC, a=a, b=b)
    _types(Op.ACC, (F32,), a=a, b=b)
    _shape(b.nelements <= a.nelements, Op.ACC, "b may not have more elements than a", a=a, b=b)
    _shape(a.is_contiguous, Op.ACC, "a must be contiguous", a=a)
    if any(v % 4 for v in (nb1, nb2, nb3, offset)):
        raise OpParamError(
            f"ACC: nb1={nb1}, nb2={nb2}, nb3={nb3} and offset={offset} must be multiples of 4 "
            f"(f32 elements); {_operands(a=a, b=b)}"
        )
    target = Tensor(F32, b.ne, (4, nb1, nb2, nb3))
    if offset < 0 or offset + target.nbytes > a.nbytes:
        raise ViewError(
            f"ACC: b's view at offset {offset} with nb=[4,{nb1},{nb2},{nb3}] spans "
            f"{target.nbytes} bytes, outside a ({a.nbytes} bytes); {_operands(a=a, b=b)}"
        )
    return _result(a, Op.ACC, [a, b], (nb1, nb2, nb3, offset, int(inplace)), inplace)


def _unary_like(op: Op, a: Tensor, params=(), inplace=False) -> Tensor:
    _tensor(op, a=a)
    _types(op, FLOAT_TYPES, a=a)
    return _result(a, op, [a], params, inplace)


def sqr(a, inplace=False):
    return _unary_like(Op.SQR, a, inplace=inplace)


def sqrt(a, inplace=False):
    return _unary_like(Op.SQRT, a, inplace=inplace)


def log(a, inplace=False):
    return _unary_like(Op.LOG, a, inplace=inplace)


def sin(a, inplace=False):
    return _unary_like(Op.SIN, a, inplace=inplace)


def cos(a, inplace=False):
    return _unary_like(Op.COS, a, inplace=inplace)


def scale(a: Tensor, s: float, inplace=False) -> Tensor:
    return scale_bias(a, s, 0.0, inplace)


def scale_bias(a: Tensor, s: float, b: float, inplace=False) -> Tensor:
    """ggml_scale_bias: a*s + b."""
    _tensor(Op.SCALE, a=a)
    _types(Op.SCALE, (F32,), a=a)
    _shape(a.is_padded_1d, Op.SCALE, "a must be packed in dims 0, 2, 3 (ggml_is_padded_1d)", a=a)
    params = (_real(Op.SCALE, "s", s), _real(Op.SCALE, "b", b))
    return _result(a, Op.SCALE, [a], params, inplace)


def clamp(a: Tensor, min: float, max: float) -> Tensor:
    """ggml_clamp. NOTE: like ggml's, the result is a view of a (it computes in place)."""
    params = (_real(Op.CLAMP, "min", min), _real(Op.CLAMP, "max", max))
    if min > max:
        raise OpParamError(f"CLAMP: min {min} is greater than max {max}; a={a.describe()}")
    return _unary_like(Op.CLAMP, a, params, inplace=True)


def leaky_relu(a: Tensor, negative_slope: float, inplace=False) -> Tensor:
    slope = _real(Op.LEAKY_RELU, "negative_slope", negative_slope)
    return _unary_like(Op.LEAKY_RELU, a, (slope,), inplace)


def _sub_op(kind, op, a: Tensor):
    """A UnaryOp/GluOp from itself or its name; an unknown name lists the known ones."""
    if isinstance(op, kind):
        return op
    try:
        return kind[str(op).upper()]
    except KeyError:
        known = ", ".join(kind.__members__)
        raise OpParamError(
            f"unknown {kind.__name__} {op!r} for a={a.describe()}; known: {known}"
        ) from None


def unary(a: Tensor, op: UnaryOp | str, inplace=False) -> Tensor:
    _tensor(Op.UNARY, a=a)
    op = _sub_op(UnaryOp, op, a)
    _types(op, FLOAT_TYPES, a=a)
    _shape(a.is_contiguous_rows, op, "a's rows must be contiguous (nb[0] = element size)", a=a)
    return _result(a, Op.UNARY, [a], (op,), inplace)


def _unary_fn(op: UnaryOp):
    def fn(a: Tensor, inplace: bool = False) -> Tensor:
        return unary(a, op, inplace)

    fn.__name__ = op.name.lower()
    fn.__doc__ = f"ggml_{op.name.lower()}: the UNARY op {op.name}."
    return fn


abs = _unary_fn(UnaryOp.ABS)  # noqa: A001 - ggml's name
sgn = _unary_fn(UnaryOp.SGN)
neg = _unary_fn(UnaryOp.NEG)
step = _unary_fn(UnaryOp.STEP)
tanh = _unary_fn(UnaryOp.TANH)
elu = _unary_fn(UnaryOp.ELU)
relu = _unary_fn(UnaryOp.RELU)
sigmoid = _unary_fn(UnaryOp.SIGMOID)
gelu = _unary_fn(UnaryOp.GELU)
gelu_erf = _unary_fn(UnaryOp.GELU_ERF)
gelu_quick = _unary_fn(UnaryOp.GELU_QUICK)
silu = _unary_fn(UnaryOp.SILU)
hardswish = _unary_fn(UnaryOp.HARDSWISH)
hardsigmoid = _unary_fn(UnaryOp.HARDSIGMOID)
exp = _unary_fn(UnaryOp.EXP)


def glu(a: Tensor, b: Tensor | None, op: GluOp | str, swapped: bool = False) -> Tensor:
    """Gated linear unit. Fused: a = [x | g] along ne[0] (halves); split: x=a, g=b.

    ``swapped`` exchanges the halves of a fused operand. The result is act(x) * g.
    """
    _tensor(Op.GLU, a=a)
    op = _sub_op(GluOp, op, a)
    _types(op, FLOAT_TYPES, a=a)
    _shape(a.is_contiguous_n(1), op, "a's rows must be contiguous", a=a)
    ne = list(a.ne)
    if b is None:
        _shape(a.ne[0] % 2 == 0, op, "a fused operand needs an even ne[0]", a=a)
        ne[0] //= 2
    else:
        _tensor(op, b=b)
        _shape(b.is_contiguous_n(1), op, "b's rows must be contiguous", b=b)
        _shape(a.ne == b.ne, op, "a and b must have the same ne", a=a, b=b)
        if a.type != b.type:
            raise TypeMismatchError(f"{op}: a and b must have one type; {_operands(a=a, b=b)}")
    return _result(a, Op.GLU, [a, b] if b is not None else [a], (op, int(swapped)), ne=ne)


def _glu_fns(op: GluOp):
    def fused(a: Tensor, swapped: bool = False) -> Tensor:
        return glu(a, None, op, swapped)

    def split(a: Tensor, b: Tensor) -> Tensor:
        return glu(a, b, op)

    fused.__name__, split.__name__ = op.name.lower(), op.name.lower() + "_split"
    return fused, split


reglu, reglu_split = _glu_fns(GluOp.REGLU)
geglu, geglu_split = _glu_fns(GluOp.GEGLU)
swiglu, swiglu_split = _glu_fns(GluOp.SWIGLU)


# -- reductions -----------------------------------------------------------------------------------


def sum(a: Tensor) -> Tensor:  # noqa: A001 - ggml's name
    _tensor(Op.SUM, a=a)
    _types(Op.SUM, FLOAT_TYPES, a=a)
    return _result(a, Op.SUM, [a], ne=(1,))


def sum_rows(a: Tensor) -> Tensor:
    _tensor(Op.SUM_ROWS, a=a)
    _types(Op.SUM_ROWS, FLOAT_TYPES, a=a)
    return _result(a, Op.SUM_ROWS, [a], ne=(1, *a.ne[1:]))


def mean(a: Tensor) -> Tensor:
    _tensor(Op.MEAN, a=a)
    _types(Op.MEAN, (F32,), a=a)
    return _result(a, Op.MEAN, [a], type=F32, ne=(1, *a.ne[1:]))


def argmax(a: Tensor) -> Tensor:
    _tensor(Op.ARGMAX, a=a)
    _types(Op.ARGMAX, (F32,), a=a)
    _shape(a.is_matrix, Op.ARGMAX, "a must be a matrix (ne[2] == ne[3] == 1)", a=a)
    return _result(a, Op.ARGMAX, [a], type=I32, ne=(a.ne[1],))


def count_equal(a: Tensor, b: Tensor) -> Tensor:
    _tensor(Op.COUNT_EQUAL, a=a, b=b)
    _types(Op.COUNT_EQUAL, (I32,), a=a, b=b)
    _shape(a.ne == b.ne, Op.COUNT_EQUAL, "a and b must have the same ne", a=a, b=b)
    return _result(a, Op.COUNT_EQUAL, [a, b], type=I64, ne=(1,))


def argsort(a: Tensor, order: SortOrder | int = SortOrder.ASC) -> Tensor:
    _tensor(Op.ARGSORT, a=a)
    _types(Op.ARGSORT, (F32,), a=a)
    try:
        order = SortOrder(order)
    except ValueError:
        raise OpParamError(
            f"ARGSORT: order must be ASC (0) or DESC (1), got {order!r}; a={a.describe()}"
        ) from None
    return _result(a, Op.ARGSORT, [a], (order,), type=I32)


# -- shape ----------------------------------------------------------------------------------------


def repeat(a: Tensor, b: Tensor) -> Tensor:
    """a tiled to b's ne (only b's shape is used, as in ggml)."""
    _tensor(Op.REPEAT, a=a, b=b)
    _shape(can_repeat(a, b), Op.REPEAT, "each b.ne[i] must be a multiple of a.ne[i]", a=a, b=b)
    return _result(a, Op.REPEAT, [a], ne=b.ne)


def repeat_4d(a: Tensor, ne0: int, ne1: int, ne2: int, ne3: int) -> Tensor:
    return repeat(a, Tensor(a.type, (ne0, ne1, ne2, ne3)))


def concat(a: Tensor, b: Tensor, dim: int) -> Tensor:
    _tensor(Op.CONCAT, a=a, b=b)
    if not 0 <= dim < 4:
        raise OpParamError(f"CONCAT: dim must be 0..3, got {dim}; {_operands(a=a, b=b)}")
    if a.type != b.type:
        raise TypeMismatchError(f"CONCAT: a and b must have one type; {_operands(a=a, b=b)}")
    same = all(a.ne[d] == b.ne[d] for d in range(4) if d != dim)
    _shape(same, Op.CONCAT, f"a and b must agree on every dim but {dim}", a=a, b=b)
    ne = list(a.ne)
    ne[dim] += b.ne[dim]
    return _result(a, Op.CONCAT, [a, b], (dim,), ne=ne)


def pad(a: Tensor, p0: int, p1: int, p2: int, p3: int) -> Tensor:
    """Zero padding at the end of each dim (ggml_pad)."""
    return pad_ext(a, 0, p0, 0, p1, 0, p2, 0, p3)


def pad_ext(a: Tensor, lp0, rp0, lp1, rp1, lp2, rp2, lp3, rp3) -> Tensor:
    """Zero padding before (lp) and after (rp) each dim (ggml_pad_ext)."""
    _tensor(Op.PAD, a=a)
    _types(Op.PAD, (F32,), a=a)
    pads = (lp0, rp0, lp1, rp1, lp2, rp2, lp3, rp3)
    if any(p < 0 for p in pads):
        raise OpParamError(f"PAD: paddings must be >= 0, got {list(pads)}; a={a.describe()}")
    ne = [a.ne[d] + pads[2 * d] + pads[2 * d + 1] for d in range(4)]
    return _result(a, Op.PAD, [a], tuple(int(p) for p in pads), ne=ne)


# -- normalization --------------------------------------------------------------------------------


def _norm(op: Op, a: Tensor, params, inplace: bool) -> Tensor:
    _tensor(op, a=a)
    _types(op, (F32,), a=a)
    if params[-1] < 0:
        raise OpParamError(f"{op}: eps must be >= 0, got {params[-1]}; a={a.describe()}")
    return _result(a, op, [a], params, inplace)


def norm(a: Tensor, eps: float = 1e-5, inplace=False) -> Tensor:
    return _norm(Op.NORM, a, (_real(Op.NORM, "eps", eps),), inplace)


def rms_norm(a: Tensor, eps: float = 1e-6, inplace=False) -> Tensor:
    return _norm(Op.RMS_NORM, a, (_real(Op.RMS_NORM, "eps", eps),), inplace)


def l2_norm(a: Tensor, eps: float = 1e-12, inplace=False) -> Tensor:
    return _norm(Op.L2_NORM, a, (_real(Op.L2_NORM, "eps", eps),), inplace)


def group_norm(a: Tensor, n_groups: int, eps: float = 1e-6, inplace=False) -> Tensor:
    if n_groups <= 0:
        raise OpParamError(f"GROUP_NORM: n_groups must be > 0, got {n_groups}; a={a.describe()}")
    return _norm(Op.GROUP_NORM, a, (int(n_groups), _real(Op.GROUP_NORM, "eps", eps)), inplace)


# -- matrix products ------------------------------------------------------------------------------


def mul_mat(a: Tensor, b: Tensor) -> Tensor:
    """ggml_mul_mat: result[i, j] = dot(a row i, b row j), i.e. b·aᵀ; a broadcast over dims 2, 3.

    ne = [a.ne1, b.ne1, b.ne2, b.ne3]; a may be f32/f16/q8_0/q4_0, b f32/f16.
    """
    _tensor(Op.MUL_MAT, a=a, b=b)
    _types(Op.MUL_MAT, (*FLOAT_TYPES, *QUANT_TYPES), a=a)
    _types(Op.MUL_MAT, FLOAT_TYPES, b=b)
    ok = a.ne[0] == b.ne[0] and b.ne[2] % a.ne[2] == 0 and b.ne[3] % a.ne[3] == 0
    _shape(
        ok, Op.MUL_MAT, "need a.ne[0] == b.ne[0] and b.ne[2], b.ne[3] multiples of a's", a=a, b=b
    )
    _shape(not a.is_transposed, Op.MUL_MAT, "a may not be transposed (nb[0] > nb[1])", a=a)
    return _result(a, Op.MUL_MAT, [a, b], type=F32, ne=(a.ne[1], b.ne[1], b.ne[2], b.ne[3]))


def out_prod(a: Tensor, b: Tensor) -> Tensor:
    """ggml_out_prod: result[i, j] = Σ_k a[i, k]·b[j, k]; ne = [a.ne0, b.ne0, b.ne2, b.ne3]."""
    _tensor(Op.OUT_PROD, a=a, b=b)
    _types(Op.OUT_PROD, (*FLOAT_TYPES, *QUANT_TYPES), a=a)
    _types(Op.OUT_PROD, (F32,), b=b)
    ok = a.ne[1] == b.ne[1] and b.ne[2] % a.ne[2] == 0 and b.ne[3] % a.ne[3] == 0
    _shape(
        ok, Op.OUT_PROD, "need a.ne[1] == b.ne[1] and b.ne[2], b.ne[3] multiples of a's", a=a, b=b
    )
    _shape(not a.is_transposed, Op.OUT_PROD, "a may not be transposed", a=a)
    return _result(a, Op.OUT_PROD, [a, b], type=F32, ne=(a.ne[0], b.ne[0], b.ne[2], b.ne[3]))


# -- copies and views -----------------------------------------------------------------------------


def cpy(a: Tensor, b: Tensor) -> Tensor:
    """Copy a's values into b's memory, converting to b's type. The result is a view of b."""
    _tensor(Op.CPY, a=a, b=b)
    _shape(a.nelements == b.nelements, Op.CPY, "a and b must have as many elements", a=a, b=b)
    numeric = (*FLOAT_TYPES, *QUANT_TYPES)
    if a.type not in numeric or b.type not in numeric:
        # ggml converts only f32 <-> i32 besides the float and quantized types
        if a.type != b.type and {a.type, b.type} != {F32, I32}:
            raise TypeMismatchError(
                f"CPY: no conversion between {a.type} and {b.type}; {_operands(a=a, b=b)}"
            )
    if TYPE_TRAITS[b.type].is_quantized:
        _shape(b.is_contiguous_rows, Op.CPY, "a quantized b needs contiguous rows", b=b)
    name = f"{b.name} (copy of {a.name})" if b.name else f"{a.name} (copy)"
    t = view_tensor(b, Op.CPY, name=name)
    t.src = [a, b]
    return t


def cont(a: Tensor) -> Tensor:
    """A contiguous copy of a (of any layout)."""
    return cont_4d(a, *a.ne)


def cont_4d(a: Tensor, ne0: int, ne1: int = 1, ne2: int = 1, ne3: int = 1) -> Tensor:
    _tensor(Op.CONT, a=a)
    ne = normalize_ne((ne0, ne1, ne2, ne3))
    _shape(
        ne[0] * ne[1] * ne[2] * ne[3] == a.nelements,
        Op.CONT,
        f"ne={list(ne)} must have as many elements as a",
        a=a,
    )
    t = _result(a, Op.CONT, [a], ne=ne)
    t.name = f"{a.name} (cont)"
    return t


def reshape(a: Tensor, b: Tensor) -> Tensor:
    """a's memory seen with b's ne (a must be contiguous)."""
    return _reshape(a, b.ne)


def reshape_1d(a: Tensor, ne0: int) -> Tensor:
    return _reshape(a, (ne0,))


def reshape_2d(a: Tensor, ne0: int, ne1: int) -> Tensor:
    return _reshape(a, (ne0, ne1))


def reshape_3d(a: Tensor, ne0: int, ne1: int, ne2: int) -> Tensor:
    return _reshape(a, (ne0, ne1, ne2))


def reshape_4d(a: Tensor, ne0: int, ne1: int, ne2: int, ne3: int) -> Tensor:
    return _reshape(a, (ne0, ne1, ne2, ne3))


def _reshape(a: Tensor, ne: Sequence[int]) -> Tensor:
    _tensor(Op.RESHAPE, a=a)
    ne = normalize_ne(ne)
    if not a.is_contiguous:
        raise ViewError(f"RESHAPE: a must be contiguous (use cont first); a={a.describe()}")
    if ne[0] * ne[1] * ne[2] * ne[3] != a.nelements:
        raise ShapeError(
            f"RESHAPE: ne={list(ne)} has {ne[0] * ne[1] * ne[2] * ne[3]} elements, "
            f"a has {a.nelements}; a={a.describe()}"
        )
    if ne[0] % a.traits.blck_size:
        raise ShapeError(
            f"RESHAPE: ne[0]={ne[0]} is not a whole number of {a.type} blocks; a={a.describe()}"
        )
    return make_view(a, ne, contiguous_nb(a.type, ne), 0, Op.RESHAPE, name=f"{a.name} (reshaped)")


def view_1d(a: Tensor, ne0: int, offset: int) -> Tensor:
    nb1 = a.traits.type_size * ne0 // a.traits.blck_size
    return view_4d(a, ne0, 1, 1, 1, nb1, nb1, nb1, offset)


def view_2d(a: Tensor, ne0: int, ne1: int, nb1: int, offset: int) -> Tensor:
    return view_4d(a, ne0, ne1, 1, 1, nb1, nb1 * ne1, nb1 * ne1, offset)


def view_3d(a: Tensor, ne0, ne1, ne2, nb1, nb2, offset) -> Tensor:
    return view_4d(a, ne0, ne1, ne2, 1, nb1, nb2, nb2 * ne2, offset)


def view_4d(a: Tensor, ne0, ne1, ne2, ne3, nb1, nb2, nb3, offset) -> Tensor:
    """ggml_view_4d: a's memory from ``offset`` bytes, with ne and strides (nb0 = element)."""
    _tensor(Op.VIEW, a=a)
    ne = normalize_ne((ne0, ne1, ne2, ne3))
    if ne[0] % a.traits.blck_size:
        raise ViewError(
            f"VIEW: ne[0]={ne[0]} is not a whole number of {a.type} blocks; a={a.describe()}"
        )
    nb = (a.traits.type_size, int(nb1), int(nb2), int(nb3))
    return make_view(a, ne, nb, offset, Op.VIEW, (int(offset),), name=f"{a.name} (view)")


def permute(a: Tensor, axis0: int, axis1: int, axis2: int, axis3: int) -> Tensor:
    """Dim i of a becomes dim axis_i of the result (ggml_permute)."""
    _tensor(Op.PERMUTE, a=a)
    axes = (axis0, axis1, axis2, axis3)
    if sorted(axes) != [0, 1, 2, 3]:
        raise OpParamError(
            f"PERMUTE: axes must be a permutation of 0..3, got {list(axes)}; a={a.describe()}"
        )
    ne, nb = [0] * 4, [0] * 4
    for i, ax in enumerate(axes):
        ne[ax], nb[ax] = a.ne[i], a.nb[i]
    return make_view(a, ne, nb, 0, Op.PERMUTE, axes, name=f"{a.name} (permuted)")


def transpose(a: Tensor) -> Tensor:
    """Swap dims 0 and 1 (ggml_transpose)."""
    _tensor(Op.TRANSPOSE, a=a)
    ne = (a.ne[1], a.ne[0], a.ne[2], a.ne[3])
    nb = (a.nb[1], a.nb[0], a.nb[2], a.nb[3])
    # NOTE: ggml_transpose stores no op_params (unlike ggml_permute)
    return make_view(a, ne, nb, 0, Op.TRANSPOSE, name=f"{a.name} (transposed)")


# -- indexing -------------------------------------------------------------------------------------


def get_rows(a: Tensor, b: Tensor) -> Tensor:
    """Rows b of a: result[:, i, j, k] = a[:, b[i, j, k], j, k]; f32 unless a is i32."""
    _tensor(Op.GET_ROWS, a=a, b=b)
    _types(Op.GET_ROWS, (*FLOAT_TYPES, *QUANT_TYPES, I32), a=a)
    _types(Op.GET_ROWS, (I32,), b=b)
    ok = a.ne[2] == b.ne[1] and a.ne[3] == b.ne[2] and b.ne[3] == 1
    _shape(
        ok, Op.GET_ROWS, "need a.ne[2] == b.ne[1], a.ne[3] == b.ne[2] and b.ne[3] == 1", a=a, b=b
    )
    out_type = I32 if a.type == I32 else F32
    return _result(a, Op.GET_ROWS, [a, b], type=out_type, ne=(a.ne[0], b.ne[0], b.ne[1], b.ne[2]))


def set_rows(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """Write rows of b into a at row indices c (i64 or i32). The result is a view of a.

    src is [b, c, a] as in ggml (the destination last, for legacy reasons). c's dims 1, 2
    repeat over b's dims 2, 3.
    """
    _tensor(Op.SET_ROWS, a=a, b=b, c=c)
    _types(Op.SET_ROWS, FLOAT_TYPES, b=b)
    _types(Op.SET_ROWS, (I64, I32), c=c)
    _types(Op.SET_ROWS, (*FLOAT_TYPES, *QUANT_TYPES), a=a)
    ok = (
        a.ne[0] == b.ne[0]
        and a.ne[2] == b.ne[2]
        and a.ne[3] == b.ne[3]
        and b.ne[1] == c.ne[0]
        and b.ne[2] % c.ne[1] == 0
        and b.ne[3] % c.ne[2] == 0
        and c.ne[3] == 1
    )
    _shape(
        ok,
        Op.SET_ROWS,
        "need a.ne[0,2,3] == b.ne[0,2,3], b.ne[1] == c.ne[0], "
        "b.ne[2], b.ne[3] multiples of c.ne[1], c.ne[2], and c.ne[3] == 1",
        a=a,
        b=b,
        c=c,
    )
    _shape(a.is_contiguous_rows, Op.SET_ROWS, "a's rows must be contiguous", a=a)
    _shape(b.is_contiguous_rows, Op.SET_ROWS, "b's rows must be contiguous", b=b)
    t = view_tensor(a, Op.SET_ROWS)
    t.src = [b, c, a]
    return t


# -- attention ------------------------------------------------------------------------------------


def diag_mask_inf(a: Tensor, n_past: int, inplace=False) -> Tensor:
    """Set a[i, j] = -inf where i > n_past + j (causal mask)."""
    _tensor(Op.DIAG_MASK_INF, a=a)
    _types(Op.DIAG_MASK_INF, (F32,), a=a)
    if n_past < 0:
        raise OpParamError(f"DIAG_MASK_INF: n_past must be >= 0, got {n_past}; a={a.describe()}")
    return _result(a, Op.DIAG_MASK_INF, [a], (int(n_past),), inplace)


def soft_max(a: Tensor, inplace=False) -> Tensor:
    return soft_max_ext(a, None, 1.0, 0.0, inplace)


def soft_max_ext(
    a: Tensor, mask: Tensor | None, scale: float = 1.0, max_bias: float = 0.0, inplace=False
) -> Tensor:
    """softmax(a*scale + slope*mask) along ne[0]; the mask broadcasts over dims 2, 3.

    max_bias > 0 turns on ALiBi: head h's slope comes from max_bias and the number of heads.
    """
    _tensor(Op.SOFT_MAX, a=a)
    _types(Op.SOFT_MAX, (F32,), a=a)
    _shape(a.is_contiguous, Op.SOFT_MAX, "a must be contiguous", a=a)
    if mask is not None:
        _tensor(Op.SOFT_MAX, mask=mask)
        _types(Op.SOFT_MAX, FLOAT_TYPES, mask=mask)
        _shape(mask.is_contiguous, Op.SOFT_MAX, "mask must be contiguous", mask=mask)
        ok = (
            mask.ne[0] == a.ne[0]
            and mask.ne[1] >= a.ne[1]
            and a.ne[2] % mask.ne[2] == 0
            and a.ne[3] % mask.ne[3] == 0
        )
        _shape(
            ok,
            Op.SOFT_MAX,
            "need mask.ne[0] == a.ne[0], mask.ne[1] >= a.ne[1], and "
            "a.ne[2], a.ne[3] multiples of mask's",
            a=a,
            mask=mask,
        )
    elif max_bias > 0:
        raise OpParamError(f"SOFT_MAX: max_bias > 0 (ALiBi) needs a mask; a={a.describe()}")
    src = [a, mask] if mask is not None else [a]
    params = (_real(Op.SOFT_MAX, "scale", scale), _real(Op.SOFT_MAX, "max_bias", max_bias))
    return _result(a, Op.SOFT_MAX, src, params, inplace)


def rope(
    a: Tensor, b: Tensor, n_dims: int, mode: RopeMode | int = RopeMode.NORMAL, inplace=False
) -> Tensor:
    return rope_ext(a, b, None, n_dims, mode, inplace=inplace)


def rope_ext(
    a: Tensor,
    b: Tensor,
    c: Tensor | None,
    n_dims: int,
    mode: RopeMode | int = RopeMode.NORMAL,
    n_ctx_orig: int = 0,
    freq_base: float = 10000.0,
    freq_scale: float = 1.0,
    ext_factor: float = 0.0,
    attn_factor: float = 1.0,
    beta_fast: float = 0.0,
    beta_slow: float = 0.0,
    inplace=False,
) -> Tensor:
    """Rotary position embedding of a's first n_dims values per row; b holds positions.

    op_params: [n_past=0, n_dims, mode, n_ctx=0, n_ctx_orig, freq_base, freq_scale,
    ext_factor, attn_factor, beta_fast, beta_slow] as in ggml. c: optional freq factors.
    """
    _tensor(Op.ROPE, a=a, b=b)
    _types(Op.ROPE, FLOAT_TYPES, a=a)
    _types(Op.ROPE, (I32,), b=b)
    _shape(
        b.is_vector and b.ne[0] == a.ne[2],
        Op.ROPE,
        "b must be a vector of a.ne[2] positions",
        a=a,
        b=b,
    )
    try:
        mode = RopeMode(mode)
    except ValueError:
        raise OpParamError(
            f"ROPE: mode must be NORMAL (0) or NEOX (2), got {mode!r}; a={a.describe()}"
        ) from None
    if n_dims <= 0 or n_dims % 2 or n_dims > a.ne[0]:
        raise OpParamError(
            f"ROPE: n_dims must be even and in 2..a.ne[0], got {n_dims}; a={a.describe()}"
        )
    if c is not None:
        _tensor(Op.ROPE, c=c)
        _types(Op.ROPE, (F32,), c=c)
        _shape(c.ne[0] >= n_dims // 2, Op.ROPE, "c (freq factors) needs n_dims/2 values", c=c)
    params = (
        0,
        int(n_dims),
        mode,
        0,
        int(n_ctx_orig),
        _real(Op.ROPE, "freq_base", freq_base),
        _real(Op.ROPE, "freq_scale", freq_scale),
        _real(Op.ROPE, "ext_factor", ext_factor),
        _real(Op.ROPE, "attn_factor", attn_factor),
        _real(Op.ROPE, "beta_fast", beta_fast),
        _real(Op.ROPE, "beta_slow", beta_slow),
    )
    src = [a, b, c] if c is not None else [a, b]
    return _result(a, Op.ROPE, src, params, inplace)
