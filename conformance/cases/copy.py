"""Copies between layouts and types: CPY (with conversion and quantization), CONT, DUP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.types import GGMLType

from . import bounds as bd
from .base import CONT, Builder, OpCase

F32, F16, I32, Q8_0, Q4_0 = (GGMLType.F32, GGMLType.F16, GGMLType.I32, GGMLType.Q8_0,
                             GGMLType.Q4_0)
QUANT = (Q8_0, Q4_0)
PAIRS = (  # (src, dst): same-type copies, float conversions, quantize, dequantize
    (F32, F32), (F16, F16), (I32, I32), (Q8_0, Q8_0), (Q4_0, Q4_0),
    (F32, F16), (F16, F32), (F32, Q8_0), (F32, Q4_0), (F16, Q8_0), (Q8_0, F32), (Q4_0, F32),
)
BLOCK_SHAPES = ((32, 2, 3, 4), (256, 4, 1, 1), (96, 3, 2, 1))
ODD_SHAPES = ((10, 10, 10, 1), (5, 7, 11, 13))
TRANSPOSE = (1, 0, 2, 3)
PER_0213 = (0, 2, 1, 3)


def copy_bound(src: GGMLType, dst: GGMLType) -> bd.Bound:
    """Same type, widening and dequantizing are exact; narrowing to f16 or quantizing is not."""
    if dst in QUANT and src != dst:
        return bd.quantized_store(dst)
    if (src, dst) == (F32, F16):
        return bd.F16_ROUNDING
    return bd.EXACT


@dataclass(frozen=True)
class Cpy(OpCase):
    """a (permuted by ``per_src``) copied into b (permuted by ``per_dst``) of another type."""

    type_src: GGMLType
    type_dst: GGMLType
    ne: tuple
    per_src: tuple = CONT
    per_dst: tuple = CONT

    op: ClassVar[str] = "CPY"
    family: ClassVar[str] = "copy"

    def build(self, b: Builder):
        a = b.operand(self.type_src, self.ne, name="src", per=self.per_src)
        dst = b.operand(self.type_dst, self.ne, name="dst", per=self.per_dst)
        return ops.cpy(a, dst)

    def bound(self):
        return copy_bound(self.type_src, self.type_dst)


@dataclass(frozen=True)
class Cont(OpCase):
    """CONT (or DUP) of a permuted or offset view."""

    fn: str
    type: GGMLType
    ne: tuple
    per: tuple = CONT
    v: bool = False

    family: ClassVar[str] = "copy"
    hidden: ClassVar[tuple[str, ...]] = ("fn",)

    @property
    def op(self) -> str:
        return self.fn

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v, per=self.per)
        return ops.cont(a) if self.fn == "CONT" else ops.dup(a)

    def bound(self):
        return bd.EXACT


def _src_layouts(src: GGMLType) -> tuple[tuple, ...]:
    # a quantized tensor keeps its blocks along ne[0]: it cannot be transposed
    return (CONT, PER_0213) if src in QUANT else (CONT, PER_0213, TRANSPOSE)


def cases() -> Iterator[OpCase]:
    for src, dst in PAIRS:
        quant = src in QUANT or dst in QUANT
        for ne in BLOCK_SHAPES if quant else BLOCK_SHAPES + ODD_SHAPES:
            for per in _src_layouts(src):
                yield Cpy(src, dst, ne, per_src=per)
            yield Cpy(src, dst, ne, per_dst=PER_0213)
    for fn in ("CONT", "DUP"):
        for t in (F32, F16, I32, Q8_0):
            shapes = BLOCK_SHAPES if t in QUANT else BLOCK_SHAPES + ODD_SHAPES
            for ne in shapes:
                for per in _src_layouts(t):
                    yield Cont(fn, t, ne, per=per)
                yield Cont(fn, t, ne, v=True)
