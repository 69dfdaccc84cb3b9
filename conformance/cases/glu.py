"""Gated linear units: REGLU, GEGLU, SWIGLU with a fused [x | g] operand (plain and
``swapped``) or split operands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.op import GluOp
from ggsched.types import GGMLType

from . import bounds as bd
from .base import Builder, OpCase

F32, F16 = GGMLType.F32, GGMLType.F16


@dataclass(frozen=True)
class Glu(OpCase):
    """ne is the result's; a fused operand is twice as wide."""

    fn: GluOp
    type: GGMLType
    ne: tuple
    split: bool = False
    swapped: bool = False
    v: bool = False

    family: ClassVar[str] = "glu"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn.name

    def build(self, b: Builder):
        if self.split:
            x = b.operand(self.type, self.ne, name="x", v=self.v)
            g = b.operand(self.type, self.ne, name="g", v=self.v)
            return ops.glu(x, g, self.fn)
        ne = (self.ne[0] * 2, *self.ne[1:])
        return ops.glu(b.operand(self.type, ne, name="a", v=self.v), None, self.fn, self.swapped)

    def bound(self):
        return bd.F16_TABLE if self.fn is GluOp.GEGLU else super().bound()


def cases() -> Iterator[OpCase]:
    for fn in GluOp:
        for t in (F32, F16):
            for ne in ((64, 2, 2, 2), (5, 7, 11, 3)):
                yield Glu(fn, t, ne)
                yield Glu(fn, t, ne, swapped=True)
                yield Glu(fn, t, ne, split=True)
                yield Glu(fn, t, ne, v=True)
                yield Glu(fn, t, ne, split=True, v=True)
