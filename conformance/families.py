"""The suite's families of cases: each has a full table, a quick subset and a runner.

``ops`` runs every op case; the other families check the rules around the ops: buffers,
allocation, copies, scheduling with the CPU and with restricted copies of the backend itself,
and pipelined evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import allocation, buffers, copies, pipeline, scheduling
from .cases import op_cases, quick_op_cases
from .checks import run_check
from .result import CaseResult
from .runner import run_op_case
from .targets import Target

Runner = Callable[[Target, Any, int, bool], CaseResult]


@dataclass(frozen=True)
class Family:
    name: str
    cases: Callable[[], Sequence]
    quick: Callable[[], Sequence]
    run: Runner
    help: str


def _families() -> dict[str, Family]:
    found = [
        Family("ops", op_cases, quick_op_cases, run_op_case,
               "every op x type x shape x layout against the golden; supports_op both ways"),
        Family("buffers", lambda: tuple(buffers.cases()), buffers.quick, run_check,
               "alignment, alloc sizes, set/get/memset/clear, copies between buffers, chunks"),
        Family("copies", lambda: tuple(copies.cases()), copies.quick, run_check,
               "every type and layout, backend <-> CPU and backend <-> backend, bit-exact"),
        Family("scheduling", lambda: tuple(scheduling.cases()), scheduling.quick, run_check,
               "model and random graphs over the backend, restricted copies of it and the CPU"),
        Family("allocation", lambda: tuple(allocation.cases()), allocation.quick, run_check,
               "reserve sizes, no overlap of live tensors, in-place reuse that clobbers nothing"),
        Family("pipeline", lambda: tuple(pipeline.cases()), pipeline.quick, run_check,
               "back-to-back evaluations in parallel mode"),
    ]
    return {f.name: f for f in found}


FAMILIES: dict[str, Family] = _families()
