"""The verdict on one case on one backend, as the JSON report, the tables and pytest see it."""

from __future__ import annotations

import math
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, UNSUPPORTED, XFAIL, SKIP = "pass", "fail", "unsupported", "xfail", "skip"
STATUSES = (PASS, FAIL, UNSUPPORTED, XFAIL, SKIP)


def repro_command(backend: str, case_id: str, seed: int | None = None) -> str:
    """The command that reruns exactly this case, ready to paste into a shell."""
    cmd = f"ggsched conformance --backend {shlex.quote(backend)} --ops {shlex.quote(case_id)}"
    return cmd if seed is None else f"{cmd} --seed {seed}"


def pytest_repro_command(backend: str, case_id: str, seed: int | None = None) -> str:
    cmd = (f"pytest --pyargs ggsched.conformance --ggsched-backend {shlex.quote(backend)} "
           f"--ggsched-ops {shlex.quote(case_id)}")
    return cmd if seed is None else f"{cmd} --ggsched-seed {seed}"


def _finite(x: float | None) -> float | None:
    # JSON has no inf/nan: a non-finite figure is reported as null, the message says why
    return x if x is None or math.isfinite(x) else None


@dataclass
class CaseResult:
    """One row of the report. ``error`` is the figure that decided the verdict (NMSE unless
    the max-abs check failed); ``bound`` its limit; ``details`` anything extra (the
    scheduler's plan of a failing split, the node where results first diverged, ...)."""

    backend: str
    id: str
    family: str
    op: str
    types: list[str]
    status: str
    error: float | None = None
    bound: float | None = None
    max_abs_err: float | None = None
    message: str = ""
    repro: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("error", "bound", "max_abs_err"):
            d[key] = _finite(d[key])
        if not d["details"]:
            del d["details"]
        return d

    @property
    def failed(self) -> bool:
        return self.status == FAIL
