"""Cases that are not one op: a buffer rule, an allocation, a copy, a scheduled graph.

A check names itself like an op case (``COPY(type=q8_0,layout=strided,to=cpu)``) and has one
method, ``check(target, seed)``, that raises ``Problem`` with a complete description when the
backend breaks the rule, ``Unsupported`` when the rule does not apply to it (a host-only
feature, an op it refuses), and returns when all is well. ``run_check`` turns that into a
``CaseResult``; any other exception from the backend is a failure too.
"""

from __future__ import annotations

import abc
import traceback
from dataclasses import dataclass

from .cases.base import Named
from .result import FAIL, PASS, UNSUPPORTED, CaseResult, repro_command
from .targets import Target


class Problem(AssertionError):
    """The backend broke a rule. ``details`` (JSON-able) go into the report."""

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.details = details


class Unsupported(Exception):
    """The check does not apply to this backend; the message says why."""


@dataclass(frozen=True)
class Check(Named, abc.ABC):
    @abc.abstractmethod
    def check(self, target: Target, seed: int) -> None:
        """Raise Problem (broken), Unsupported (does not apply); return when it holds."""


def _raised(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"raised {type(e).__name__}: {e}{where}"


def run_check(target: Target, case: Check, seed: int, probe: bool = False) -> CaseResult:
    r = CaseResult(target.name, case.id, case.family, case.op, [str(t) for t in case.types],
                   PASS, repro=repro_command(target.name, case.id, seed))
    try:
        case.check(target, seed)
    except Problem as e:
        r.status, r.details = FAIL, e.details
        r.message = str(e)
    except Unsupported as e:
        r.status, r.message = UNSUPPORTED, str(e)
    except Exception as e:  # noqa: BLE001 - a backend's crash is a verdict
        r.status, r.message = FAIL, _raised(e)
    if r.message:
        r.message = f"[{target.name}] {case.id}: {r.message}\n  repro: {r.repro}"
    return r
