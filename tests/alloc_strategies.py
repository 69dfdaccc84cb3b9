"""Hypothesis strategies for the allocator tests: random graphs of ggml ops with views,
in-place candidates, copies into leafs, extra outputs and unread roots."""

from __future__ import annotations

from ggsched import GGSchedError, build_graph, ops
from ggsched.op import Op
from ggsched.tensor import Tensor, can_repeat, new_tensor
from hypothesis import strategies as st

# -- generated graphs -----------------------------------------------------------------------------

SHAPES = [(4, 1), (8, 1), (8, 2), (4, 4), (16, 2), (32, 1)]
STEP = st.tuples(st.integers(0, 11), st.integers(0, 63), st.integers(0, 63), st.integers(0, 7))


def _pick(pool: list[Tensor], i: int) -> Tensor:
    """Mostly one of the last few tensors (long dependent chains), sometimes any."""
    if i < 48:
        return pool[-1 - i % min(3, len(pool))]
    return pool[i % len(pool)]


def _elementwise(x: Tensor, k: int) -> Tensor:
    if not (x.is_contiguous and x.is_padded_1d):
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
def graphs(draw, inputs_as_nodes: bool = True, extra_roots: bool = True):
    first = new_tensor("f32", SHAPES[draw(st.integers(0, len(SHAPES) - 1))], "in").set_input()
    pool, leafs = [first], [first]
    for step in draw(st.lists(STEP, min_size=8, max_size=30)):
        try:
            t = _apply(pool, step, leafs)
        except GGSchedError:  # a step whose operands do not fit that op: skip it
            continue
        pool.append(t)
    last = pool[-1]
    if last.op is Op.NONE:
        last = ops.cont(last)
    # every tensor nobody reads is a root too (an output only if flagged so), so that no
    # step is wasted; a root that is not an output is never freed, as in ggml
    read = {id(s) for t in pool for s in t.sources}
    roots = [t for t in pool if t.op is not Op.NONE and id(t) not in read] if extra_roots else []
    graph = build_graph(last.set_output(), *roots)
    if inputs_as_nodes and draw(st.booleans()):
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
