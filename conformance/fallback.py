"""Run a case graph through the scheduler with the CPU beside the backend under test.

This is what a user gets for an op the backend refuses: ``Scheduler([backend, cpu])`` must
place the refused nodes on the CPU, copy what crosses over, and still compute the golden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ggsched.backend import Backend, tensor_set
from ggsched.sched import Scheduler
from ggsched.sched_eval import get_values

from .cases.base import CaseGraph
from .expected import Expected, raw_bytes


@dataclass
class ScheduledRun:
    values: list[np.ndarray]
    plan: Any = None
    problems: list[str] = field(default_factory=list)


def misplaced(sched: Scheduler, inst: CaseGraph) -> list[str]:
    """Nodes the scheduler put on a backend that does not support them."""
    out = []
    for node in inst.graph.nodes:
        backend = sched.get_tensor_backend(node)
        if backend is not None and not backend.supports_op(node):
            out.append(f"{node.op_desc} {node.describe()} placed on {backend.name}, "
                       "which does not support it")
    return out


def run_scheduled(backends: list[Backend], inst: CaseGraph, exp: Expected) -> ScheduledRun:
    """Inputs are flagged as such (ggml's rule puts them on the CPU), allocated by the
    scheduler, set, computed and read back; placement is checked against supports_op."""
    for leaf in inst.graph.leafs:
        leaf.set_input()
    sched = Scheduler(backends)
    sched.alloc_graph(inst.graph)
    for leaf, stored in exp.feeds_for(inst).items():
        tensor_set(leaf, raw_bytes(leaf, stored))
    sched.graph_compute(inst.graph)
    sched.synchronize()
    values = [get_values(t) for t in inst.outputs]
    return ScheduledRun(values, sched.plan(), misplaced(sched, inst))
