"""One bench run: resolve targets, run the chosen sections under a progress bar, report."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import timing
from .cases import perf_cases, select
from .goals import compute_goals
from .model_perf import (
    MODEL_BUDGETS,
    RESTRICTED_NOTE,
    configs_for,
    model_cases,
    run_model,
)
from .op_perf import run_case
from .report import Notes, console, goals_table, model_table, op_table
from .results import NOT_SUPPORTED, Result, attach_ratios
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
    """The default device of every available backend (CPU last), then real ggml's CPU."""
    from ggsched.backends import registry

    names = []
    for e in registry.entries():
        if e.available and e.devices:
            names.append(e.devices[0].name)
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
    goals: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    load_start: list[float] | None = None
    threads: int | None = None  # --threads: BLAS and ggml-cpu threads (None: their default)

    @classmethod
    def from_args(cls, backends: list[str], size: str, sections: list[str],
                  budget_s: float | None = None, ops_pattern: str | None = None,
                  blas: bool = True, threads: int | None = None) -> Session:
        names = backends or default_backend_names()
        budget = BUDGETS[size]
        if budget_s is not None:
            budget = dataclasses.replace(budget, total_s=budget_s)
        targets = [resolve(n, threads) for n in names]
        return cls(targets, size, sections, budget, ops_pattern, blas, threads=threads)

    # -- running -------------------------------------------------------------------------

    def op_targets(self) -> list[Target]:
        if not self.blas or any(t.name == "blas" for t in self.targets):
            return self.targets
        from .blas_target import BlasTarget

        return [*self.targets, BlasTarget()]

    def run(self) -> None:
        from .machine import load_average

        self.load_start = load_average()
        cases = select(perf_cases(self.size), self.ops_pattern) if "ops" in self.sections else []
        models = model_cases(self.size) if "models" in self.sections else []
        extra = [s for s in ("sched", "alloc") if s in self.sections]
        with _progress() as bar:
            task = bar.add_task("bench", total=len(cases) + len(models) + len(extra))
            self._run_ops(cases, bar, task)
            self._run_models(models, bar, task)
            for name in extra:
                bar.update(task, description=f"{name} section")
                self.extra_sections[name] = self._run_section(name)
                bar.advance(task)
        attach_ratios(self.results, GGML_CPU)
        self.goals = compute_goals(self.results, self.targets, self.extra_sections)

    def _run_section(self, name: str) -> dict[str, Any]:
        """The scheduler or allocator figures; a failure is reported, not raised."""
        try:
            if name == "alloc":
                from .alloc_section import run_alloc

                return run_alloc(self.size)
            from .sched_section import run_sched

            return run_sched(self.size)
        except Exception as e:  # noqa: BLE001 - the other sections still report
            return {"error": f"{type(e).__name__}: {e}"}

    def _run_ops(self, cases, bar: Progress, task) -> None:
        targets = self.op_targets()
        for case in cases:
            bar.update(task, description=case.id)
            self.results += [r for r in run_case(case, targets, self.budget)
                             if not _reference_skip(r)]
            bar.advance(task)

    def _run_models(self, models, bar: Progress, task) -> None:
        if not models:
            return
        configs = configs_for(self.targets)
        for case in models:
            bar.update(task, description=case.name)
            self.results += run_model(case, configs, MODEL_BUDGETS[self.size])
            bar.advance(task)

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
        c.print(machine_line(), highlight=False)
        ops = [r for r in self.results if r.section == "op"]
        if ops:
            c.print(op_table(ops, notes, f"Per-op perf ({self.size})"))
        models = [r for r in self.results if r.section == "model"]
        if models:
            c.print(model_table(models, notes, "End-to-end graphs through the scheduler"))
            if any("*" in r.backend for r in models):
                c.print(RESTRICTED_NOTE, highlight=False)
        self._print_sections(c)
        if self.goals:
            c.print(goals_table(self.goals))
        for line in notes.lines():
            c.print(line, highlight=False)

    def _print_sections(self, c) -> None:
        from .alloc_section import alloc_table
        from .sched_section import sched_table

        for name, table in (("sched", sched_table), ("alloc", alloc_table)):
            section = self.extra_sections.get(name)
            if section and "error" in section:
                c.print(f"{name} section: {section['error']}", highlight=False)
            elif section:
                c.print(table(section))

    def report(self) -> dict[str, Any]:
        from .machine import machine_info
        from .report_json import build_report

        machine = {**machine_info(), "load_average_at_start": self.load_start,
                   "threads_option": self.threads}
        return build_report(size=self.size, machine=machine, devices=self.devices(),
                            results=self.results, sections=self.extra_sections,
                            goals=self.goals)

    def write_json(self, path: str) -> None:
        from .report_json import write_report

        write_report(path, self.report())

    def write_plot(self, path: str) -> bool:
        from .plot import write_plot

        return write_plot(path, self.results, self.extra_sections.get("sched"),
                   title=f"ggsched bench ({self.size})")


def machine_line() -> str:
    """One line on the machine, with a warning when other work is competing for its CPUs."""
    from .machine import blas_summary, cpu_model, load_average

    n = os.cpu_count() or 1
    load = load_average()
    line = f"{cpu_model()}, {n} CPUs; numpy BLAS: {blas_summary()}"
    if load:
        line += f"; load average {load[0]:.1f}"
        if load[0] > 0.5 * n:
            line += (" — NOTE: the CPUs are busy with other work: threaded timings (BLAS, "
                     "ggml-cpu) are unreliable; see --threads")
    return line


def _reference_skip(r: Result) -> bool:
    """The BLAS column only exists for f32 MUL_MAT; its other rows would be noise."""
    from .blas_target import BLAS

    return r.backend == BLAS and r.status == NOT_SUPPORTED


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}", justify="left"),
                    BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console(), transient=True)
