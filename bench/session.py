"""One bench run: resolve targets, run the chosen sections under a progress bar, report."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import timing
from .cases import perf_cases, select
from .op_perf import run_case
from .report import Notes, console, op_table
from .results import Result, attach_ratios
from .targets import GGML_CPU, Target, resolve

BUDGETS = {"quick": timing.QUICK, "default": timing.DEFAULT, "full": timing.FULL}


def parse_sections(text: str) -> list[str]:
    from .cli import SECTIONS

    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"ggsched bench: unknown section(s) {unknown}; known: {SECTIONS}")
    return names


def default_backend_names() -> list[str]:
    """Every available registered device, then real ggml's CPU."""
    try:
        from ggsched.backends import registry

        names = [d.name for d in registry.devices()]
    except Exception:  # noqa: BLE001 - no registry yet: the CPU backend alone
        names = ["CPU"]
    # the registry's own ggml-cpu device is the ggml-cpu column: list it once
    return [*(n for n in names if n.lower() != GGML_CPU), GGML_CPU]


@dataclasses.dataclass
class Session:
    targets: list[Target]
    size: str
    sections: list[str]
    budget: timing.Budget
    ops_pattern: str | None = None
    blas: bool = True
    results: list[Result] = dataclasses.field(default_factory=list)
    extra_sections: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_args(cls, backends: list[str], size: str, sections: list[str],
                  budget_s: float | None = None, ops_pattern: str | None = None,
                  blas: bool = True) -> Session:
        names = backends or default_backend_names()
        budget = BUDGETS[size]
        if budget_s is not None:
            budget = dataclasses.replace(budget, total_s=budget_s)
        return cls([resolve(n) for n in names], size, sections, budget, ops_pattern, blas)

    # -- running -------------------------------------------------------------------------

    def op_targets(self) -> list[Target]:
        if not self.blas or any(t.name == "blas" for t in self.targets):
            return self.targets
        from .blas_target import BlasTarget

        return [*self.targets, BlasTarget()]

    def run(self) -> None:
        cases = select(perf_cases(self.size), self.ops_pattern) if "ops" in self.sections else []
        with _progress() as bar:
            task = bar.add_task("bench", total=len(cases))
            targets = self.op_targets()
            for case in cases:
                bar.update(task, description=case.id)
                self.results += run_case(case, targets, self.budget)
                bar.advance(task)
        attach_ratios(self.results, GGML_CPU)

    # -- output --------------------------------------------------------------------------

    def devices(self) -> list[dict[str, Any]]:
        out = []
        for t in self.op_targets():
            d = t.describe()
            d.setdefault("available", True)
            out.append(d)
        return out

    def print_report(self) -> None:
        c, notes = console(), Notes()
        ops = [r for r in self.results if r.section == "op"]
        if ops:
            c.print(op_table(ops, notes, f"Per-op perf ({self.size})"))
        for line in notes.lines():
            c.print(line, highlight=False)

    def report(self) -> dict[str, Any]:
        from .machine import machine_info
        from .report_json import build_report

        return build_report(size=self.size, machine=machine_info(), devices=self.devices(),
                            results=self.results, sections=self.extra_sections)

    def write_json(self, path: str) -> None:
        from .report_json import write_report

        write_report(path, self.report())

    def write_plot(self, path: str) -> None:
        from .plot import write_plot

        write_plot(path, self.results, self.extra_sections.get("sched"),
                   title=f"ggsched bench ({self.size})")


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}", justify="left"),
                    BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console(), transient=True)
