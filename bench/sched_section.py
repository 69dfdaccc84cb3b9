"""Section 4a: the scheduler's own cost, µs per node for assign+split+reserve on generated
graphs of growing size, with the fitted growth (``ggsched.bench.sched_overhead`` measures)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

SCHED_SIZES = {"quick": (1_000, 10_000), "default": (1_000, 10_000, 100_000)}
SCHED_SIZES["full"] = SCHED_SIZES["default"]


def run_sched(size: str) -> dict[str, Any]:
    raise NotImplementedError("bench/sched_overhead.py has not landed yet")


def sched_table(section: dict[str, Any]) -> Table:
    t = Table(title="Scheduler overhead (assign+split+reserve)", title_justify="left")
    for col in ("nodes", "µs/node"):
        t.add_column(col, justify="right")
    for r in section["rows"]:
        t.add_row(f"{r['n_nodes']:,}", f"{r['us_per_node']:.2f}")
    return t
