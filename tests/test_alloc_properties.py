"""Randomized invariants of the graph allocator over hundreds of generated graphs.

Liveness is computed here from the graph order alone, independently of the allocator: a
tensor's memory is busy from the step that creates it (before step 0 for leafs and inputs) to
the last step that reads it or any view of it (forever for outputs). Two tensors whose memory
overlaps must never be busy at the same step, except where an in-place op takes over its
dying parent's memory at the very step that reads it.
"""

from __future__ import annotations

import math

from ggsched import build_graph, ops
from ggsched.alloc import GAllocr, alloc_ctx_tensors_from_buft
from ggsched.backends.null import NullBufferType
from ggsched.op import INPLACE_OPS, Op
from ggsched.tensor import Tensor, are_same_layout, can_repeat, new_tensor
from hypothesis import given, settings
from hypothesis import strategies as st

FOREVER = math.inf

# -- generated graphs -----------------------------------------------------------------------------

SHAPES = [(4, 1), (8, 1), (8, 2), (4, 4), (16, 2), (32, 1)]
STEP = st.tuples(st.integers(0, 11), st.integers(0, 63), st.integers(0, 63), st.integers(0, 7))


def _pick(pool: list[Tensor], i: int) -> Tensor:
    """Mostly one of the last few tensors (long dependent chains), sometimes any."""
    if i < 48:
        return pool[-1 - i % min(3, len(pool))]
    return pool[i % len(pool)]


def _elementwise(x: Tensor, k: int) -> Tensor:
    if not x.is_contiguous:
        x = ops.cont(x)
    return [
        lambda: ops.scale(x, 0.5),
        lambda: ops.sqr(x),
        lambda: ops.unary(x, "gelu"),
        lambda: ops.soft_max(x),
        lambda: ops.diag_mask_inf(x, 0),
        lambda: ops.sqrt(x),
        lambda: ops.log(x),
        lambda: ops.unary(x, "silu"),
    ][k % 8]()


def _binary(x: Tensor, y: Tensor, k: int) -> Tensor:
    if not can_repeat(y, x):
        y = x
    return [ops.add, ops.mul, ops.sub, ops.div][k % 4](x, y)


def _view(x: Tensor, k: int) -> Tensor:
    if not x.is_contiguous:
        return ops.transpose(x)
    n = x.nelements
    if k % 3 == 0 and n >= 2:
        half = n // 2
        return ops.view_1d(x, half, (k % 2) * half * 4)
    if k % 3 == 1:
        return ops.reshape_1d(x, n)
    return ops.transpose(x)


def _apply(pool: list[Tensor], step: tuple[int, int, int, int], leafs: list[Tensor]) -> Tensor:
    kind, i, j, k = step
    x, y = _pick(pool, i), _pick(pool, j)
    if kind == 0:
        ne = SHAPES[k % len(SHAPES)]
        t = new_tensor("f32", ne, f"in{len(leafs)}")
        leafs.append(t)
        return t.set_input() if k % 2 else t
    if kind in (1, 2):
        return _elementwise(x, k)
    if kind in (3, 4):
        return _binary(x, y, k)
    if kind == 5:
        return ops.cont(x)
    if kind == 6:
        return _view(x, k)
    if kind == 7 and x.ne[0] == y.ne[0] and not x.is_transposed:
        return ops.mul_mat(x, y)
    if kind == 8:
        return ops.sum_rows(x)
    if kind == 9:
        dst = new_tensor("f32", x.ne, f"dst{len(leafs)}")
        leafs.append(dst)
        return ops.cpy(x, dst)
    if kind == 10:
        return ops.add(ops.cont(x), ops.cont(x))
    return x.set_output()  # kind 11 (and mul_mat that does not fit): an extra output


def _inputs_as_nodes(graph) -> None:
    """Move op-NONE inputs into the node list just before their first reader, as the
    scheduler does with its input copies: the allocator must still place them up front."""
    for leaf in [t for t in graph.leafs if t.is_input]:
        first = next((i for i, n in enumerate(graph.nodes) if any(s is leaf for s in n.src)), 0)
        graph.leafs.remove(leaf)
        graph.nodes.insert(first, leaf)


@st.composite
def graphs(draw):
    first = new_tensor("f32", SHAPES[draw(st.integers(0, len(SHAPES) - 1))], "in").set_input()
    pool, leafs = [first], [first]
    for step in draw(st.lists(STEP, min_size=8, max_size=30)):
        t = _apply(pool, step, leafs)
        pool.append(t)
    last = pool[-1]
    if last.op is Op.NONE:
        last = ops.cont(last)
    # every tensor nobody reads is a root too (an output only if flagged so), so that no
    # step is wasted; a root that is not an output is never freed, as in ggml
    read = {id(s) for t in pool for s in t.sources}
    roots = [t for t in pool if t.op is not Op.NONE and id(t) not in read]
    graph = build_graph(last.set_output(), *roots)
    if draw(st.booleans()):
        _inputs_as_nodes(graph)
    weights = [t for t in leafs if t in graph and not t.is_input and draw(st.booleans())]
    return graph, weights


@st.composite
def setups(draw):
    graph, weights = draw(graphs())
    alignment = draw(st.sampled_from([4, 16, 32, 64, 128]))
    max_size = draw(st.sampled_from([None, 96, 512, 4096]))
    pad = draw(st.sampled_from([0, 0, 32, 100]))
    n_bufs = draw(st.integers(1, 2))
    node_ids = [draw(st.integers(0, n_bufs - 1)) for _ in graph.nodes]
    leaf_ids = [draw(st.integers(0, n_bufs - 1)) for _ in graph.leafs]
    return graph, weights, alignment, max_size, pad, n_bufs, node_ids, leaf_ids


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
