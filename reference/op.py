"""ggml's op vocabulary: the op enums and the facts the allocator and scheduler need of them.

Names are ggml's exactly (``ggml_op_name``); UNARY and GLU carry their sub-op in op_params[0],
and ``op_desc`` names a tensor's op the way ``ggml_op_desc`` does ("SILU", "SWIGLU").
"""

from __future__ import annotations

import enum


class Op(enum.Enum):
    NONE = "NONE"
    DUP = "DUP"
    ADD = "ADD"
    ADD1 = "ADD1"
    ACC = "ACC"
    SUB = "SUB"
    MUL = "MUL"
    DIV = "DIV"
    SQR = "SQR"
    SQRT = "SQRT"
    LOG = "LOG"
    SIN = "SIN"
    COS = "COS"
    SUM = "SUM"
    SUM_ROWS = "SUM_ROWS"
    MEAN = "MEAN"
    ARGMAX = "ARGMAX"
    COUNT_EQUAL = "COUNT_EQUAL"
    REPEAT = "REPEAT"
    CONCAT = "CONCAT"
    NORM = "NORM"
    RMS_NORM = "RMS_NORM"
    GROUP_NORM = "GROUP_NORM"
    L2_NORM = "L2_NORM"
    MUL_MAT = "MUL_MAT"
    OUT_PROD = "OUT_PROD"
    SCALE = "SCALE"
    CPY = "CPY"
    CONT = "CONT"
    RESHAPE = "RESHAPE"
    VIEW = "VIEW"
    PERMUTE = "PERMUTE"
    TRANSPOSE = "TRANSPOSE"
    GET_ROWS = "GET_ROWS"
    SET_ROWS = "SET_ROWS"
    DIAG_MASK_INF = "DIAG_MASK_INF"
    SOFT_MAX = "SOFT_MAX"
    ROPE = "ROPE"
    CLAMP = "CLAMP"
    PAD = "PAD"
    ARGSORT = "ARGSORT"
    LEAKY_RELU = "LEAKY_RELU"
    UNARY = "UNARY"
    GLU = "GLU"

    def __str__(self) -> str:
        return self.value


class UnaryOp(enum.Enum):
    ABS = "ABS"
    SGN = "SGN"
    NEG = "NEG"
    STEP = "STEP"
    TANH = "TANH"
    ELU = "ELU"
    RELU = "RELU"
    SIGMOID = "SIGMOID"
    GELU = "GELU"
    GELU_QUICK = "GELU_QUICK"
    SILU = "SILU"
    HARDSWISH = "HARDSWISH"
    HARDSIGMOID = "HARDSIGMOID"
    EXP = "EXP"
    GELU_ERF = "GELU_ERF"

    def __str__(self) -> str:
        return self.value


class GluOp(enum.Enum):
    REGLU = "REGLU"
    GEGLU = "GEGLU"
    SWIGLU = "SWIGLU"

    def __str__(self) -> str:
        return self.value


class RopeMode(enum.IntEnum):
    NORMAL = 0
    NEOX = 2


class SortOrder(enum.IntEnum):
    ASC = 0
    DESC = 1


# ggml_is_view_op: ops whose result is only a different look at its source's bytes.
VIEW_OPS = frozenset({Op.VIEW, Op.RESHAPE, Op.PERMUTE, Op.TRANSPOSE})

# ggml_op_can_inplace (ggml-alloc.c): the allocator may give the result its parent's memory.
INPLACE_OPS = frozenset(
    {
        Op.SCALE,
        Op.DIAG_MASK_INF,
        Op.ADD,
        Op.ADD1,
        Op.SUB,
        Op.MUL,
        Op.DIV,
        Op.SQR,
        Op.SQRT,
        Op.LOG,
        Op.UNARY,
        Op.ROPE,
        Op.RMS_NORM,
        Op.SOFT_MAX,
    }
)


def parse_op_name(name: str) -> tuple[Op, UnaryOp | GluOp | None]:
    """Map a ggml op description ("ADD", "SILU", "SWIGLU") to (op, sub-op)."""
    key = name.upper()
    if key in Op.__members__:
        return Op[key], None
    if key in UnaryOp.__members__:
        return Op.UNARY, UnaryOp[key]
    if key in GluOp.__members__:
        return Op.GLU, GluOp[key]
    known = sorted({*Op.__members__, *UnaryOp.__members__, *GluOp.__members__})
    raise KeyError(f"unknown op {name!r}; known: {', '.join(known)}")
