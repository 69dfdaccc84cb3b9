"""Evaluate a graph through the scheduler over the backend under test and check what the plan
promises: every node on a backend that supports it, none unassigned, each cross-backend input
copied once per (tensor, backend); with the golden's values at hand, the eval callback
compares every node as it is computed and names the first that diverges."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ggsched.backend import BufferType
from ggsched.graph import Graph
from ggsched.op import VIEW_OPS, Op
from ggsched.sched import Scheduler
from ggsched.sched_eval import get_values, load_weights, set_values
from ggsched.tensor import Tensor

from .cases.bounds import Bound
from .compare import compare


@dataclass
class SchedRun:
    values: dict[Tensor, np.ndarray]
    plan: dict
    problems: list[str] = field(default_factory=list)
    first_divergence: str | None = None


class Divergence:
    """An eval callback that compares each computed node with the golden."""

    def __init__(self, graph: Graph, golden: Mapping, bound: Callable[[Tensor], Bound]):
        self.index = {t: i for i, t in enumerate(graph.nodes)}
        self.golden, self.bound = golden, bound
        self.first: str | None = None

    def __call__(self, t: Tensor, ask: bool) -> bool:
        if ask:
            return self.first is None and t in self.index and t.op not in VIEW_OPS
        cmp = compare(get_values(t), self.golden[t], self.bound(t))
        if not cmp.ok:
            self.first = (f"first diverging node: #{self.index[t]} {t.op_desc} "
                          f"{t.describe()}: {cmp.describe()}")
        return True


def placement_problems(sched: Scheduler, graph: Graph) -> list[str]:
    out = []
    for node in graph.nodes:
        if node.op is Op.NONE:
            continue
        b = sched.get_tensor_backend(node)
        if b is None:
            out.append(f"node {node.describe()} was left unassigned")
        elif node.op not in VIEW_OPS and not b.supports_op(node):
            out.append(f"{node.op_desc} node {node.describe()} runs on {b.name}, which "
                       "does not support it")
    seen: set[tuple[int, int]] = set()
    for k, split in enumerate(sched.splits):
        for t in split.inputs:
            if (id(t), split.backend_id) in seen:
                name = sched.get_backend(split.backend_id).name
                out.append(f"{t.describe()} was copied to {name} again for split {k}")
            seen.add((id(t), split.backend_id))
    return out


class Weights:
    """Weights loaded into buffers of the given buffer types, freed (and unplaced) on exit."""

    def __init__(self, groups: Sequence[tuple[Sequence[Tensor], BufferType]],
                 feeds: Mapping[Tensor, np.ndarray]) -> None:
        self.groups, self.feeds = [(list(ts), b) for ts, b in groups if ts], feeds
        self.tensors = {t for ts, _ in self.groups for t in ts}
        self.buffers: list = []

    def __enter__(self) -> Weights:
        for tensors, buft in self.groups:
            self.buffers.append(load_weights(tensors, buft, self.feeds))
        return self

    def __exit__(self, *exc) -> None:
        for b in self.buffers:
            if b is not None:
                b.free()
        for t in self.tensors:
            t.buffer = t.data = None


def evaluate(sched: Scheduler, graph: Graph, outputs: Sequence[Tensor],
             feeds: Mapping[Tensor, np.ndarray], weights: Weights,
             callback: Divergence | None = None) -> SchedRun:
    """One evaluation: alloc_graph, set every leaf that is not a weight, compute, read the
    outputs, check the placement, reset."""
    try:
        if not sched.alloc_graph(graph):
            return SchedRun({}, {}, ["the scheduler could not allocate the graph"])
        for leaf in graph.leafs:
            if leaf not in weights.tensors:
                set_values(leaf, feeds[leaf])
        sched.set_eval_callback(callback)
        sched.graph_compute(graph)
        values = {t: get_values(t) for t in outputs}
        plan = sched.plan(nodes=True)
        problems = placement_problems(sched, graph)
    finally:
        sched.set_eval_callback(None)
        sched.reset()
    first = callback.first if callback is not None else None
    return SchedRun(values, plan, problems, first)
