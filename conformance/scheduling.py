"""The scheduling family: the backend inside ``Scheduler`` with the CPU, and with restricted
copies of itself, on fixed model graphs and on random ones.

Each evaluation is checked three ways: the output against the golden (a graph bound: the
nodes' budgets add up), the plan's promises (``schedrun.placement_problems``), and, through the
eval callback, every node as it is computed, so that a failure names the first node that
diverged. The plan is attached to every failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ggsched import golden, models
from ggsched.backend import Backend
from ggsched.backends.restrict import Restricted
from ggsched.graph import Graph
from ggsched.sched import Scheduler
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hseed

from . import strategies as strat
from .cases.bounds import Bound, graph_bound
from .checks import Check, Problem
from .compare import compare
from .schedrun import Divergence, SchedRun, Weights, evaluate
from .targets import Target

F32, F16, Q8_0 = GGMLType.F32, GGMLType.F16, GGMLType.Q8_0

MODELS: dict[str, Callable[..., models.Model]] = {  # small: the suite runs them many times
    "gpt2": lambda w, n: models.gpt2(n_embd=64, n_head=4, n_layer=2, n_tokens=n, n_vocab=128,
                                     wtype=w),
    "llama": lambda w, n: models.llama_block(n_embd=64, n_head=4, n_head_kv=2, n_ff=128,
                                             n_tokens=n, wtype=w),
    "bert": lambda w, n: models.bert_block(n_embd=64, n_head=4, n_ff=256, n_tokens=n, wtype=w),
}


def model(name: str, wtype: GGMLType | str = F32, n_tokens: int = 16) -> models.Model:
    return MODELS[name](wtype, n_tokens)
# ops a restricted copy of the backend refuses, per graph: the split points of interest
REFUSALS = {
    "gpt2": (("SOFT_MAX",), ("MUL_MAT", "GELU")),
    "llama": (("ROPE", "SOFT_MAX"), ("RMS_NORM", "SWIGLU")),
    "bert": (("GELU_ERF",), ("NORM", "SOFT_MAX")),
}


def cumulative_bounds(graph: Graph) -> dict[Tensor, Bound]:
    """Each node's bound: the budgets of the nodes up to it."""
    out = {}
    for i, node in enumerate(graph.nodes):
        out[node] = graph_bound(graph.nodes[: i + 1])
    return out


def check_run(run: SchedRun, outputs, expected: golden.Results, bound: Bound, what: str):
    problems = list(run.problems)
    for t in outputs:
        cmp = compare(run.values[t], expected[t], bound)
        if not cmp.ok:
            problems.insert(0, f"output {t.describe()}: {cmp.describe()}")
    if run.first_divergence:
        problems.append(run.first_divergence)
    if problems:
        raise Problem(f"{what}: " + "; ".join(problems), plan=run.plan)


def scheduled_twice(backends: list[Backend], graph: Graph, outputs, feeds, weights: Weights,
                    what: str) -> None:
    """Evaluate plainly, then again with the eval callback comparing every node."""
    expected = golden.evaluate(graph, feeds)
    bound = graph_bound(graph.nodes)
    sched = Scheduler(backends)
    check_run(evaluate(sched, graph, outputs, feeds, weights), outputs, expected, bound, what)
    div = Divergence(graph, expected, cumulative_bounds(graph).__getitem__)
    run = evaluate(sched, graph, outputs, feeds, weights, div)
    check_run(run, outputs, expected, bound, what + " (eval callback on every node)")


def weight_groups(weights, graph: Graph, backend: Backend, cpu: Backend, where: str):
    """Weights go to ``where`` ("backend" or "cpu"); a weight whose consumers the backend
    refuses goes to the CPU, as a user would put it (ggml refuses a pre-allocated tensor in a
    buffer whose backend cannot run its op)."""
    users: dict[int, list[Tensor]] = {}
    for node in graph.nodes:
        for s in node.sources:
            users.setdefault(id(s), []).append(node)
    on_backend = [w for w in weights if where == "backend" and
                  all(backend.supports_op(n) for n in users.get(id(w), []))]
    rest = [w for w in weights if w not in on_backend]
    return [(on_backend, backend.default_buffer_type), (rest, cpu.default_buffer_type)]


def restricted(backend: Backend, refuse: tuple[str, ...], tag: str) -> Backend:
    name = f"{backend.name}-no-{'-'.join(refuse).lower()}{tag}"
    return Restricted(backend, refuse=list(refuse), host_readable=False, name=name)


@dataclass(frozen=True)
class Sched(Check):
    """``graph`` with ``wtype`` weights in the backend's (or the CPU's) buffers, scheduled over
    the backend (or a restricted copy refusing ``refuse``; with ``pair``, a second copy refusing
    the graph's other refusal set) and the CPU."""

    graph: str
    wtype: GGMLType = F32
    weights: str = "backend"
    refuse: tuple = ()
    pair: bool = False

    op: ClassVar[str] = "SCHED"
    family: ClassVar[str] = "scheduling"

    def backends(self, target: Target) -> list[Backend]:
        if not self.refuse:
            return [target.backend, target.cpu]
        first = restricted(target.backend, self.refuse, "")
        if not self.pair:
            return [first, target.cpu]
        other = next(r for r in REFUSALS[self.graph] if r != self.refuse)
        return [first, restricted(target.new_instance(), other, "-2"), target.cpu]

    def check(self, target, seed):
        m = model(self.graph, self.wtype)
        feeds = m.feeds(np.random.default_rng(seed))
        backends = self.backends(target)
        groups = weight_groups(m.weights, m.graph, backends[0], target.cpu, self.weights)
        with Weights(groups, feeds) as w:
            scheduled_twice(backends, m.graph, [m.output], feeds, w,
                            f"{self.graph} over {', '.join(b.name for b in backends)}")


@dataclass(frozen=True)
class SchedRandom(Check):
    """Hypothesis-generated graphs (``strategies.graph_specs``) with random support masks on
    restricted copies of the backend and random weight placement; a failure is shrunk to a
    minimal graph and reported with its spec and plan."""

    examples: int

    op: ClassVar[str] = "SCHED_RANDOM"
    family: ClassVar[str] = "scheduling"

    def check(self, target, seed):
        @settings(max_examples=self.examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(strat.graph_specs())
        def one(spec):
            _random_graph(target, spec, seed)

        hseed(seed)(one)()


def _random_graph(target: Target, spec: strat.GraphSpec, seed: int) -> None:
    built = strat.build(spec, np.random.default_rng(seed))
    backends = [restricted(target.backend if i == 0 else target.new_instance(), r, f"-{i}")
                for i, r in enumerate(spec.refuse)] + [target.cpu]
    groups = [g for place, ws in built.weights.items()
              for g in weight_groups(ws, built.graph, backends[0], target.cpu, place)]
    try:
        with Weights(groups, built.feeds) as w:
            scheduled_twice(backends, built.graph, built.outputs, built.feeds, w, "random graph")
    except Problem as e:
        raise Problem(f"{e} [spec: {spec}]", **e.details) from None


def cases() -> Iterator[Check]:
    for graph in MODELS:
        for wtype in (F32, F16, Q8_0):
            yield Sched(graph, wtype)
        yield Sched(graph, weights="cpu")
        for refuse in REFUSALS[graph]:
            yield Sched(graph, refuse=refuse)
        yield Sched(graph, refuse=REFUSALS[graph][0], pair=True)
    yield SchedRandom(30)


def quick() -> list[Check]:
    """f32 and q8_0 weights, every placement and restriction, and fewer random graphs."""
    fixed = [c for c in cases() if isinstance(c, Sched) and c.wtype != F16]
    return fixed + [SchedRandom(8)]
