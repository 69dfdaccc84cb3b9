"""The pipeline family: back-to-back evaluations in parallel mode (``Scheduler(...,
parallel=True)``: graph inputs rotate over n_copies slots) must each equal the golden, with the
same graph and with graphs alternating, over the backend or a restricted copy of it, and the
CPU."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ggsched import golden
from ggsched.sched import Scheduler

from .cases.bounds import graph_bound
from .checks import Check, Problem
from .compare import compare
from .schedrun import Weights, evaluate
from .scheduling import REFUSALS, model, restricted, weight_groups


@dataclass(frozen=True)
class Pipeline(Check):
    """``evals`` evaluations of ``graphs`` (in turn), new inputs each time."""

    graphs: tuple
    evals: int = 6
    refuse: bool = False

    op: ClassVar[str] = "PIPELINE"
    family: ClassVar[str] = "pipeline"

    def check(self, target, seed):
        built = [model(g) for g in self.graphs]
        first = (restricted(target.backend, REFUSALS[self.graphs[0]][0], "")
                 if self.refuse else target.backend)
        sched = Scheduler([first, target.cpu], parallel=True)
        rng = np.random.default_rng(seed)
        feeds = {}
        groups = []
        for m in built:
            feeds.update(m.feeds(rng))
            groups += weight_groups(m.weights, m.graph, first, target.cpu, "backend")
        with Weights(groups, feeds) as w:
            for i in range(self.evals):
                m = built[i % len(built)]
                fresh = m.feeds(rng)  # new token ids / activations; the weights stay loaded
                feeds.update({t: fresh[t] for t in m.inputs})
                run = evaluate(sched, m.graph, [m.output], feeds, w)
                cmp = compare(run.values.get(m.output), golden.evaluate(m.graph, feeds)[m.output],
                              graph_bound(m.graph.nodes)) if run.values else None
                if run.problems or cmp is None or not cmp.ok:
                    what = "; ".join(run.problems) or (cmp.describe() if cmp else "")
                    raise Problem(f"evaluation {i + 1} of {self.evals} ({m.name}, copy slot "
                                  f"{run.plan.get('cur_copy')}): {what}", plan=run.plan)


def cases() -> Iterator[Check]:
    for graphs in (("gpt2",), ("llama",), ("gpt2", "llama"), ("bert", "llama")):
        yield Pipeline(graphs)
        yield Pipeline(graphs, refuse=True)


def quick() -> list[Check]:
    return [Pipeline(("gpt2", "llama"), 4, refuse=True), Pipeline(("llama",), 4)]
