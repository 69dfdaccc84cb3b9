"""Unary cases: the UNARY sub-ops, SQR/SQRT/LOG/SIN/COS, SCALE, CLAMP, LEAKY_RELU.

Shapes as test-backend-ops: {128,2,2,2} and the odd {5,7,11,13}, each contiguous and as a view
with gaps (``v``), in f32 and f16, plus in-place variants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.op import UnaryOp
from ggsched.types import GGMLType

from . import bounds as bd
from .base import Builder, OpCase
from .fills import POSITIVE, UNIFORM, Fill, Uniform

F32, F16 = GGMLType.F32, GGMLType.F16
SHAPES = ((128, 2, 2, 2), (5, 7, 11, 13), (1025, 3, 1, 1))

# ops that only copy, negate or select: the result is one of a few exact values
EXACT_UNARY = {UnaryOp.ABS, UnaryOp.NEG, UnaryOp.SGN, UnaryOp.STEP, UnaryOp.RELU}
TABLE_UNARY = {UnaryOp.GELU, UnaryOp.GELU_QUICK}
MATH_FILLS: dict[str, Fill] = {
    "SQR": UNIFORM,
    "SQRT": POSITIVE,
    "LOG": POSITIVE,
    "SIN": Uniform(-6.5, 6.5),  # more than a period: argument reduction is exercised
    "COS": Uniform(-6.5, 6.5),
}


@dataclass(frozen=True)
class Unary(OpCase):
    fn: UnaryOp
    type: GGMLType
    ne: tuple
    v: bool = False
    inplace: bool = False

    family: ClassVar[str] = "unary"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn.name

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        return ops.unary(a, self.fn, inplace=self.inplace)

    def bound(self):
        if self.fn in EXACT_UNARY:
            return bd.EXACT
        return bd.F16_TABLE if self.fn in TABLE_UNARY else super().bound()


@dataclass(frozen=True)
class Math(OpCase):
    """SQR, SQRT, LOG, SIN, COS: ops of their own in ggml."""

    fn: str
    type: GGMLType
    ne: tuple
    v: bool = False
    inplace: bool = False

    family: ClassVar[str] = "unary"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, MATH_FILLS[self.fn], name="a", v=self.v)
        return getattr(ops, self.fn.lower())(a, inplace=self.inplace)


@dataclass(frozen=True)
class Scale(OpCase):
    type: GGMLType
    ne: tuple
    s: float
    bias: float = 0.0
    v: bool = False
    inplace: bool = False

    op: ClassVar[str] = "SCALE"
    family: ClassVar[str] = "unary"

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        return ops.scale_bias(a, self.s, self.bias, inplace=self.inplace)


@dataclass(frozen=True)
class Clamp(OpCase):
    type: GGMLType
    ne: tuple
    min: float
    max: float
    v: bool = False

    op: ClassVar[str] = "CLAMP"
    family: ClassVar[str] = "unary"

    def build(self, b: Builder):
        return ops.clamp(b.operand(self.type, self.ne, name="a", v=self.v), self.min, self.max)

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class LeakyRelu(OpCase):
    type: GGMLType
    ne: tuple
    negative_slope: float
    v: bool = False
    inplace: bool = False

    op: ClassVar[str] = "LEAKY_RELU"
    family: ClassVar[str] = "unary"

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        return ops.leaky_relu(a, self.negative_slope, inplace=self.inplace)


def _layouts(make) -> Iterator[OpCase]:
    """Every type × shape × {contiguous, view}, then one in-place case per type."""
    for t in (F32, F16):
        for ne in SHAPES:
            yield make(t, ne, v=False)
            yield make(t, ne, v=True)
        yield make(t, SHAPES[1], v=False, inplace=True)


def cases() -> Iterator[OpCase]:
    for fn in UnaryOp:
        yield from _layouts(lambda t, ne, fn=fn, **kw: Unary(fn, t, ne, **kw))
    for fn in MATH_FILLS:
        yield from _layouts(lambda t, ne, fn=fn, **kw: Math(fn, t, ne, **kw))
    for slope in (0.1, 0.0):
        yield from _layouts(lambda t, ne, s=slope, **kw: LeakyRelu(t, ne, s, **kw))
    for ne in SHAPES[:2]:
        for s, bias in ((2.0, 0.0), (0.25, 1.5), (-1.0, 0.0)):
            yield Scale(F32, ne, s, bias)
        yield Scale(F32, ne, 0.5, 0.25, v=True)
        yield Scale(F32, ne, 3.0, inplace=True)
        for t in (F32, F16):
            yield Clamp(t, ne, -0.5, 0.5)
            yield Clamp(t, ne, -0.25, 0.75, v=True)
