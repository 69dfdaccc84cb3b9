"""Hypothesis strategies for the scheduler's property tests: random small graphs and random
restricted backends.

A graph is drawn as a recipe (a list of integer tuples) and then built, so that hypothesis
shrinks and prints recipes, not tensors. Every tensor in the pool is contiguous; shapes stay
small (dimensions of 1 to 8) so that one example costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ggsched import ops
from ggsched.graph import Graph
from ggsched.op import UnaryOp
from ggsched.tensor import Tensor, can_repeat
from hypothesis import strategies as st

DIMS = (1, 2, 3, 4, 8)
UNARY = {"SQR": ops.sqr, "RELU": lambda a: ops.unary(a, UnaryOp.RELU),
         "TANH": lambda a: ops.unary(a, UnaryOp.TANH), "NEG": lambda a: ops.unary(a, UnaryOp.NEG),
         "SCALE": lambda a: ops.scale(a, 0.5), "SOFT_MAX": ops.soft_max,
         "RMS_NORM": ops.rms_norm, "SUM_ROWS": ops.sum_rows}
# NOTE: no NORM: random chains feed it near-constant rows (of length 1 or 2, or squared),
# where subtracting the mean makes f32 and the float64 golden disagree without bound. The
# scheduler treats every op alike; NORM's own accuracy is the CPU op tests' business.
BINARY = {"ADD": ops.add, "MUL": ops.mul, "SUB": ops.sub}
SHAPING = ("MUL_MAT", "TRANSPOSE", "RESHAPE")
KINDS = (*UNARY, *BINARY, *SHAPING)
# what a backend may refuse (ggml op descriptions; views are never refused)
REFUSABLE = (*UNARY, *BINARY, "MUL_MAT", "CONT")


@dataclass
class Built:
    graph: Graph
    inputs: list[Tensor] = field(default_factory=list)
    weights: list[Tensor] = field(default_factory=list)
    weight_home: dict[Tensor, int] = field(default_factory=dict)  # weight -> backend index


class Builder:
    """Turns a recipe into tensors; a step that needs an operand it cannot find makes a leaf."""

    def __init__(self, n_backends: int) -> None:
        self.pool: list[Tensor] = []
        self.built = Built(Graph(None))
        self.n_backends = n_backends
        self.consumed: set[Tensor] = set()

    def leaf(self, ne0: int, ne1: int, code: int) -> Tensor:
        t = ops.new_tensor_2d("f32", ne0, ne1)
        if code % 2 == 0:
            t.set_name(f"in{len(self.built.inputs)}").set_input()
            self.built.inputs.append(t)
        else:
            t.set_name(f"w{len(self.built.weights)}")
            self.built.weights.append(t)
            self.built.weight_home[t] = (code // 2) % self.n_backends
        return t

    def pick(self, i: int, ok=lambda t: True) -> Tensor | None:
        fits = [t for t in self.pool if ok(t)]
        return fits[i % len(fits)] if fits else None

    def step(self, kind: str, i: int, j: int, d: int) -> None:
        a = self.pool[i % len(self.pool)]
        if kind in UNARY:
            out = UNARY[kind](a)
        elif kind in BINARY:
            b = self.pick(j, lambda t: t is not a and can_repeat(t, a)) if j % 4 else None
            if b is None:
                b = self.leaf(a.ne[0], a.ne[1] if d % 2 else 1, d // 2)
            out = BINARY[kind](a, b)
        elif kind == "MUL_MAT":
            w = self.pick(j, lambda t: t is not a and t.ne[0] == a.ne[0]) if j % 3 else None
            if w is None:
                w = self.leaf(a.ne[0], DIMS[d % len(DIMS)], d // 5)
            out = ops.mul_mat(w, a)
        elif kind == "TRANSPOSE":
            out = ops.cont(ops.transpose(a))
        else:  # RESHAPE: a view the next ops read
            ne = (a.ne[0] * a.ne[1], 1) if d % 2 else (a.ne[1], a.ne[0])
            out = ops.reshape_2d(a, *ne)
        self.consumed.update(out.sources)
        self.consumed.update(s for t in out.sources for s in t.sources)
        self.pool.append(out)

    def finish(self) -> Built:
        for k, t in enumerate(self.pool):
            t.name = t.name or f"t{k}"
        for t in self.pool:
            if t not in self.consumed and t.op.name != "NONE":
                t.set_output()
                self.built.graph.build_forward_expand(t)
        return self.built


@dataclass(frozen=True)
class Recipe:
    """The leaf shapes to start from and the steps (kind, i, j, d) to build a graph."""

    leafs: tuple[tuple[int, int], ...]
    steps: tuple[tuple[str, int, int, int], ...]

    def build(self, n_backends: int) -> Built:
        """The graph, made afresh each call (two builds share nothing)."""
        b = Builder(n_backends)
        for ne0, ne1 in self.leafs:
            b.pool.append(b.leaf(ne0, ne1, 0))
        for step in self.steps:
            b.step(*step)
        return b.finish()


def recipes() -> st.SearchStrategy[Recipe]:
    """Random DAGs of 5 to 60 ops over small 2-D shapes."""
    dims = st.tuples(st.sampled_from(DIMS), st.sampled_from(DIMS))
    step = st.tuples(st.sampled_from(KINDS), st.integers(0, 63), st.integers(0, 63),
                     st.integers(0, 63))
    # the length first, uniformly: plain st.lists favours short lists
    steps = st.integers(5, 60).flatmap(lambda n: st.lists(step, min_size=n, max_size=n))
    return st.builds(Recipe, st.lists(dims, min_size=1, max_size=3).map(tuple),
                     steps.map(tuple))


@dataclass(frozen=True)
class BackendSpec:
    refuse: frozenset[str]
    host_readable: bool


@st.composite
def backend_specs(draw) -> list[BackendSpec]:
    """2 or 3 backends: accelerators refusing random op sets, then a CPU that rarely refuses."""
    n = draw(st.integers(2, 3))
    specs = [BackendSpec(frozenset(draw(st.sets(st.sampled_from(REFUSABLE), max_size=8))),
                         draw(st.booleans())) for _ in range(n - 1)]
    cpu_refuses = draw(st.sets(st.sampled_from(REFUSABLE), max_size=1) | st.just(set()))
    return [*specs, BackendSpec(frozenset(cpu_refuses), True)]


def values(built: Built, seed: int) -> list[np.ndarray]:
    """Values for the inputs then the weights, in the order they were made."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(t.shape).astype(np.float32)
            for t in built.inputs + built.weights]


def feeds(built: Built, vals: list[np.ndarray]) -> dict[Tensor, np.ndarray]:
    return dict(zip(built.inputs + built.weights, vals))
