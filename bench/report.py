"""The terminal report: one rich table per section, a row per (case, target).

Long format (a case spans one row per target) keeps the table readable with any number of
targets and pastes cleanly into a note.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from .results import Result


def fmt_us(us: float | None) -> str:
    if us is None:
        return ""
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.1f} µs"


def fmt_spread(r: Result) -> str:
    """Half the interquartile range, as a percentage of the median."""
    if not r.stats or r.stats.median_us <= 0:
        return ""
    return f"±{50 * r.stats.iqr_us / r.stats.median_us:.1f}%"


def fmt_num(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def fmt_ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}×"


class Notes:
    """Reasons of skipped rows, numbered once each, shown under the table."""

    def __init__(self) -> None:
        self.reasons: dict[str, int] = {}

    def mark(self, r: Result) -> str:
        if not r.reason:
            return r.status
        n = self.reasons.setdefault(f"{r.backend}: {r.reason}", len(self.reasons) + 1)
        return f"{r.status} [{n}]"

    def lines(self) -> list[str]:
        return [f"[{n}] {reason}" for reason, n in self.reasons.items()]


def op_table(results: Iterable[Result], notes: Notes, title: str = "Per-op perf") -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for col, just in (("case", "left"), ("backend", "left"), ("time/run", "right"),
                      ("spread", "right"), ("runs", "right"), ("GFLOPS", "right"),
                      ("GB/s", "right"), ("time vs ggml", "right")):
        t.add_column(col, justify=just, no_wrap=col != "case")
    last = None
    for r in results:
        case = r.case if r.case != last else ""
        if r.case != last and last is not None:
            t.add_section()
        last = r.case
        if not r.ok:
            t.add_row(case, r.backend, notes.mark(r), "", "", "", "", "")
            continue
        t.add_row(case, r.backend, fmt_us(r.median_us), fmt_spread(r), str(r.stats.n_runs),
                  fmt_num(r.gflops), fmt_num(r.gbps), fmt_ratio(r.time_vs_ggml))
    return t


def model_table(results: Iterable[Result], notes: Notes,
                title: str = "End-to-end graphs") -> Table:
    t = Table(title=title, title_justify="left")
    cols = ("graph", "backends", "ms/forward", "spread", "tokens/s", "n_splits", "copies",
            "copied", "compute buf", "time vs ggml")
    for col in cols:
        left = col in ("graph", "backends")
        t.add_column(col, justify="left" if left else "right", no_wrap=left)
    last = None
    for r in results:
        if r.case != last and last is not None:
            t.add_section()
        case, last = (r.case if r.case != last else ""), r.case
        if not r.ok:
            t.add_row(case, r.backend, notes.mark(r), *[""] * 7)
            continue
        x = r.extra
        t.add_row(case, r.backend, fmt_num(r.median_us / 1e3), fmt_spread(r),
                  fmt_num(x.get("tokens_per_s"), 1), _int(x.get("n_splits")),
                  _int(x.get("n_split_inputs")), fmt_bytes(x.get("bytes_copied")),
                  fmt_bytes(x.get("compute_buffer_bytes")), fmt_ratio(r.time_vs_ggml))
    return t


def goals_table(goals: list[dict]) -> Table:
    t = Table(title="Goals (figures of this run)", title_justify="left")
    for col in ("figure", "value", "goal", "met"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    for g in goals:
        met = {True: "yes", False: "NO", None: "-"}[g["met"]]
        t.add_row(g["name"], fmt_num(g["value"], 3), g["goal"], met)
    return t


def _int(x) -> str:
    return "" if x is None else str(x)


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return ""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def console(width: int = 150) -> Console:
    """A console for the report; a fixed width when the output is not a terminal."""
    c = Console()
    return c if c.is_terminal else Console(width=width)
