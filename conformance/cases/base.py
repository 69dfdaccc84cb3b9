"""A conformance case: one op on described operands, that names itself, builds its own graph,
makes its own feeds and carries its own error bound.

A case is a frozen dataclass whose fields are its variables, in the order its id shows them
(ggml's ``op(vars)``: ``MUL_MAT(type_a=q8_0,type_b=f32,m=16,n=1,k=256,bs=[2,3])``). Fields left
at their default are not shown. The same objects drive correctness (``instantiate`` →
graph + feeds + bound) and performance (``op_flops``, ``op_size``).
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from ggsched import ops
from ggsched.graph import Graph, build_graph
from ggsched.layout import from_numpy_bytes
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from . import bounds as bd
from .fills import UNIFORM, Fill

CONT = (0, 1, 2, 3)


def fmt(value: Any) -> str:
    """A variable's value as test-backend-ops prints it."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, GGMLType):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Builder:
    """Creates a case's leaf tensors and remembers how each is to be filled."""

    def __init__(self) -> None:
        self.fills: dict[Tensor, Fill] = {}

    def leaf(self, type: GGMLType, ne: Sequence[int], fill: Fill = UNIFORM, name: str = ""):
        t = ops.new_tensor(type, ne, name)
        self.fills[t] = fill
        return t

    def operand(
        self,
        type: GGMLType,
        ne: Sequence[int],
        fill: Fill = UNIFORM,
        name: str = "",
        v: bool = False,
        per: Sequence[int] = CONT,
    ) -> Tensor:
        """A source of ne ``ne``: contiguous, or a view with an offset and gaps between rows
        (``v``), or a permutation of a contiguous leaf (``per``: dim i becomes dim per[i])."""
        ne = tuple(ne) + (1,) * (4 - len(ne))
        if tuple(per) != CONT:
            base_ne = [ne[per[i]] for i in range(4)]
            return ops.permute(self.leaf(type, base_ne, fill, name), *per)
        if v:
            return self._offset_view(type, ne, fill, name)
        return self.leaf(type, ne, fill, name)

    def _offset_view(self, type, ne, fill, name) -> Tensor:
        # ggml's "v" cases: rows three times wider, the view starting one element (block) in
        wide = self.leaf(type, (ne[0] * 3, *ne[1:]), fill, name)
        offset = type.traits.type_size
        return ops.view_4d(wide, *ne, wide.nb[1], wide.nb[2], wide.nb[3], offset)


@dataclass
class CaseGraph:
    """One fresh instance of a case: its graph, the output(s) to check and the leaf fills."""

    graph: Graph
    outputs: list[Tensor]
    fills: dict[Tensor, Fill]

    def feeds(self, seed: int, case_id: str) -> dict[Tensor, np.ndarray]:
        """Seeded values for every leaf, as stored (f16-rounded, quantized to raw bytes).

        The stream depends on the seed and the case id only, so a case gets the same data
        whatever runs before it (in any order, on any xdist worker).
        """
        rng = np.random.default_rng([seed, zlib.crc32(case_id.encode())])
        return {t: stored(t, self.fills.get(t, UNIFORM).draw(rng, t)) for t in self.graph.leafs}


def stored(t: Tensor, values: np.ndarray) -> np.ndarray:
    """Values as t's type stores them: the plain dtype, or raw block bytes for quantized."""
    if t.traits.is_quantized:
        return from_numpy_bytes(t.type, values)
    return np.asarray(values).astype(t.traits.dtype)


class Named:
    """A case that names itself: ``OP(var=value,...)`` from its dataclass fields.

    Subclasses are frozen dataclasses with class attributes ``op`` and ``family``.
    """

    op: ClassVar[str]
    family: ClassVar[str]
    # fields always shown in the id even at their default, and fields never shown (a sub-op
    # that the op name already says)
    shown: ClassVar[tuple[str, ...]] = ()
    hidden: ClassVar[tuple[str, ...]] = ()

    def vars(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in self.hidden:
                continue
            if f.name in self.shown or f.default is dataclasses.MISSING or value != f.default:
                parts.append(f"{f.name}={fmt(value)}")
        return ",".join(parts)

    @property
    def id(self) -> str:
        return f"{self.op}({self.vars()})"

    def __str__(self) -> str:
        return self.id

    @property
    def types(self) -> tuple[GGMLType, ...]:
        """The types the case is about (fields named type*), for reports and bounds."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self)
                     if f.name.startswith("type") and getattr(self, f.name) is not None)


@dataclass(frozen=True)
class OpCase(Named, abc.ABC):
    """Base of every op case. Subclasses set ``op`` and ``family`` and write ``build``."""

    @abc.abstractmethod
    def build(self, b: Builder) -> Tensor:
        """Create the operands with ``b`` and return the op's result."""

    # -- instances, bounds, costs -----------------------------------------------------------

    def instantiate(self) -> CaseGraph:
        b = Builder()
        out = self.build(b)
        out.set_output()
        return CaseGraph(build_graph(out), [out], b.fills)

    def bound(self) -> bd.Bound:
        return bd.for_types(self.types)

    def op_flops(self) -> int:
        """Floating-point operations of one evaluation (0: not a compute-bound op)."""
        return 0

    def op_size(self) -> int:
        """Bytes an evaluation moves: the result and its sources (test-backend-ops' op_size)."""
        out = self.instantiate().outputs[0]
        return out.nbytes + sum(s.nbytes for s in out.sources)
