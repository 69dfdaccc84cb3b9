"""Layout ops: REPEAT, CONCAT, PAD, and the view ops (RESHAPE, VIEW, PERMUTE, TRANSPOSE)
whose result is only another look at their source's bytes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.types import GGMLType

from . import bounds as bd
from .base import Builder, OpCase

F32, F16, I32, Q8_0 = GGMLType.F32, GGMLType.F16, GGMLType.I32, GGMLType.Q8_0
NR = ((2, 1, 1, 1), (1, 2, 1, 1), (1, 1, 2, 1), (1, 1, 1, 2), (2, 2, 2, 2), (1, 1, 1, 1))


@dataclass(frozen=True)
class Repeat(OpCase):
    type: GGMLType
    ne: tuple
    nr: tuple
    v: bool = False

    op: ClassVar[str] = "REPEAT"
    family: ClassVar[str] = "shape"

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        return ops.repeat_4d(a, *(n * r for n, r in zip(self.ne, self.nr)))

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class Concat(OpCase):
    """a: ne; b: ne with ``ne_b_d`` along ``dim``; joined along ``dim``."""

    type: GGMLType
    ne: tuple
    dim: int
    ne_b_d: int = 7
    v: bool = False

    op: ClassVar[str] = "CONCAT"
    family: ClassVar[str] = "shape"

    def build(self, b: Builder):
        ne_b = list(self.ne)
        ne_b[self.dim] = self.ne_b_d
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        return ops.concat(a, b.operand(self.type, ne_b, name="b", v=self.v), self.dim)

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class Pad(OpCase):
    """Zeros ``lp`` before and ``rp`` after each dim."""

    type: GGMLType
    ne: tuple
    rp: tuple
    lp: tuple = (0, 0, 0, 0)

    op: ClassVar[str] = "PAD"
    family: ClassVar[str] = "shape"

    def build(self, b: Builder):
        pads = [p for pair in zip(self.lp, self.rp) for p in pair]
        return ops.pad_ext(b.leaf(self.type, self.ne, name="a"), *pads)

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class ViewOp(OpCase):
    """A view op as the graph's output: backends must treat it as a no-op on the bytes."""

    fn: str
    type: GGMLType
    ne: tuple

    family: ClassVar[str] = "shape"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne, name="a")
        if self.fn == "RESHAPE":
            return ops.reshape_2d(a, self.ne[0] * self.ne[1], self.ne[2] * self.ne[3])
        if self.fn == "VIEW":
            return ops.view_2d(a, self.ne[0], self.ne[1] - 1, a.nb[1], a.nb[1])
        if self.fn == "PERMUTE":
            return ops.permute(a, 0, 2, 3, 1)
        return ops.transpose(a)

    def bound(self):
        return bd.EXACT


def cases() -> Iterator[OpCase]:
    for t in (F32, F16, I32):
        for nr in NR:
            yield Repeat(t, (10, 5, 4, 3), nr)
        yield Repeat(t, (5, 7, 3, 1), (2, 2, 2, 2), v=True)
        for dim in range(4):
            yield Concat(t, (11, 12, 13, 14), dim)
            yield Concat(t, (5, 7, 3, 2), dim, v=True)
    for rp, lp in (((1, 2, 3, 4), (0, 0, 0, 0)), ((3, 0, 1, 0), (2, 1, 0, 1)),
                   ((0, 0, 0, 0), (0, 0, 0, 0))):
        yield Pad(F32, (5, 7, 11, 3), rp, lp)
        yield Pad(F32, (512, 2, 1, 1), rp, lp)
    for fn in ("RESHAPE", "VIEW", "PERMUTE", "TRANSPOSE"):
        for t in (F32, F16, I32):
            yield ViewOp(fn, t, (6, 5, 4, 3))
    yield ViewOp("RESHAPE", Q8_0, (32, 5, 4, 3))
    yield ViewOp("VIEW", Q8_0, (64, 5, 1, 1))
