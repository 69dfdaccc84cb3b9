"""The allocation family: the graph allocator over the backend's buffer type.

reserve's measured size must hold the graph and smaller graphs of the same shape without
growing; no two tensors that are alive at the same time may overlap; in-place reuse may never
clobber a tensor that is still needed (computed on the backend, checked against the golden).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ggsched import golden, ops
from ggsched.alloc import GAllocr
from ggsched.graph import Graph, build_graph
from ggsched.op import VIEW_OPS
from ggsched.sched_eval import get_values, set_values
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .cases.bounds import graph_bound
from .checks import Check, Problem, Unsupported
from .compare import compare
from .schedrun import Weights
from .scheduling import model
from .targets import Target

F32 = GGMLType.F32
SIZES = {"gpt2": (16, 8, 4), "llama": (16, 8, 3), "bert": (16, 7, 2)}


def _refused(target: Target, graph: Graph) -> None:
    refused = sorted({n.op_desc for n in graph.nodes
                      if n.op not in VIEW_OPS and not target.backend.supports_op(n)})
    if refused:
        raise Unsupported(f"the backend refuses {', '.join(refused)}, so the graph cannot run "
                          "on it alone")


def compute_allocated(target: Target, graph: Graph, out: Tensor, feeds, weights) -> None:
    """Set the non-weight leafs, compute on the backend, compare the output with the golden."""
    for leaf in graph.leafs:
        if leaf not in weights.tensors:
            set_values(leaf, feeds[leaf])
    target.backend.graph_compute(graph)
    cmp = compare(get_values(out), golden.evaluate(graph, feeds)[out], graph_bound(graph.nodes))
    if not cmp.ok:
        raise Problem(f"output {out.describe()}: {cmp.describe()}")


@dataclass(frozen=True)
class Reserve(Check):
    """reserve() on the largest graph, then alloc_graph() on it and on smaller ones (fewer
    tokens): no buffer may grow, and every graph must compute right in that memory."""

    graph: str

    op: ClassVar[str] = "ALLOC_RESERVE"
    family: ClassVar[str] = "allocation"

    def check(self, target, seed):
        sizes = SIZES[self.graph]
        galloc = GAllocr(target.backend.default_buffer_type)
        first = model(self.graph, n_tokens=sizes[0])
        _refused(target, first.graph)
        if not galloc.reserve(first.graph):
            raise Problem("reserve() could not allocate the measured buffer")
        reserved = galloc.get_buffer_size(0)
        for n in sizes:
            m = first if n == sizes[0] else model(self.graph, n_tokens=n)
            feeds = m.feeds(np.random.default_rng(seed))
            with Weights([(m.weights, target.backend.default_buffer_type)], feeds) as w:
                if not galloc.alloc_graph(m.graph) or galloc.get_buffer_size(0) != reserved:
                    raise Problem(f"alloc_graph of the {n}-token graph grew the buffer from "
                                  f"{reserved} to {galloc.get_buffer_size(0)} bytes")
                compute_allocated(target, m.graph, m.output, feeds, w)


def lifetimes(graph: Graph) -> dict[Tensor, tuple[int, int]]:
    """[first, last] node index during which each memory-owning tensor must keep its bytes
    (leafs from the start; outputs to the end; a view's uses count for its root)."""
    end = len(graph.nodes)
    life: dict[Tensor, list[int]] = {t: [0, 0] for t in graph.leafs}
    for i, node in enumerate(graph.nodes):
        root = node.view_src if node.view_src is not None else node
        life.setdefault(root, [i, i])
        for s in node.sources:
            r = s.view_src if s.view_src is not None else s
            if r in life:
                life[r][1] = max(life[r][1], i)
        if node.is_output:
            life[root][1] = end
    return {t: (a, b) for t, (a, b) in life.items()}


def _extent(t: Tensor, size) -> tuple[object, int, int]:
    return (t.buffer, t.data, t.data + size(t))


def overlaps(graph: Graph, size) -> list[str]:
    """Pairs of tensors alive at once whose bytes overlap. At the node where a computed tensor
    dies, that node may take its memory by being computed in place on it; a leaf's or an
    input's memory is never taken."""
    life = lifetimes(graph)
    nodes = set(graph.nodes)
    tensors = [t for t in life if t.buffer is not None and t.data is not None]
    out = []
    for i, a in enumerate(tensors):
        ba, lo_a, hi_a = _extent(a, size)
        for b in tensors[i + 1:]:
            bb, lo_b, hi_b = _extent(b, size)
            if ba is not bb or hi_a <= lo_b or hi_b <= lo_a:
                continue
            (s1, e1), (s2, e2) = life[a], life[b]
            first, second = (a, b) if s1 <= s2 else (b, a)
            touching = (life[first][1] == life[second][0] and first in second.src
                        and first in nodes and not first.is_input)
            if min(e1, e2) >= max(s1, s2) and not touching:
                out.append(f"{a.describe()} (alive {life[a]}) and {b.describe()} (alive "
                           f"{life[b]}) share bytes")
    return out


@dataclass(frozen=True)
class NoOverlap(Check):
    graph: str

    op: ClassVar[str] = "ALLOC_NO_OVERLAP"
    family: ClassVar[str] = "allocation"

    def check(self, target, seed):
        m = model(self.graph, n_tokens=SIZES[self.graph][0])
        buft = target.backend.default_buffer_type
        feeds = m.feeds(np.random.default_rng(seed))
        with Weights([(m.weights, buft)], feeds):
            if not GAllocr(buft).alloc_graph(m.graph):
                raise Problem("alloc_graph failed")
            bad = overlaps(m.graph, buft.alloc_size)
        if bad:
            raise Problem(f"{len(bad)} overlap(s) of live tensors: " + "; ".join(bad[:3]))


def _tempting(n: int) -> tuple[Graph, Tensor, list[Tensor]]:
    """Ops the allocator may run in place, over tensors needed again later."""
    x, y = ops.new_tensor(F32, (n, 5), "x").set_input(), ops.new_tensor(F32, (n, 5), "y")
    y.set_input()
    a = ops.add(x, y)
    b = ops.scale(ops.silu(a), 2.0)  # silu may not reuse a (a is needed below); scale may
    d = ops.soft_max(ops.mul(a, b))
    e = ops.rms_norm(ops.add(d, x))  # x, an input, is still needed here
    out = ops.add(ops.sub(e, a), y).set_output()
    return build_graph(out), out, [x, y]


@dataclass(frozen=True)
class Inplace(Check):
    n: int

    op: ClassVar[str] = "ALLOC_INPLACE"
    family: ClassVar[str] = "allocation"

    def check(self, target, seed):
        graph, out, inputs = _tempting(self.n)
        _refused(target, graph)
        rng = np.random.default_rng(seed)
        feeds = {t: rng.uniform(-1, 1, size=t.shape) for t in inputs}
        if not GAllocr(target.backend.default_buffer_type).alloc_graph(graph):
            raise Problem("alloc_graph failed")
        compute_allocated(target, graph, out, feeds, Weights([], feeds))


def cases() -> Iterator[Check]:
    for graph in SIZES:
        yield Reserve(graph)
        yield NoOverlap(graph)
    for n in (16, 33):
        yield Inplace(n)


def quick() -> list[Check]:
    return list(cases())
