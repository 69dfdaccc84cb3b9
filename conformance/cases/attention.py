"""Attention pieces: DIAG_MASK_INF, SOFT_MAX (mask, scale, ALiBi), ROPE (NORMAL, NEOX)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ggsched import ops
from ggsched.op import RopeMode
from ggsched.types import GGMLType

from . import bounds as bd
from .base import Builder, OpCase
from .fills import Indices, Mask, Uniform

F32, F16, I32 = GGMLType.F32, GGMLType.F16, GGMLType.I32
N_CTX = 512


@dataclass(frozen=True)
class DiagMaskInf(OpCase):
    type: GGMLType
    ne: tuple
    n_past: int
    inplace: bool = False

    op: ClassVar[str] = "DIAG_MASK_INF"
    family: ClassVar[str] = "attention"

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne, name="a")
        return ops.diag_mask_inf(a, self.n_past, inplace=self.inplace)

    def bound(self):
        return bd.EXACT


@dataclass(frozen=True)
class SoftMax(OpCase):
    """softmax(a·scale + slope·mask); the mask has ``mask_rows`` ≥ ne[1] rows and is
    broadcast over dims 2 and 3 when ``mask_bcast``."""

    type: GGMLType
    ne: tuple
    mask: GGMLType | None = None
    mask_bcast: bool = False
    scale: float = 1.0
    max_bias: float = 0.0
    inplace: bool = False

    op: ClassVar[str] = "SOFT_MAX"
    family: ClassVar[str] = "attention"

    @property
    def types(self):
        return (self.type,) if self.mask is None else (self.type, self.mask)

    def build(self, b: Builder):
        a = b.leaf(self.type, self.ne, name="a")
        mask = None
        if self.mask is not None:
            ne2, ne3 = (1, 1) if self.mask_bcast else self.ne[2:]
            ne_m = (self.ne[0], self.ne[1] + 3, ne2, ne3)  # padded rows, as KQ masks are
            mask = b.leaf(self.mask, ne_m, Mask(), name="mask")
        return ops.soft_max_ext(a, mask, self.scale, self.max_bias, inplace=self.inplace)

    def bound(self):
        return bd.SOFT_MAX if self.mask != F16 else bd.Bound(
            bd.SOFT_MAX.nmse, ulp16=True, reason=bd.SOFT_MAX.reason + "; an f16 mask")


@dataclass(frozen=True)
class Rope(OpCase):
    """a: ne [head_dim, n_head, n_tokens, 1]; positions in [0, 512); YaRN parameters fs
    (freq_scale), ef (ext_factor), af (attn_factor); ``ff``: freq factors."""

    type: GGMLType
    ne: tuple
    n_dims: int
    mode: RopeMode
    fs: float = 1.0
    ef: float = 0.0
    af: float = 1.0
    ff: bool = False
    v: bool = False
    inplace: bool = False

    op: ClassVar[str] = "ROPE"
    family: ClassVar[str] = "attention"
    shown: ClassVar[tuple[str, ...]] = ("mode",)

    def build(self, b: Builder):
        a = b.operand(self.type, self.ne, name="a", v=self.v)
        pos = b.leaf(I32, (self.ne[2],), Indices(N_CTX), name="pos")
        ff = b.leaf(F32, (self.n_dims // 2,), Uniform(0.5, 2.0), name="ff") if self.ff else None
        return ops.rope_ext(a, pos, ff, self.n_dims, self.mode, N_CTX, 10000.0, self.fs,
                            self.ef, self.af, 32.0, 1.0, inplace=self.inplace)


YARN = ((1.0, 0.0, 1.0), (1.4245, 0.7465, 1.4245), (1.4245, 0.0, 1.0), (1.0, 0.7465, 1.4245))
ROPE_SHAPES = (((128, 4, 3, 1), (128, 64)), ((64, 8, 3, 1), (64, 32)), ((10, 5, 7, 1), (10, 4)),
               ((32, 2, 5, 1), (32, 16)))
SOFTMAX_SHAPES = ((16, 2, 32, 1), (32, 2, 4, 3), (5, 7, 4, 3), (1024, 2, 1, 1), (64, 64, 2, 1),
                  (7, 1, 3, 2))


def cases() -> Iterator[OpCase]:
    for ne in ((10, 10, 3, 2), (5, 7, 1, 1), (16, 4, 2, 1)):
        for n_past in (0, 3):
            yield DiagMaskInf(F32, ne, n_past)
        yield DiagMaskInf(F32, ne, 1, inplace=True)
    yield from _soft_max()
    yield from _rope()


def _soft_max() -> Iterator[OpCase]:
    for ne in SOFTMAX_SHAPES:
        yield SoftMax(F32, ne)
        yield SoftMax(F32, ne, scale=0.1)
        for mask in (F32, F16):
            for bcast in (False, True):
                yield SoftMax(F32, ne, mask, bcast)
                yield SoftMax(F32, ne, mask, bcast, scale=0.1)
                yield SoftMax(F32, ne, mask, bcast, scale=0.1, max_bias=8.0)
        yield SoftMax(F32, ne, F32, scale=0.5, inplace=True)


def _rope() -> Iterator[OpCase]:
    for t in (F32, F16):
        for mode in (RopeMode.NORMAL, RopeMode.NEOX):
            for ne, dims in ROPE_SHAPES:
                for n_dims in dims:
                    for fs, ef, af in YARN:
                        yield Rope(t, ne, n_dims, mode, fs, ef, af)
                yield Rope(t, ne, dims[1], mode, ff=True)
            yield Rope(t, ROPE_SHAPES[1][0], 32, mode, v=True)
            yield Rope(t, ROPE_SHAPES[1][0], 64, mode, v=True)
            yield Rope(t, ROPE_SHAPES[2][0], 10, mode, inplace=True)
