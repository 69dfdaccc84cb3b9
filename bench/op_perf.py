"""Section 1: every per-op case on every target, timed side by side."""

from __future__ import annotations

from .cases import PerfCase
from .results import ERROR, OK, Result, status_of
from .targets import NotSupported, Target
from .timing import Budget, Runner, calibrate, sample


def run_case(case: PerfCase, targets: list[Target], budget: Budget) -> list[Result]:
    """Prepare the case on each target, skip those that cannot run it, time the rest."""
    results: dict[str, Result] = {}
    runners: dict[str, Runner] = {}
    warm: dict[str, float] = {}
    flops, nbytes = case.flops(), case.nbytes()
    for target in targets:
        res = Result("op", case.id, case.op, case.group, target.name, OK, flops=flops,
                     nbytes=nbytes, label=case.label)
        results[target.name] = res
        try:
            runner = prepare_case(case, target)
            warm[target.name] = calibrate(runner)
            runners[target.name] = runner
        except NotSupported as e:
            res.status, res.reason = status_of(str(e)), str(e)
        except Exception as e:  # noqa: BLE001 - one broken backend must not end the run
            res.status, res.reason = ERROR, f"{type(e).__name__}: {e}"
    for name, stats in sample(runners, warm, budget).items():
        results[name].stats = stats
    return list(results.values())


def prepare_case(case: PerfCase, target: Target, seed: int = 0) -> Runner:
    """A fresh graph of ``case`` placed on ``target`` with seeded leaf values (the same on
    every target: the case's own fills, seeded by the seed and the case id)."""
    cg = case.instantiate()
    return target.prepare(cg.graph, cg.feeds(seed, case.id))
