"""Randomized invariants of the graph allocator over hundreds of generated graphs.

Liveness is computed here from the graph order alone, independently of the allocator: a
tensor's memory is busy from the step that creates it (before step 0 for leafs and inputs) to
the last step that reads it or any view of it (forever for outputs). Two tensors whose memory
overlaps must never be busy at the same step, except where an in-place op takes over its
dying parent's memory at the very step that reads it.
"""

from __future__ import annotations

import math

from alloc_strategies import graphs, setups
from ggsched.alloc import GAllocr, alloc_ctx_tensors_from_buft
from ggsched.backends.null import NullBufferType
from ggsched.op import INPLACE_OPS
from ggsched.tensor import Tensor, are_same_layout
from hypothesis import given, settings

FOREVER = math.inf

# -- liveness, independent of the allocator -------------------------------------------------------


def liveness(graph) -> dict[Tensor, tuple[float, float]]:
    """(first busy step, last busy step) of every tensor that owns memory."""
    live: dict[Tensor, list[float]] = {t: [-1, -1] for t in graph.leafs}
    for i, node in enumerate(graph.nodes):
        if node.view_src is None:
            live.setdefault(node, [i, i])
        if node.is_input:
            live[node][0] = -1
    for i, node in enumerate(graph.nodes):
        touched = [*node.sources] + ([node.view_src] if node.view_src is not None else [])
        for s in touched:
            root = s.root
            if root in live:
                live[root][1] = max(live[root][1], i)
    for t, span in live.items():
        if t.is_output:
            span[1] = FOREVER
    return {t: (a, b) for t, (a, b) in live.items()}


def takes_over(graph, a: Tensor, b: Tensor, live) -> bool:
    """b is an in-place op computed at the step where its parent a dies (ggml's reuse)."""
    step = live[b][0]
    return (
        b.op in INPLACE_OPS
        and any(s is a for s in b.src)
        and are_same_layout(a, b)
        and live[a][1] == step
    )


def regions_overlap(a: Tensor, b: Tensor, size) -> bool:
    if a.buffer is not b.buffer:
        return False
    return a.data < b.data + size(b) and b.data < a.data + size(a)


# -- the properties -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(setups())
def test_gallocr_invariants(setup):
    graph, weights, alignment, max_size, pad, n_bufs, node_ids, leaf_ids = setup

    def alloc_size(t):  # padding that depends on the layout only, as a real buffer type's
        return t.nbytes + (pad if t.ne[1] > 1 else 0)

    kw = dict(alignment=alignment, alloc_size=alloc_size)
    if max_size:
        kw["max_size"] = max_size
    bufts = [NullBufferType(f"B{i}", **kw) for i in range(n_bufs)]
    if weights:
        alloc_ctx_tensors_from_buft(weights, NullBufferType("W", 32))
    galloc = GAllocr(bufts)

    sizes = galloc.reserve_n_size(graph, node_ids, leaf_ids)
    assert galloc.reserve_n(graph, node_ids, leaf_ids)
    assert [galloc.get_buffer_size(i) for i in range(n_bufs)] == sizes
    allocated = [list(b.allocations) for b in bufts]
    assert galloc.alloc_graph(graph)
    assert [b.allocations for b in bufts] == allocated, "alloc_graph grew a buffer after reserve"

    owned = [t for t in graph.tensors() if t.view_src is None and t not in weights]
    for t in owned:
        assert t.buffer is not None, f"{t.name} was not allocated"
        assert t.buffer.buft in bufts
        assert t.data % alignment == 0, f"{t.name} at {t.data} breaks alignment {alignment}"
        assert t.data + alloc_size(t) <= t.buffer.size, f"{t.name} runs past its buffer"
    for t in graph.tensors():
        if t.view_src is not None and t.view_src.buffer is not None:
            assert t.buffer is t.view_src.buffer and t.data == t.view_src.data + t.view_offs

    live = liveness(graph)
    for i, a in enumerate(owned):
        for b in owned[i + 1:]:
            if not regions_overlap(a, b, alloc_size):
                continue
            (a0, a1), (b0, b1) = live[a], live[b]
            if a1 < b0 or b1 < a0:
                continue
            assert takes_over(graph, a, b, live) or takes_over(graph, b, a, live), (
                f"{a.name} [{a.data}, +{alloc_size(a)}) busy {live[a]} overlaps "
                f"{b.name} [{b.data}, +{alloc_size(b)}) busy {live[b]}"
            )


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_measured_size_is_at_least_the_live_bytes_of_any_step(generated):
    graph, _ = generated
    buft = NullBufferType("B", 32)
    galloc = GAllocr(buft)
    assert galloc.reserve(graph)
    live = liveness(graph)
    steps = range(-1, graph.n_nodes)
    # at each step, the tensors busy then (bar in-place takeovers) need distinct bytes
    for step in steps:
        busy = [t for t, (a, b) in live.items() if a <= step <= b]
        need = sum(-(-t.nbytes // 32) * 32 for t in busy)
        shared = sum(
            -(-a.nbytes // 32) * 32
            for a in busy
            for b in busy
            if b is not a and live[b][0] == step and takes_over(graph, a, b, live)
        )
        assert galloc.get_buffer_size(0) >= need - shared
