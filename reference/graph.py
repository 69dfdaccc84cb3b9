"""Forward graphs in ggml's order: post-order DFS over src, leafs (op NONE) apart from nodes."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import GraphError
from .op import Op
from .tensor import Tensor, TensorFlag

DEFAULT_GRAPH_SIZE = 2048


class Graph:
    """ggml_cgraph: ``nodes`` in execution order, ``leafs`` (op NONE, not PARAM) apart.

    ``use_counts[t]`` is how many nodes of the graph read ``t`` as a source. The graph holds
    tensors by identity; adding a tensor twice is a no-op.
    """

    def __init__(self, size: int | None = DEFAULT_GRAPH_SIZE) -> None:
        self.size = size if size is not None else 1 << 62
        self.nodes: list[Tensor] = []
        self.leafs: list[Tensor] = []
        self.use_counts: dict[Tensor, int] = {}
        self._visited: set[int] = set()

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, t: Tensor) -> bool:
        return id(t) in self._visited

    def build_forward_expand(self, tensor: Tensor) -> Graph:
        """ggml_build_forward_expand: add ``tensor`` and every tensor it depends on."""
        if not isinstance(tensor, Tensor):
            raise GraphError(f"a graph is built from Tensors, got {type(tensor).__name__}")
        # NOTE: iterative post-order DFS; graphs of 100k nodes would overflow Python's stack.
        stack: list[tuple[Tensor, int]] = [(tensor, 0)]
        while stack:
            t, i = stack.pop()
            if i == 0:
                if id(t) in self._visited:
                    continue
                self._visited.add(id(t))
            srcs = t.src
            while i < len(srcs) and srcs[i] is None:
                i += 1
            if i < len(srcs):
                stack.append((t, i + 1))
                s = srcs[i]
                self.use_counts[s] = self.use_counts.get(s, 0) + 1
                if id(s) not in self._visited:
                    stack.append((s, 0))
                continue
            self._place(t)
        return self

    def _place(self, t: Tensor) -> None:
        is_leaf = t.op is Op.NONE and not t.flags & TensorFlag.PARAM
        kind, into = ("leaf", self.leafs) if is_leaf else ("node", self.nodes)
        # as in ggml, nodes and leafs each have room for `size` tensors
        if len(into) >= self.size:
            raise GraphError(
                f"graph is full: {self.size} {kind}s already, cannot add {t.describe()}; "
                f"build it with a larger Graph(size=...)"
            )
        if not t.name:
            t.name = f"{kind}_{len(into)}"
        into.append(t)

    def view(self, i0: int, i1: int) -> Graph:
        """ggml_graph_view: nodes [i0, i1) and no leafs, sharing use counts."""
        g = Graph(self.size)
        g.nodes = self.nodes[i0:i1]
        g.use_counts = self.use_counts
        g._visited = {id(t) for t in g.nodes}
        return g

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_leafs(self) -> int:
        return len(self.leafs)

    def tensors(self) -> Iterable[Tensor]:
        yield from self.leafs
        yield from self.nodes

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes, {len(self.leafs)} leafs>"


def build_graph(*outputs: Tensor, size: int | None = None) -> Graph:
    """A forward graph computing ``outputs`` (ggml_new_graph + ggml_build_forward_expand).

    Unlike ggml's, its size is unbounded unless ``size`` is given.
    """
    g = Graph(size)
    for t in outputs:
        g.build_forward_expand(t)
    return g
