"""Pass 5 (splits and input copies) and the scheduler's internal graph copy (what gets allocated).

A split is a run of consecutive nodes on one backend. Each source a split's backend cannot
read where it lives gets a copy tensor on that backend, named ``<backend>#<src>#<c>``, created
once per (tensor, backend) and reused by later splits on the same backend; the node's src is
rewritten to point at the copy. With n_copies > 1 (pipeline mode) every copy and every graph
input exists n_copies times, so evaluation k+1 can fill its inputs while k still runs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from .backend import BufferUsage
from .graph import Graph
from .sched_state import SchedState
from .tensor import Tensor, view_tensor

# ggml's GGML_SCHED_MAX_SPLIT_INPUTS: the initial capacity of a split's inputs. A split that is
# full starts a new one rather than take a new copy; a single node can overflow it, and then
# the capacity doubles with a warning (llama#22789).
MAX_SPLIT_INPUTS = 30
WEIGHTS = BufferUsage.WEIGHTS


@dataclass
class Split:
    """Nodes [i_start, i_end) of the graph, computed on backend ``backend_id``."""

    backend_id: int
    i_start: int
    i_end: int = 0
    inputs: list[Tensor] = field(default_factory=list)
    capacity: int = MAX_SPLIT_INPUTS
    graph: Graph | None = None  # the nodes as a graph view, made with the graph copy

    def add_input(self, src: Tensor) -> None:
        if len(self.inputs) >= self.capacity:
            self.capacity *= 2
            warnings.warn(
                f"split on backend {self.backend_id} has more than {len(self.inputs)} inputs; "
                f"capacity raised to {self.capacity}",
                stacklevel=3,
            )
        self.inputs.append(src)


class Copies:
    """hv_tensor_copies: the n_copies copy tensors of a source on a backend."""

    def __init__(self, st: SchedState, n_copies: int, cur_copy: int) -> None:
        self.st = st
        self.n_copies = n_copies
        self.cur_copy = cur_copy
        self.table: dict[tuple[Tensor, int], list[Tensor]] = {}
        self.graph_inputs: list[Tensor] = []

    def get(self, src: Tensor, b: int, c: int | None = None) -> Tensor | None:
        ring = self.table.get((src, b))
        if ring is None:
            return None
        return ring[self.cur_copy if c is None else c]

    def has(self, src: Tensor, b: int) -> bool:
        return (src, b) in self.table

    def make(self, src: Tensor, b: int, keep_original: bool, pin: bool) -> None:
        """Create src's n_copies tensors on backend b (slot cur_copy is src itself when
        ``keep_original``); ``pin`` flags them INPUT|OUTPUT so the allocator never reuses
        their memory."""
        prefix = self.st.name(b)
        ring = []
        for c in range(self.n_copies):
            if keep_original and c == self.cur_copy:
                t = src
            else:
                t = Tensor(src.type, src.ne, src.nb).set_name(f"{prefix}#{src.name}#{c}")
            if pin:
                t.set_input().set_output()
            ring.append(t)
        self.table[(src, b)] = ring

    def all_copies(self) -> list[Tensor]:
        return [t for ring in self.table.values() for t in ring]


@dataclass
class SplitResult:
    splits: list[Split]
    copies: Copies
    rewrites: list[tuple[Tensor, int, Tensor]]  # (node, j, original src) to undo at reset


def pass5_split(
    st: SchedState, nodes: list[Tensor], view_op: list[bool], n_copies: int, cur_copy: int
) -> SplitResult:
    """Pass 5: cut the node list into splits and route every cross-backend source through a
    copy on the split's backend.

    A new split starts where the backend changes, and also (when the current split already
    has inputs) where a weight the backend cannot read would have to be copied (so the
    memory of earlier copied weights can be reused) or where the inputs are full.
    """
    copies = Copies(st, n_copies, cur_copy)
    result = SplitResult([], copies, [])
    first = next((i for i, v in enumerate(view_op) if not v), len(nodes))
    split = Split(st.get(nodes[first]) if first < len(nodes) else st.cpu, 0)
    result.splits.append(split)
    ids = st.ids
    for i in range(first, len(nodes)):
        if view_op[i]:
            continue
        node = nodes[i]
        b = ids[node]
        if b != split.backend_id or (split.inputs and _needs_new_split(st, node, split, copies)):
            split.i_end = i
            split = Split(b, i)
            result.splits.append(split)
        _route_sources(st, node, split, copies, result.rewrites)
    split.i_end = len(nodes)
    return result


def _needs_new_split(st: SchedState, node: Tensor, split: Split, copies: Copies) -> bool:
    cur = split.backend_id
    full = len(split.inputs) >= split.capacity
    for src in node.src:
        if src is None:
            continue
        weight = src.buffer is not None and src.buffer.usage == WEIGHTS
        if not (weight or full) or st.ids[src] == cur or st.buffer_supported(src, cur):
            continue
        if weight or not copies.has(src, cur):
            return True
    return False


def _route_sources(st: SchedState, node: Tensor, split: Split, copies: Copies, rewrites) -> None:
    cur = split.backend_id
    ids, pipeline = st.ids, copies.n_copies > 1
    for j, src in enumerate(node.src):
        if src is None:
            continue
        src_b = ids[src]
        if pipeline and src.is_input and not copies.has(src, src_b):
            copies.make(src, src_b, keep_original=True, pin=True)
            copies.graph_inputs.append(src)
        if src_b == cur or st.buffer_supported(src, cur):
            continue
        if not copies.has(src, cur):
            copies.make(src, cur, keep_original=False, pin=copies.n_copies > 1)
            split.add_input(src)
        node.src[j] = copies.get(src, cur)
        rewrites.append((node, j, src))


def undo_rewrites(rewrites: list[tuple[Tensor, int, Tensor]]) -> None:
    """Point every rewritten src back at the user's tensor."""
    for node, j, src in reversed(rewrites):
        node.src[j] = src


# -- the graph copy (ggml: sched->graph) ----------------------------------------------------------


@dataclass
class GraphCopy:
    """The graph handed to the allocator, with one buffer id (= backend index) per tensor."""

    graph: Graph
    node_ids: list[int]
    leaf_ids: list[int]


def build_graph_copy(st: SchedState, graph: Graph, res: SplitResult) -> GraphCopy:
    """Lay the splits out for the allocator.

    Before each split's own nodes come, per input, a dependency view of the source (tagged
    with the source's backend, so the source stays alive until the copy point) and the copy
    itself (tagged with the split's backend, so it is allocated at the start of the split).
    In pipeline mode all copies become leafs, allocated first and never freed. Then the
    original leafs.
    """
    nodes: list[Tensor] = []
    node_ids: list[int] = []
    ids, copies = st.ids, res.copies
    for split in res.splits:
        split.graph = graph.view(split.i_start, split.i_end)
        for src in split.inputs:
            dep = view_tensor(src, name=f"{src.name} (view)")
            dep.src = [src]
            nodes += (dep, copies.get(src, split.backend_id))
            node_ids += (ids[src], split.backend_id)
        part = graph.nodes[split.i_start : split.i_end]
        nodes += part
        node_ids += [ids[n] for n in part]
    leafs, leaf_ids = _copy_leafs(st, res) if copies.n_copies > 1 else ([], [])
    leafs += graph.leafs
    leaf_ids += [ids.get(t, st.cpu) for t in graph.leafs]
    g = Graph(None)
    g.nodes, g.leafs, g.use_counts = nodes, leafs, graph.use_counts
    return GraphCopy(g, node_ids, leaf_ids)


def _copy_leafs(st: SchedState, res: SplitResult) -> tuple[list[Tensor], list[int]]:
    leafs: list[Tensor] = []
    leaf_ids: list[int] = []
    copies = res.copies
    for src in copies.graph_inputs:
        b = st.ids[src]
        leafs += (copies.get(src, b, c) for c in range(copies.n_copies))
        leaf_ids += [b] * copies.n_copies
    for split in res.splits:
        for src in split.inputs:
            leafs += (copies.get(src, split.backend_id, c) for c in range(copies.n_copies))
            leaf_ids += [split.backend_id] * copies.n_copies
    return leafs, leaf_ids


__all__ = ["Copies", "GraphCopy", "Split", "SplitResult", "build_graph_copy", "pass5_split",
           "undo_rewrites"]
