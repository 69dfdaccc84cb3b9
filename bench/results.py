"""One measured (or skipped) case on one target, and the rates and ratios derived from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .metrics import gb_per_s, gflops, gib_per_s
from .timing import Stats

OK, NOT_SUPPORTED, NA, ERROR = "ok", "not supported", "n/a", "error"


@dataclass
class Result:
    """``section`` is "op" or "model"; ``case`` the id; ``backend`` the target name."""

    section: str
    case: str
    op: str
    group: str
    backend: str
    status: str
    reason: str = ""
    stats: Stats | None = None
    flops: int = 0  # per execution
    nbytes: int = 0  # per execution
    label: str = ""  # short name for plots
    time_vs_ggml: float | None = None  # our median / ggml-cpu's median (< 1: faster)
    extra: dict[str, Any] = field(default_factory=dict)  # model facts: splits, copies, ...

    @property
    def ok(self) -> bool:
        return self.status == OK and self.stats is not None

    @property
    def median_us(self) -> float | None:
        return self.stats.median_us if self.stats else None

    @property
    def gflops(self) -> float | None:
        return gflops(self.flops, self.stats.median_us) if self.stats else None

    @property
    def gbps(self) -> float | None:
        return gb_per_s(self.nbytes, self.stats.median_us) if self.stats else None

    @property
    def gibps(self) -> float | None:
        return gib_per_s(self.nbytes, self.stats.median_us) if self.stats else None


def status_of(reason: str) -> str:
    """A skip reason's status: "n/a ..." (target missing) or "not supported ..." (the op)."""
    return NA if reason.startswith(NA) else NOT_SUPPORTED


def attach_ratios(results: list[Result], reference: str) -> None:
    """Set time_vs_ggml on every measured result of a case that ``reference`` measured too."""
    ref = {(r.section, r.case): r.median_us for r in results if r.backend == reference and r.ok}
    for r in results:
        base = ref.get((r.section, r.case))
        if r.ok and base:
            r.time_vs_ggml = r.stats.median_us / base
