"""Binary element-wise cases: ADD, SUB, MUL, DIV with src1 broadcast onto src0, ADD1, ACC."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.types import GGMLType

from .base import Builder, OpCase
from .fills import UNIFORM, AwayFromZero

F32, F16 = GGMLType.F32, GGMLType.F16
ONES = (1, 1, 1, 1)


def _times(ne, nr):
    return tuple(a * b for a, b in zip(ne, nr))


@dataclass(frozen=True)
class Binary(OpCase):
    """``fn(a, b)`` with a = b's ne times ``nr`` (b repeats nr[i] times along dim i)."""

    fn: str
    type: GGMLType
    ne: tuple
    nr: tuple = ONES
    type_b: GGMLType | None = None
    v: bool = False  # a is a view with an offset and gaps between rows
    inplace: bool = False

    family: ClassVar[str] = "binary"
    shown: ClassVar[tuple[str, ...]] = ("nr",)
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn

    def build(self, b: Builder):
        a = b.operand(self.type, _times(self.ne, self.nr), name="a", v=self.v)
        fill = AwayFromZero() if self.fn == "DIV" else UNIFORM
        src1 = b.leaf(self.type_b or self.type, self.ne, fill, name="b")
        return getattr(ops, self.fn.lower())(a, src1, inplace=self.inplace)


@dataclass(frozen=True)
class Add1(OpCase):
    type: GGMLType
    ne: tuple
    inplace: bool = False

    op: ClassVar[str] = "ADD1"
    family: ClassVar[str] = "binary"

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne, name="a")
        return ops.add1(a, b.leaf(self.type, ONES, name="b"), inplace=self.inplace)


@dataclass(frozen=True)
class Acc(OpCase):
    """a with b added into its view at byte ``offset`` (a's own strides)."""

    type: GGMLType
    ne_a: tuple
    ne_b: tuple
    offset: int
    inplace: bool = False

    op: ClassVar[str] = "ACC"
    family: ClassVar[str] = "binary"

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne_a, name="a")
        src1 = b.leaf(self.type, self.ne_b, name="b")
        return ops.acc(a, src1, a.nb[1], a.nb[2], a.nb[3], self.offset, inplace=self.inplace)


BCAST = [  # (ne of b, nr): test-backend-ops' broadcast sweep, plus odd primes
    ((1, 1, 8, 1), ONES),
    ((1, 1, 1, 1), (32, 1, 1, 1)),
    ((1, 1, 320, 320), ONES),
    ((10, 5, 1, 1), ONES),
    ((10, 5, 4, 1), ONES),
    ((10, 5, 4, 3), ONES),
    ((10, 5, 4, 3), (2, 1, 1, 1)),
    ((10, 5, 4, 3), (1, 2, 1, 1)),
    ((10, 5, 4, 3), (1, 1, 2, 1)),
    ((10, 5, 4, 3), (1, 1, 1, 2)),
    ((10, 5, 4, 3), (1, 1, 2, 2)),
    ((10, 5, 4, 3), (1, 2, 2, 2)),
    ((10, 5, 4, 3), (2, 2, 2, 2)),
    ((16, 10, 1, 1), ONES),
    ((16, 10, 10, 1), ONES),
    ((16, 10, 10, 10), ONES),
    ((5, 7, 11, 13), ONES),
    ((5, 7, 11, 13), (2, 1, 1, 1)),
    ((1, 7, 1, 13), (5, 1, 11, 1)),
    ((1280, 1, 1, 1), (1, 8, 4, 1)),
    ((2, 3, 5, 7), (3, 1, 1, 1)),
    ((64, 3, 1, 1), (1, 1, 7, 1)),
    ((7, 1, 1, 1), (1, 13, 1, 1)),
    ((4096, 1, 1, 1), ONES),
]
BINARY_OPS = ("ADD", "SUB", "MUL", "DIV")


def cases() -> Iterator[OpCase]:
    for fn in BINARY_OPS:
        for t in (F32, F16):
            for ne, nr in BCAST:
                yield Binary(fn, t, ne, nr)
            for ne, nr in (BCAST[5], BCAST[12], BCAST[16], BCAST[18]):
                yield Binary(fn, t, ne, nr, v=True)
            for ne, nr in (BCAST[5], BCAST[13], BCAST[17]):
                yield Binary(fn, t, ne, nr, inplace=True)
            other = F16 if t == F32 else F32
            for ne, nr in (BCAST[5], BCAST[16], BCAST[18]):
                yield Binary(fn, t, ne, nr, type_b=other)
    yield from _add1_acc()


def _add1_acc() -> Iterator[OpCase]:
    for t in (F32, F16):
        for ne in ((10, 5, 4, 3), (5, 7, 11, 13), (1, 1, 1, 1)):
            yield Add1(t, ne)
        yield Add1(t, (10, 5, 4, 3), inplace=True)
    for ne_a, ne_b, offset in (
        ((256, 17, 1, 1), (256, 16, 1, 1), 256 * 4),
        ((16, 7, 5, 3), (8, 4, 3, 2), 4 * 3),
        ((13, 11, 1, 1), (5, 3, 1, 1), 4 * (13 + 2)),
        ((16, 7, 5, 3), (16, 7, 5, 3), 0),
    ):
        yield Acc(F32, ne_a, ne_b, offset)
    yield Acc(F32, (16, 7, 5, 3), (8, 4, 3, 2), 4 * 3, inplace=True)
