"""Row indexing: GET_ROWS (gather, any source type, I32 indices) and SET_ROWS (scatter into a
possibly quantized destination, I32 or I64 indices)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.types import GGMLType

from . import bounds as bd
from .base import Builder, OpCase
from .copy import copy_bound
from .fills import Indices

F32, F16, I32, I64, Q8_0, Q4_0 = (GGMLType.F32, GGMLType.F16, GGMLType.I32, GGMLType.I64,
                                  GGMLType.Q8_0, GGMLType.Q4_0)


@dataclass(frozen=True)
class GetRows(OpCase):
    """a: ne [n, m, b, c] (m rows of n); rows: ne [r, b, c] in [0, m); result ne [n, r, b, c]."""

    type: GGMLType
    n: int
    m: int
    r: int
    b: int = 1
    c: int = 1
    v: bool = False

    op: ClassVar[str] = "GET_ROWS"
    family: ClassVar[str] = "index"
    shown: ClassVar[tuple[str, ...]] = ("b", "v")

    def build(self, b: Builder):
        a = b.operand(self.type, (self.n, self.m, self.b, self.c), name="a", v=self.v)
        rows = b.leaf(I32, (self.r, self.b, self.c), Indices(self.m), name="rows")
        return ops.get_rows(a, rows)

    def bound(self):
        return bd.EXACT  # dequantizing q*d is exact in f32; f16 widens exactly


@dataclass(frozen=True)
class SetRows(OpCase):
    """dst: ne [n, m, b, c]; src: ne [n, r, b, c] (f32); rows: ne [r, bi, ci] broadcast over
    (b, c); each index row is a set of distinct rows, so the writes do not race."""

    type: GGMLType
    type_idx: GGMLType
    n: int
    m: int
    r: int
    b: int = 1
    c: int = 1
    bi: int = 1
    ci: int = 1
    v: bool = False

    op: ClassVar[str] = "SET_ROWS"
    family: ClassVar[str] = "index"

    def build(self, b: Builder):
        dst = b.operand(self.type, (self.n, self.m, self.b, self.c), name="dst", v=self.v)
        src = b.leaf(F32, (self.n, self.r, self.b, self.c), name="src")
        rows = b.leaf(self.type_idx, (self.r, self.bi, self.ci), Indices(self.m, True), "rows")
        return ops.set_rows(dst, src, rows)

    def bound(self):
        return copy_bound(F32, self.type)


def cases() -> Iterator[OpCase]:
    for t in (F32, F16, Q8_0, Q4_0, I32):
        n = 32 if t in (Q8_0, Q4_0) else 10
        for v in (False, True):
            yield GetRows(t, n, 5, 3, v=v)
            yield GetRows(t, n, 5, 3, b=3, v=v)
            yield GetRows(t, n, 7, 9, b=2, c=3, v=v)
        yield GetRows(t, 256, 80, 70)
        yield GetRows(t, n, 10, 20, b=4)
        yield GetRows(t, n, 10, 20, b=4, v=True)
        yield GetRows(t, n, 1, 1)
    for t in (F32, F16, Q8_0, Q4_0):
        for ti in (I64, I32):
            yield SetRows(t, ti, 32, 10, 3)
            yield SetRows(t, ti, 32, 16, 4, b=3, c=2, bi=3, ci=2)
            yield SetRows(t, ti, 32, 16, 4, b=3, c=2)
            yield SetRows(t, ti, 64, 7, 7, v=True)
        if t in (F32, F16):
            yield SetRows(t, I64, 5, 10, 3, b=2, bi=2)
