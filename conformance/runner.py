"""Run one op case on a backend and give the verdict, holding supports_op to its word both ways.

- Claimed (supports_op says yes for every node): computed directly in the backend's own
  buffers (``direct``) and it must match the golden, write nothing out of bounds, leave its
  inputs alone and give the same bytes twice.
- Refused: the case is "unsupported", but only after ``Scheduler([backend, cpu])`` ran it
  correctly, since that is what a user of the backend gets. With ``probe`` the refused case is
  also tried directly, and one that works is reported as "could claim".
"""

from __future__ import annotations

import traceback

from .cases.base import OpCase
from .compare import Comparison, compare
from .direct import run_direct
from .expected import Expected, expected
from .fallback import run_scheduled
from .result import FAIL, PASS, UNSUPPORTED, CaseResult, repro_command
from .targets import Target


def _result(target: Target, case: OpCase, seed: int, status: str, message: str = "",
            cmp: Comparison | None = None, **details) -> CaseResult:
    r = CaseResult(target.name, case.id, case.family, case.op, [str(t) for t in case.types],
                   status, repro=repro_command(target.name, case.id, seed), details=details)
    if cmp is not None:
        r.error, r.max_abs_err = cmp.error, cmp.max_abs_err
        r.bound = cmp.abs_limit if cmp.metric == "max_abs" else cmp.bound.nmse
    if message:
        r.message = f"[{target.name}] {case.id}: {message}\n  repro: {r.repro}"
    return r


def _raised(e: BaseException) -> str:
    where = traceback.extract_tb(e.__traceback__)[-1]
    return f"raised {type(e).__name__}: {e} (at {where.filename}:{where.lineno})"


def _verdict(values, exp: Expected, case: OpCase) -> Comparison:
    """The first failing output's comparison, else the last one."""
    cmp = None
    for actual, golden in zip(values, exp.outputs):
        cmp = compare(actual, golden, case.bound())
        if not cmp.ok:
            break
    return cmp


def run_claimed(target: Target, case: OpCase, seed: int, exp: Expected) -> CaseResult:
    inst = case.instantiate()
    try:
        run = run_direct(target.backend, inst, exp)
    except Exception as e:  # noqa: BLE001 - a backend's crash is a verdict, not a suite error
        return _result(target, case, seed, FAIL, "claimed by supports_op but " + _raised(e))
    cmp = _verdict(run.values, exp, case)
    if not cmp.ok:
        return _result(target, case, seed, FAIL, cmp.describe(), cmp)
    if run.problems:
        return _result(target, case, seed, FAIL, "; ".join(run.problems), cmp)
    return _result(target, case, seed, PASS, cmp=cmp)


def _probe(target: Target, case: OpCase, exp: Expected) -> bool:
    """Does the refused case compute correctly anyway?"""
    try:
        run = run_direct(target.backend, case.instantiate(), exp, repeat=False)
    except Exception:  # noqa: BLE001 - refusing to compute is what a refused op may do
        return False
    return not run.problems and _verdict(run.values, exp, case).ok


def run_refused(target: Target, case: OpCase, seed: int, exp: Expected, refused: list[str],
                probe: bool) -> CaseResult:
    what = ", ".join(refused)
    details: dict = {"refused": refused}
    if probe:
        details["could_claim"] = _probe(target, case, exp)
    inst = case.instantiate()
    if target.is_cpu or not all(target.cpu.supports_op(n) for n in inst.graph.nodes):
        return _result(target, case, seed, UNSUPPORTED, f"supports_op refuses {what}; no "
                       "other backend can take it", **details)
    try:
        run = run_scheduled([target.backend, target.cpu], inst, exp)
    except Exception as e:  # noqa: BLE001 - the fallback's crash is the verdict
        return _result(target, case, seed, FAIL, f"supports_op refuses {what}, and the "
                       "scheduler's CPU fallback " + _raised(e), **details)
    cmp = _verdict(run.values, exp, case)
    if not cmp.ok or run.problems:
        text = cmp.describe() if not cmp.ok else "; ".join(run.problems)
        return _result(target, case, seed, FAIL, f"supports_op refuses {what}; with the "
                       f"CPU fallback: {text}", cmp, plan=run.plan, **details)
    return _result(target, case, seed, UNSUPPORTED, f"supports_op refuses {what}; the "
                   "scheduler ran it on the CPU correctly", cmp, **details)


def run_op_case(target: Target, case: OpCase, seed: int, probe: bool = False) -> CaseResult:
    exp = expected(case, seed)
    inst = case.instantiate()
    refused = [n.op_desc for n in inst.graph.nodes if not target.backend.supports_op(n)]
    if refused:
        return run_refused(target, case, seed, exp, refused, probe)
    return run_claimed(target, case, seed, exp)
