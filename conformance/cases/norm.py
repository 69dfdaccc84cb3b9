"""Normalizations: NORM, RMS_NORM, L2_NORM (along ne[0]) and GROUP_NORM (groups of ne[2])."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.types import GGMLType

from .base import Builder, OpCase

F32 = GGMLType.F32
SHAPES = ((64, 5, 4, 3), (5, 7, 11, 13), (1025, 2, 1, 1))
EPS = {"NORM": (1e-5, 1e-1), "RMS_NORM": (1e-6, 1e-1), "L2_NORM": (1e-12, 1e-1)}


@dataclass(frozen=True)
class Norm(OpCase):
    fn: str
    type: GGMLType
    ne: tuple
    eps: float
    v: bool = False
    inplace: bool = False

    family: ClassVar[str] = "norm"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        return getattr(ops, self.fn.lower())(a, self.eps, inplace=self.inplace)


@dataclass(frozen=True)
class GroupNorm(OpCase):
    type: GGMLType
    ne: tuple
    n_groups: int
    eps: float = 1e-6

    op: ClassVar[str] = "GROUP_NORM"
    family: ClassVar[str] = "norm"

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne, name="a")
        return ops.group_norm(a, self.n_groups, self.eps)


def cases() -> Iterator[OpCase]:
    for fn, eps_values in EPS.items():
        for eps in eps_values:
            for ne in SHAPES:
                yield Norm(fn, F32, ne, eps)
            yield Norm(fn, F32, SHAPES[0], eps, v=True)
            yield Norm(fn, F32, SHAPES[1], eps, v=True)
        yield Norm(fn, F32, SHAPES[1], eps_values[0], inplace=True)
    for ne, groups in (((8, 8, 12, 2), 3), ((8, 8, 12, 2), 4), ((5, 7, 6, 1), 2),
                       ((5, 7, 5, 1), 2)):
        yield GroupNorm(F32, ne, groups)
