"""Hypothesis strategies for the scheduling family: random graphs, support masks, placement.

A ``GraphSpec`` is plain data (so Hypothesis shrinks it and a failure prints it): ``n_inputs``
inputs of ne [n, m], then nodes that each apply an op to earlier values (all [n, m]; MUL_MAT
multiplies by a fresh [n, n] weight whose buffer is on the backend or the CPU), and the ops each
restricted copy of the backend refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ggsched import ops
from ggsched.graph import Graph, build_graph
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from hypothesis import strategies as st

F32 = GGMLType.F32
BINARY = ("ADD", "SUB", "MUL")
UNARY = ("SILU", "GELU", "TANH", "NEG", "RELU")
ROWWISE = ("SCALE", "RMS_NORM", "NORM", "SOFT_MAX")
OPS = BINARY + UNARY + ROWWISE + ("MUL_MAT",)
PLACES = ("backend", "cpu")


@dataclass(frozen=True)
class Node:
    op: str
    srcs: tuple[int, ...]  # indices into [inputs..., earlier nodes...]
    place: str = ""  # MUL_MAT: where its weight lives


@dataclass(frozen=True)
class GraphSpec:
    n: int
    m: int
    n_inputs: int
    nodes: tuple[Node, ...]
    refuse: tuple[tuple[str, ...], ...]  # one tuple of refused ops per restricted copy


@dataclass
class Built:
    graph: Graph
    outputs: list[Tensor]
    weights: dict[str, list[Tensor]]  # place -> weights
    feeds: dict[Tensor, np.ndarray]


def _apply(node: Node, srcs: list[Tensor], n: int, weights: dict) -> Tensor:
    a = srcs[0]
    if node.op in BINARY:
        return getattr(ops, node.op.lower())(a, srcs[1])
    if node.op in UNARY:
        return ops.unary(a, node.op)
    if node.op == "SCALE":
        return ops.scale(a, 0.5)
    if node.op == "MUL_MAT":
        w = ops.new_tensor(F32, (n, n), f"w{sum(map(len, weights.values()))}")
        weights.setdefault(node.place, []).append(w)
        return ops.mul_mat(w, a)
    return getattr(ops, node.op.lower())(a)


def build(spec: GraphSpec, rng: np.random.Generator) -> Built:
    values = [ops.new_tensor(F32, (spec.n, spec.m), f"in{i}").set_input()
              for i in range(spec.n_inputs)]
    weights: dict[str, list[Tensor]] = {}
    used: set[int] = set()
    for node in spec.nodes:
        used.update(node.srcs)
        values.append(_apply(node, [values[i] for i in node.srcs], spec.n, weights))
    sinks = [t.set_output() for i, t in enumerate(values) if i >= spec.n_inputs and i not in used]
    graph = build_graph(*sinks)
    feeds = {t: rng.standard_normal(t.shape) for t in graph.leafs}
    for w in (w for ws in weights.values() for w in ws):
        feeds[w] /= np.sqrt(spec.n)  # keeps a chain of products near unit scale
    return Built(graph, sinks, weights, feeds)


@st.composite
def graph_specs(draw, max_nodes: int = 24, max_variants: int = 2) -> GraphSpec:
    n = draw(st.sampled_from((8, 16, 33)))
    m = draw(st.integers(1, 7))
    n_inputs = draw(st.integers(1, 3))
    nodes = []
    for i in range(draw(st.integers(1, max_nodes))):
        op = draw(st.sampled_from(OPS))
        arity = 2 if op in BINARY else 1
        srcs = tuple(draw(st.integers(0, n_inputs + i - 1)) for _ in range(arity))
        place = draw(st.sampled_from(PLACES)) if op == "MUL_MAT" else ""
        nodes.append(Node(op, srcs, place))
    refuse = tuple(tuple(sorted(draw(st.sets(st.sampled_from(OPS), max_size=5))))
                   for _ in range(draw(st.integers(1, max_variants))))
    return GraphSpec(n, m, n_inputs, tuple(nodes), refuse)
