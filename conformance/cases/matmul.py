"""Matrix products: MUL_MAT (b·aᵀ, broadcast over dims 2 and 3) and OUT_PROD.

The sweep follows test-backend-ops: every src0 type at m=16, k=256, n=1..9; batches ``bs``
with broadcast factors ``nr``; permuted operands ``per``; rows with gaps ``v``; odd sizes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.types import GGMLType

from . import bounds as bd
from .base import CONT, Builder, OpCase

F32, F16, Q8_0, Q4_0 = GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0
TYPES_A = (F32, F16, Q8_0, Q4_0)


@dataclass(frozen=True)
class MulMat(OpCase):
    """a: ne [k, m, bs0, bs1]; b: ne [k, n, bs0·nr0, bs1·nr1]; result ne [m, n, ...]."""

    type_a: GGMLType
    type_b: GGMLType
    m: int
    n: int
    k: int
    bs: tuple = (1, 1)
    nr: tuple = (1, 1)
    per: tuple = CONT
    v: bool = False

    op: ClassVar[str] = "MUL_MAT"
    family: ClassVar[str] = "matmul"

    def build(self, b: Builder):
        bs, nr = self.bs, self.nr
        a = b.operand(self.type_a, (self.k, self.m, *bs), name="a", v=self.v, per=self.per)
        ne_b = (self.k, self.n, bs[0] * nr[0], bs[1] * nr[1])
        return ops.mul_mat(a, b.operand(self.type_b, ne_b, name="b", v=self.v, per=self.per))

    def bound(self):
        return bd.matmul(self.type_a, self.type_b)

    def op_flops(self) -> int:
        batch = self.bs[0] * self.nr[0] * self.bs[1] * self.nr[1]
        return 2 * self.m * self.n * self.k * batch


@dataclass(frozen=True)
class OutProd(OpCase):
    """a: ne [m, k, bs0, bs1]; b: ne [n, k, bs0·nr0, bs1·nr1]; result ne [m, n, ...]."""

    type_a: GGMLType
    type_b: GGMLType
    m: int
    n: int
    k: int
    bs: tuple = (1, 1)
    nr: tuple = (1, 1)

    op: ClassVar[str] = "OUT_PROD"
    family: ClassVar[str] = "matmul"

    def build(self, b: Builder):
        bs, nr = self.bs, self.nr
        a = b.leaf(self.type_a, (self.m, self.k, *bs), name="a")
        src1 = b.leaf(self.type_b, (self.n, self.k, bs[0] * nr[0], bs[1] * nr[1]), name="b")
        return ops.out_prod(a, src1)

    def bound(self):
        return bd.matmul(self.type_a, self.type_b)

    def op_flops(self) -> int:
        batch = self.bs[0] * self.nr[0] * self.bs[1] * self.nr[1]
        return 2 * self.m * self.n * self.k * batch


BATCHES = ((1, 1), (10, 1), (10, 10), (2, 3))
BROADCASTS = ((1, 1), (2, 1), (1, 2), (2, 2))
PERMS = ((0, 2, 1, 3), (0, 1, 3, 2), (0, 3, 2, 1))


def cases() -> Iterator[OpCase]:
    for ta in TYPES_A:
        for tb in (F32, F16):
            for n in range(1, 10):
                yield MulMat(ta, tb, 16, n, 256)
            yield MulMat(ta, tb, 64, 32, 128)
        for bs in BATCHES:
            for nr in BROADCASTS:
                for n in (1, 9):
                    yield MulMat(ta, F32, 16, n, 64, bs, nr)
        for n in (1, 9):
            yield MulMat(ta, F32, 16, n, 256, v=True)
            yield MulMat(ta, F32, 16, n, 64, (2, 3), v=True)
    for ta in TYPES_A:
        for n in (1, 4, 32):
            for k in (256, 1024):
                yield MulMat(ta, F32, 128, n, k)
    yield from _odd_sizes()
    yield from _permuted()
    yield from _out_prod()


def _odd_sizes() -> Iterator[OpCase]:
    for ta, tb in ((F32, F32), (F16, F32), (F16, F16)):
        for m in (1, 7, 33):
            for n in (1, 5, 17):
                for k in (1, 5, 127):
                    yield MulMat(ta, tb, m, n, k)
    for ta in (Q8_0, Q4_0):
        for m in (1, 7, 33):
            for n in (1, 5):
                for k in (32, 96):
                    yield MulMat(ta, F32, m, n, k)


def _permuted() -> Iterator[OpCase]:
    for ta in (F32, F16, Q8_0):
        for per in PERMS:
            for n in (1, 9):
                yield MulMat(ta, F32, 16, n, 64, (3, 2), per=per)


def _out_prod() -> Iterator[OpCase]:
    for ta in TYPES_A:
        m = 32 if ta in (Q8_0, Q4_0) else 16
        for n in (1, 16):
            for k in (1, 16):
                for bs in ((1, 1), (2, 3)):
                    for nr in ((1, 1), (2, 2)):
                        yield OutProd(ta, F32, m, n, k, bs, nr)
