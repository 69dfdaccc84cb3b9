"""Lay out a case's tensors in one buffer of the backend under test, with guard bytes.

Every tensor that owns memory (leafs and non-view nodes) gets its place through the linear
allocator (``ggsched.alloc.TAllocr``), with a guard tensor before and after it. The whole
buffer starts filled with ``GAP_BYTE``; node outputs are then set to ``UNSET_BYTE`` (a NaN in
f32 and f16), so an element a kernel forgets to write shows as a NaN. After compute, every byte
outside a tensor's allocation must still be ``GAP_BYTE`` (an out-of-bounds write otherwise),
and every leaf must hold its feed except where a node writes into it (CPY, SET_ROWS, in-place).
"""

from __future__ import annotations

import numpy as np
from ggsched.alloc import TAllocr
from ggsched.backend import Backend, Buffer, tensor_get, tensor_memset, tensor_set, view_init
from ggsched.graph import Graph
from ggsched.op import VIEW_OPS
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

GUARD_BYTES = 64
GAP_BYTE = 0x5A
UNSET_BYTE = 0xFF


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def whole(buffer: Buffer) -> Tensor:
    """An i8 tensor spanning the whole buffer, to read it back through the public API."""
    t = Tensor(GGMLType.I8, (buffer.size,), name="<whole buffer>")
    t.buffer, t.data = buffer, 0
    return t


class Placement:
    """The tensors of ``graph`` placed in one fresh buffer of ``backend``'s default type."""

    def __init__(self, backend: Backend, graph: Graph) -> None:
        self.graph = graph
        tensors = list(graph.tensors())
        self.roots = [t for t in tensors if t.view_src is None]
        self.views = [t for t in tensors if t.view_src is not None]
        self.buft = backend.default_buffer_type
        self.buffer = self.buft.alloc_buffer(self._size())
        self.buffer.clear(GAP_BYTE)
        self._place()

    def _size(self) -> int:
        align = self.buft.alignment
        total = _align(GUARD_BYTES, align) * (len(self.roots) + 1) + align
        return total + sum(_align(self.buft.alloc_size(t), align) for t in self.roots)

    def _place(self) -> None:
        talloc = TAllocr(self.buffer)
        for t in self.roots:
            talloc.alloc(Tensor(GGMLType.I8, (GUARD_BYTES,), name="<guard>"))
            talloc.alloc(t)
        talloc.alloc(Tensor(GGMLType.I8, (GUARD_BYTES,), name="<guard>"))
        for t in self.views:
            view_init(t)
        self.owned = [(t, t.data, t.data + self.buft.alloc_size(t)) for t in self.roots]

    # -- data ---------------------------------------------------------------------------------

    def load(self, feeds: dict[Tensor, np.ndarray]) -> None:
        """Write every leaf's bytes and mark every node output as not yet written."""
        for leaf, raw in feeds.items():
            tensor_set(leaf, raw)
        for t in self.graph.nodes:
            if t.view_src is None:
                tensor_memset(t, UNSET_BYTE)

    def snapshot(self) -> np.ndarray:
        return tensor_get(whole(self.buffer))

    def free(self) -> None:
        self.buffer.free()

    # -- checks -------------------------------------------------------------------------------

    def stray_writes(self, raw: np.ndarray) -> str | None:
        """Bytes outside every tensor's allocation that changed, described; None if none."""
        outside = np.ones(raw.size, dtype=bool)
        for _, lo, hi in self.owned:
            outside[lo:hi] = False
        bad = np.flatnonzero(outside & (raw != GAP_BYTE))
        if not bad.size:
            return None
        first = int(bad[0])
        before = [(t, hi) for t, _, hi in self.owned if hi <= first]
        where = f"byte {first} of the buffer"
        if before:
            t, hi = before[-1]
            where += f", {first - hi} byte(s) past the end of {t.describe()}"
        return f"out-of-bounds write: {bad.size} guard byte(s) changed; the first at {where}"

    def clobbered_inputs(self, raw: np.ndarray, feeds: dict[Tensor, np.ndarray]) -> str | None:
        """A leaf whose bytes changed where no node of the graph writes; None if none."""
        written = self._written_extents()
        for leaf, fed in feeds.items():
            region = raw[leaf.data: leaf.data + leaf.nbytes]
            keep = np.ones(leaf.nbytes, dtype=bool)
            for lo, hi in written.get(leaf, ()):
                keep[lo:hi] = False
            bad = np.flatnonzero(keep & (region != fed.reshape(-1).view(np.uint8)))
            if bad.size:
                return (f"input {leaf.describe()} was overwritten at {bad.size} byte(s) (the "
                        f"first at its byte {int(bad[0])}) where no node of the graph writes")
        return None

    def _written_extents(self) -> dict[Tensor, list[tuple[int, int]]]:
        """Byte ranges of leafs that nodes write into (CPY, SET_ROWS, in-place ops)."""
        out: dict[Tensor, list[tuple[int, int]]] = {}
        for t in self.graph.nodes:
            if t.view_src is not None and t.op not in VIEW_OPS:
                out.setdefault(t.view_src, []).append((t.view_offs, t.view_offs + t.nbytes))
        return out
