"""Real ggml's graph allocator on a ggsched Graph: the yardstick for ``ggsched.alloc``.

The graph is rebuilt in ggml with our INPUT/OUTPUT flags; ``static`` leafs (weights) are first
placed in a buffer of their own, so ggml's gallocr leaves them alone, as a ggml program does.
Then a fresh ``ggml_gallocr_new(cpu buft)`` reserves (measures) the graph, and optionally
allocates it to report where each tensor landed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ggsched.errors import AllocationError
from ggsched.graph import Graph
from ggsched.tensor import Tensor

from .build import GgmlGraph
from .lib import Lib, load


@dataclass
class GallocrPlan:
    """What ggml's gallocr decided for a graph (CPU buffer type, alignment 32).

    ``size``: the compute buffer (ggml_gallocr_get_buffer_size(galloc, 0)); ``static_size``:
    the separate buffer the static tensors were given; ``offsets``: byte offset of every
    non-static tensor in the compute buffer (views included), filled by ``gallocr_plan``.
    """

    size: int
    static_size: int = 0
    offsets: dict[Tensor, int] = field(default_factory=dict)


def measure_gallocr(graph: Graph, static: Iterable[Tensor] = (), lib: Lib | None = None) -> int:
    """Bytes real ggml's gallocr reserves for ``graph`` (ggml_gallocr_reserve on a fresh one)."""
    return _run(graph, static, lib, allocate=False).size


def gallocr_plan(
    graph: Graph, static: Iterable[Tensor] = (), lib: Lib | None = None
) -> GallocrPlan:
    """reserve, then ggml_gallocr_alloc_graph, then each tensor's offset in the buffer."""
    return _run(graph, static, lib, allocate=True)


def _run(graph: Graph, static: Iterable[Tensor], lib: Lib | None, allocate: bool) -> GallocrPlan:
    lib = lib if lib is not None else load()
    static = list(static)
    gg = GgmlGraph(graph, static=static, lib=lib)
    fn = lib.fn
    buft = fn("ggml_backend_cpu_buffer_type")()
    galloc = static_buf = None
    try:
        gg.check()
        plan = GallocrPlan(0)
        if gg.ctx_static is not None:
            static_buf = fn("ggml_backend_alloc_ctx_tensors_from_buft")(gg.ctx_static, buft)
            plan.static_size = fn("ggml_backend_buffer_get_size")(static_buf) if static_buf else 0
        galloc = fn("ggml_gallocr_new")(buft)
        if not fn("ggml_gallocr_reserve")(galloc, gg.gf):
            raise AllocationError(f"ggml_gallocr_reserve failed for {graph!r}")
        plan.size = fn("ggml_gallocr_get_buffer_size")(galloc, 0)
        if allocate:
            _allocate(lib, gg, galloc, graph, plan, {id(t) for t in static})
        return plan
    finally:
        if galloc:
            fn("ggml_gallocr_free")(galloc)
        if static_buf:
            fn("ggml_backend_buffer_free")(static_buf)
        gg.close()


def _allocate(lib, gg: GgmlGraph, galloc, graph: Graph, plan: GallocrPlan, static: set) -> None:
    if not lib.fn("ggml_gallocr_alloc_graph")(galloc, gg.gf):
        raise AllocationError(f"ggml_gallocr_alloc_graph failed for {graph!r}")
    for t, p in gg.tensors():
        g = p.contents
        if id(t.root) in static or not g.data or not g.buffer:
            continue
        plan.offsets[t] = g.data - lib.fn("ggml_backend_buffer_get_base")(g.buffer)
