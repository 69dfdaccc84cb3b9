"""Reductions and sorting: SUM, SUM_ROWS, MEAN, ARGMAX, COUNT_EQUAL, ARGSORT."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.op import SortOrder
from ggsched.types import GGMLType

from . import bounds as bd
from .base import CONT, Builder, OpCase
from .fills import Distinct, SmallInts

F32, F16, I32 = GGMLType.F32, GGMLType.F16, GGMLType.I32
SHAPES = ((10, 5, 4, 3), (5, 7, 11, 13), (1024, 3, 1, 1), (1, 5, 4, 3), (33, 1, 1, 1))
PER_0213 = (0, 2, 1, 3)


@dataclass(frozen=True)
class Reduce(OpCase):
    """SUM (to one value), SUM_ROWS and MEAN (along ne[0])."""

    fn: str
    type: GGMLType
    ne: tuple
    v: bool = False
    per: tuple = CONT

    family: ClassVar[str] = "reduce"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v, per=self.per)
        return getattr(ops, self.fn.lower())(a)


@dataclass(frozen=True)
class Argmax(OpCase):
    type: GGMLType
    ne: tuple

    op: ClassVar[str] = "ARGMAX"
    family: ClassVar[str] = "reduce"

    def build(self, b: Builder):
        return ops.argmax(b.leaf(self.type, self.ne, Distinct(), name="a"))

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class CountEqual(OpCase):
    type: GGMLType
    ne: tuple

    op: ClassVar[str] = "COUNT_EQUAL"
    family: ClassVar[str] = "reduce"

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne, SmallInts(), name="a")
        return ops.count_equal(a, b.leaf(self.type, self.ne, SmallInts(), name="b"))

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class Argsort(OpCase):
    type: GGMLType
    ne: tuple
    order: SortOrder = SortOrder.ASC

    op: ClassVar[str] = "ARGSORT"
    family: ClassVar[str] = "reduce"
    shown: ClassVar[tuple[str, ...]] = ("order",)

    def build(self, b: Builder):
        return ops.argsort(b.leaf(self.type, self.ne, Distinct(), name="a"), self.order)

    def bound(self):
        return bd.EXACT


def cases() -> Iterator[OpCase]:
    for fn, types in (("SUM", (F32, F16)), ("SUM_ROWS", (F32, F16)), ("MEAN", (F32,))):
        for t in types:
            for ne in SHAPES:
                yield Reduce(fn, t, ne)
            yield Reduce(fn, t, SHAPES[0], v=True)
            yield Reduce(fn, t, SHAPES[1], per=PER_0213)
    for ne in ((32, 10, 1, 1), (100, 10, 1, 1), (1024, 12, 1, 1), (5, 7, 1, 1), (1, 3, 1, 1)):
        yield Argmax(F32, ne)
    for ne in ((4, 500, 1, 1), (5, 7, 11, 13), (1, 1, 1, 1)):
        yield CountEqual(I32, ne)
    for ne in ((16, 10, 10, 10), (60, 10, 10, 10), (1023, 2, 1, 1), (5, 7, 11, 13), (1, 3, 1, 1)):
        for order in SortOrder:
            yield Argsort(F32, ne, order)
